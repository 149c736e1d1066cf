"""The counts per region read open alarms from what alarms publishes (`alarms_open`, alarms migration 0008) instead
of alarms_alarm and its statuses (issue 25). The function is 0002's otherwise."""

import importlib

from django.db import migrations

before = importlib.import_module("layers.migrations.0002_region_counts")
OLD = """FROM alarms_alarm al JOIN r ON ST_Intersects(r.geom, al.location)
        WHERE al.status IN ('raised', 'acknowledged', 'dispatched')"""
NEW = """FROM alarms_open al JOIN r ON ST_Intersects(r.geom, al.location)"""
COUNTS = before.FUNCTION[before.FUNCTION.index("CREATE FUNCTION layers_region_counts") :]
assert OLD in COUNTS


class Migration(migrations.Migration):
    dependencies = [("layers", "0002_region_counts"), ("alarms", "0008_published_views")]

    operations = [
        migrations.RunSQL(
            COUNTS.replace(OLD, NEW).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
            COUNTS.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
        )
    ]
