"""The default rule set: one rule per registered type with the standards' thresholds and its `default_rule`
(alarms.catalogue), created when the database has no rules yet. Rules are data: edit them in the admin or at
/api/alarm-rules/."""

from __future__ import annotations

from alarms.catalogue import TYPES


def rule_fields(name: str) -> dict | None:
    """The default rule of a registered type as AlarmRule fields; None for types without rules of their own."""
    t = TYPES[name]
    extra = t.default_rule
    if extra is None:
        return None
    return {
        "name": f"{t.label} (default)",
        "type": t.name,
        "active": extra.get("active", True),
        "zone_kinds": extra.get("zone_kinds", []),
        "subject_kinds": extra.get("subject_kinds", []),
        "person_types": extra.get("person_types", []),
        "description": extra.get("description", "default rule; thresholds from the standards"),
        "route_department": extra.get("route_department", "安全监管科"),
        "auto_dispatch": extra.get("auto_dispatch", False),
        "life_safety": t.life_safety,
    }


def ensure_default_rules(using: str = "default") -> int:
    from alarms.models import AlarmRule

    if AlarmRule.objects.using(using).exists():
        return 0
    rules = [AlarmRule(**f) for name in TYPES if (f := rule_fields(name)) is not None]
    AlarmRule.objects.using(using).bulk_create(rules)
    return len(rules)


def add_default_rules(rule_model, names: list[str], using: str = "default") -> int:
    """For a migration that brings new types to a database that already has rules (a new one gets every default
    rule after migrating): their default rules, where none of the type exists."""
    if not rule_model.objects.using(using).exists():
        return 0
    have = set(rule_model.objects.using(using).values_list("type", flat=True))
    rules = [rule_model(**f) for n in names if n not in have and (f := rule_fields(n)) is not None]
    rule_model.objects.using(using).bulk_create(rules)
    return len(rules)


def ensure_life_safety_rules(rule_model, using: str = "default") -> int:
    """Every life-safety type has its park-wide rule, active and marked: the oldest park-wide rule of the type, or
    a new default one where none is left (a database from before issue 24, where such a rule could be deleted)."""
    made = 0
    if not rule_model.objects.using(using).exists():
        return 0  # a new database: the default rules come after migrating, marked (ensure_default_rules)
    for name, t in TYPES.items():
        fields = rule_fields(name)
        if not t.life_safety or fields is None:
            continue
        rules = rule_model.objects.using(using).filter(type=name)
        if rules.filter(life_safety=True).exists():
            continue
        rule = rules.filter(enterprise__isnull=True).order_by("id").first()
        if rule is None:
            rule_model.objects.using(using).create(**fields)
            made += 1
            continue
        keep = {k: fields[k] for k in ("zone_kinds", "subject_kinds", "person_types")}
        rules.filter(pk=rule.pk).update(life_safety=True, active=True, tags=[], window_mode="always", params={}, **keep)
        rule.time_windows.clear()
        rule.zones.clear()
    return made


def after_migrate(sender, using: str = "default", **kwargs) -> None:
    ensure_default_rules(using)
