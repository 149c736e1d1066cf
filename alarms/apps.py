from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AlarmsConfig(AppConfig):
    name = "alarms"
    verbose_name = "Alarms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alarms.defaults import after_migrate
        from alarms.models import AlarmRule, Suppression
        from geo_core import audit

        post_migrate.connect(after_migrate, sender=self)
        audit.watch(AlarmRule, Suppression, fields=("type", "active"))
