"""Alarm rows NOTIFY geo_core_changes too (the open-alarms layer's tile cache listens), with geo_core's function."""

from importlib import import_module

from django.db import migrations

notify = import_module("geo_core.migrations.0006_change_notifications")


class Migration(migrations.Migration):
    dependencies = [("alarms", "0001_initial"), ("geo_core", "0006_change_notifications")]

    operations = [migrations.RunSQL(notify.triggers("alarms_alarm", "location"), notify.drop("alarms_alarm"))]
