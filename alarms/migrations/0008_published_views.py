"""What alarms publishes to the other rooms (issue 25, pygeoapi's provider seam at the SQL level): two views with
the columns a map, a count or a statistic may read. Layers, counts and heat maps read these, never alarms_alarm's
other columns or its lifecycle; the change notices still come from alarms_alarm (migration 0002).

- `alarms_open`: alarms still to handle (raised, acknowledged, dispatched);
- `alarms_record`: every alarm but the suppressed ones (history: heat maps, key-area statistics).
"""

from django.db import migrations

COLUMNS = """id, type, category, code, severity, status, company_code, raised_at, ended_at, detected_at, location,
             enterprise_id, subject_id, zone_id, permit_id"""

VIEWS = f"""
CREATE VIEW alarms_open AS SELECT {COLUMNS} FROM alarms_alarm
WHERE status IN ('raised', 'acknowledged', 'dispatched');
CREATE VIEW alarms_record AS SELECT {COLUMNS} FROM alarms_alarm WHERE status <> 'suppressed';
"""


class Migration(migrations.Migration):
    dependencies = [("alarms", "0007_life_safety_rules")]

    operations = [migrations.RunSQL(VIEWS, "DROP VIEW IF EXISTS alarms_open; DROP VIEW IF EXISTS alarms_record;")]
