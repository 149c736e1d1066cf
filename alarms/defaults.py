"""The default rule set: one rule per registered type with the standards' thresholds and its `default_rule`
(alarms.catalogue), created when the database has no rules yet. Rules are data: edit them in the admin or at
/api/alarm-rules/."""

from __future__ import annotations

from alarms.catalogue import TYPES


def ensure_default_rules(using: str = "default") -> int:
    from alarms.models import AlarmRule

    if AlarmRule.objects.using(using).exists():
        return 0
    rules = []
    for t in TYPES.values():
        extra = t.default_rule
        if extra is None:  # raised by another type or by the service: no rule of its own
            continue
        rules.append(
            AlarmRule(
                name=f"{t.label} (default)",
                type=t.name,
                active=extra.get("active", True),
                zone_kinds=extra.get("zone_kinds", []),
                subject_kinds=extra.get("subject_kinds", []),
                person_types=extra.get("person_types", []),
                description=extra.get("description", "default rule; thresholds from the standards"),
                route_department=extra.get("route_department", "安全监管科"),
            )
        )
    AlarmRule.objects.using(using).bulk_create(rules)
    return len(rules)


def after_migrate(sender, using: str = "default", **kwargs) -> None:
    ensure_default_rules(using)
