from django.apps import AppConfig


class GeoCoreConfig(AppConfig):
    name = "geo_core"
    verbose_name = "Geo core: regions, enterprises, zones, subjects, positions, permits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from geo_core import audit, partitions

        post_migrate.connect(partitions.ensure_after_migrate, sender=self)
        audit.connect()
        from geo_core.vocabulary import declare_domain

        declare_domain()
