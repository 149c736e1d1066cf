"""Change notices for the tables the layers read that did not send them (found by the registry's consistency test,
issue 25): a permit's workers and gas tests, and subjects (names and ids shown on permits and positions). Without
them a permit's tile kept its old workers until the permit itself changed."""

import importlib

from django.db import migrations

notices = importlib.import_module("geo_core.migrations.0006_change_notifications")

TABLES = {"geo_core_workpermit_workers": "", "geo_core_gastest": "", "geo_core_subject": ""}


class Migration(migrations.Migration):
    dependencies = [("geo_core", "0020_device_vendors")]

    operations = [migrations.RunSQL(notices.triggers(t, c), notices.drop(t)) for t, c in TABLES.items()]
