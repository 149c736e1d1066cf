"""Current positions get a 2D spatial index in place of Django's N-D one (which it gives every 3D field and which
`&&` / ST_Intersects cannot use: tiles, bbox queries and counts per district scanned the whole table)."""

import django.contrib.gis.db.models.fields
import geo_core.validation
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("geo_core", "0006_change_notifications")]

    operations = [
        migrations.AlterField(
            model_name="subjectstate",
            name="geom",
            field=django.contrib.gis.db.models.fields.PointField(
                dim=3, spatial_index=False, srid=4490, validators=[geo_core.validation.validate_geometry]
            ),
        ),
        migrations.RunSQL(
            "CREATE INDEX subjectstate_geom_2d ON geo_core_subjectstate USING gist (geom gist_geometry_ops_2d)",
            "DROP INDEX subjectstate_geom_2d",
        ),
    ]
