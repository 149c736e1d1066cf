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
        audit.watch(AlarmRule, Suppression, fields=("type", "active", "params"))
        from geo_core.demo.loader import demo_removed

        demo_removed.connect(_forget_demo, dispatch_uid="alarms-forget-demo")


def _forget_demo(sender, park, enterprise_ids, subject_ids, **kwargs) -> None:
    """The demo is reset: its alarms go with it, and the worker's saved state (about subjects that are gone)."""
    from django.db.models import Q

    from alarms.models import Alarm, EngineSnapshot

    demo = Q(enterprise_id__in=enterprise_ids) | Q(subject_id__in=subject_ids)
    if park is not None:
        demo |= Q(park=park)
    Alarm.objects.filter(demo).delete()
    EngineSnapshot.objects.all().delete()
