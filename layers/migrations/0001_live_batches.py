"""The live feed's change sets, shared by the server processes (layers.fanout): one process computes each tick's
batch, stores it here and NOTIFYs layers_live with its end cursor; the others read it by that. UNLOGGED: it is derived,
a minute's worth, and after a crash the feed starts again from the states."""

from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = [("geo_core", "0015_import_jobs")]

    operations = [
        migrations.RunSQL(
            """
            CREATE UNLOGGED TABLE layers_livebatch (
                newest bigint PRIMARY KEY,  -- the batch's end cursor (microseconds): its name
                start bigint NOT NULL,
                made_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                rows bytea NOT NULL
            );
            ALTER TABLE layers_livebatch ALTER COLUMN rows SET STORAGE EXTERNAL;
            """,
            "DROP TABLE layers_livebatch",
        )
    ]
