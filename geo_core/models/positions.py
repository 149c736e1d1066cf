"""Position history and the live state of every subject.

PositionFix is a PostgreSQL table partitioned by day (Asia/Shanghai days), created by migration SQL rather
than by Django (Django cannot declare partitioning); geo_core.partitions keeps partitions ready ahead of time.
Its primary key (subject, time) makes a fix that arrives twice land once. SubjectState holds one row per
subject with the latest fix, for the live map and for enter/exit comparisons.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models.functions import Now

from geo_core.models.base import SRID
from geo_core.validation import validate_geometry


class Source(models.TextChoices):
    REPORT_API = "report_api", "enterprise report API"
    MQTT = "mqtt", "MQTT device"
    HTTP = "http", "HTTP device"
    SIMULATOR = "simulator", "simulator"
    IMPORT = "import", "file import"
    DEMO = "demo", "demo loader"


class PositionFix(models.Model):
    pk = models.CompositePrimaryKey("subject", "time")
    subject = models.ForeignKey("geo_core.Subject", on_delete=models.PROTECT, related_name="+")
    time = models.DateTimeField()
    geom = models.PointField(
        srid=SRID,
        dim=3,
        spatial_index=False,
        help_text="z: ellipsoidal height, 0 if unknown",
        validators=[validate_geometry],
    )
    accuracy_m = models.FloatField(null=True, blank=True, help_text="accuracy radius, metres")
    floor = models.SmallIntegerField(null=True, blank=True)
    speed_mps = models.FloatField(null=True, blank=True)
    heading_deg = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    raw_x = models.FloatField(help_text="coordinate as received (lon, easting...)")
    raw_y = models.FloatField(help_text="coordinate as received (lat, northing...)")
    raw_z = models.FloatField(null=True, blank=True, help_text="height as received; null when none was sent")
    raw_crs = models.CharField(max_length=32, help_text="CRS the source declared (cgcs2000, gcj02, EPSG:...)")
    received_at = models.DateTimeField(db_default=Now())
    batch_id = models.BigIntegerField(null=True, blank=True, help_text="the ingest batch that stored the fix")

    class Meta:
        # The table, its partitions and its BRIN index come from migration SQL (see 0002_positionfix_partitioned).
        managed = False
        db_table = "geo_core_positionfix"

    def __str__(self) -> str:
        return f"{self.subject_id}@{self.time.isoformat()}"


class SubjectState(models.Model):
    subject = models.OneToOneField("geo_core.Subject", primary_key=True, on_delete=models.CASCADE, related_name="state")
    time = models.DateTimeField(help_text="time of the latest fix")
    # A 2D index (migration 0007) instead of Django's N-D one for a 3D field: `&&` and ST_Intersects (tiles, counts per
    # district, bbox queries) are 2D and cannot use an N-D index; with it every such query scanned the table.
    geom = models.PointField(srid=SRID, dim=3, spatial_index=False, validators=[validate_geometry])
    accuracy_m = models.FloatField(null=True, blank=True)
    floor = models.SmallIntegerField(null=True, blank=True)
    speed_mps = models.FloatField(null=True, blank=True)
    heading_deg = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    online = models.BooleanField(default=True)
    live = models.JSONField(default=dict, blank=True, help_text="live device fields: power, battery, sos ...")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["time"])]  # and subjectstate_geom_2d (migration 0007: Django forces N-D)

    def __str__(self) -> str:
        return f"state of {self.subject_id}"
