"""Default rules for the types of 0004 where rules exist already; special-work rules dispatch at once."""

from django.db import migrations

NEW_TYPES = [
    "permit_overdue",
    "permit_without_video",
    "unfiled_special_work",
    "contractor_elsewhere",
    "contractor_unqualified",
]
PERMIT_TYPES = [
    "location_outside_site",
    "guardian_away",
    "approver_not_on_site",
    "permit_expired",
    "hot_work_not_upgraded",
]


def seed_new_types(apps, schema_editor):
    """Default rules for this migration's new types on a database that has rules (a new one gets every default rule
    after migrating); permit alarms go to work orders at once (seed 002), so the default permit rules dispatch too."""
    from alarms.defaults import add_default_rules

    rule = apps.get_model("alarms", "AlarmRule")
    using = schema_editor.connection.alias
    add_default_rules(rule, NEW_TYPES, using)
    rule.objects.using(using).filter(type__in=PERMIT_TYPES, name__endswith="(default)").update(auto_dispatch=True)


def unseed_new_types(apps, schema_editor):
    apps.get_model("alarms", "AlarmRule").objects.using(schema_editor.connection.alias).filter(
        type__in=NEW_TYPES
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("alarms", "0004_contractor_permit_types_auto_dispatch")]

    operations = [migrations.RunPython(seed_new_types, unseed_new_types)]
