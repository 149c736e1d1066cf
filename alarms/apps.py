from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AlarmsConfig(AppConfig):
    name = "alarms"
    verbose_name = "Alarms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import alarms.rules  # noqa: F401  (every rule type registered: the register imports none of them)
        from alarms.metrics import collect
        from geo_core import metrics

        metrics.register(collect)
        from alarms.defaults import after_migrate
        from alarms.models import AlarmRule, Suppression
        from geo_core import audit

        post_migrate.connect(after_migrate, sender=self)
        audit.watch(AlarmRule, Suppression, fields=("type", "active", "params"))
        from geo_core.signals import demo_removed

        demo_removed.connect(_forget_demo, dispatch_uid="alarms-forget-demo")
        _declare_vocabulary()


def _declare_vocabulary() -> None:
    """alarms' words for the maps and pages (geo_core.vocabulary): severities and the lifecycle's statuses."""
    from alarms.catalogue import SEVERITY_TERMS
    from alarms.models import AlarmStatus
    from geo_core.vocabulary import Term, declare

    declare("severity", SEVERITY_TERMS)
    en = {
        "raised": "Raised",
        "acknowledged": "Acknowledged",
        "dispatched": "Dispatched",
        "resolved": "Resolved",
        "closed": "Closed",
        "suppressed": "Suppressed",
    }
    colours = {
        "raised": "#d73a49",
        "acknowledged": "#f66a0a",
        "dispatched": "#0366d6",
        "resolved": "#2ea44f",
        "closed": "#6a737d",
        "suppressed": "#959da5",
    }
    still_open = {AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED}
    declare(
        "alarm_status",
        [
            Term(s.value, s.label, en[s.value], colours[s.value], flags=frozenset({"open"} if s in still_open else ()))
            for s in AlarmStatus
        ],
    )
    # The steps of an alarm's history (AlarmAction.action), as the card's history names them; `engine` is 系统.
    steps = {
        "raised": ("报警", "Raised"),
        "updated": ("级别变化", "Severity changed"),
        "ended": ("条件解除", "Condition over"),
        "acknowledged": ("确认", "Acknowledged"),
        "dispatched": ("派单", "Dispatched"),
        "resolved": ("处置", "Resolved"),
        "closed": ("关闭", "Closed"),
        "suppressed": ("静默", "Suppressed"),
        "confirmed": ("企业确认", "Confirmed by the enterprise"),
    }
    declare("alarm_action", [Term(k, zh, en_, "#6a737d") for k, (zh, en_) in steps.items()])


def _forget_demo(sender, park, enterprise_ids, subject_ids, **kwargs) -> None:
    """The demo is reset: its alarms go with it, and the worker's saved state (about subjects that are gone)."""
    from django.db.models import Q

    from alarms.models import Alarm, EngineSnapshot

    demo = Q(enterprise_id__in=enterprise_ids) | Q(subject_id__in=subject_ids)
    if park is not None:
        demo |= Q(park=park)
    Alarm.objects.filter(demo).delete()
    EngineSnapshot.objects.all().delete()
