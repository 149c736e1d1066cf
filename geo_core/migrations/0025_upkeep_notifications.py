"""Change notices for the maintenance units' and rescue stations' tables (their map layers' tiles follow them)."""

from importlib import import_module

from django.db import migrations

notify = import_module("geo_core.migrations.0006_change_notifications")
TABLES = {"geo_core_maintenanceunit": "location", "geo_core_rescuestation": "location"}


class Migration(migrations.Migration):
    dependencies = [("geo_core", "0024_sync_cursor")]

    operations = [migrations.RunSQL(notify.triggers(t, c), notify.drop(t)) for t, c in TABLES.items()]
