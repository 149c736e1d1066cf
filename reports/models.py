"""What the reports room keeps as data arrives (DESIGN.md: aggregates kept as data arrives, never recomputed from the
position history per request)."""

from __future__ import annotations

from django.contrib.gis.db import models

from geo_core.models.base import SRID
from geo_core.scope import Visibility


class WorkRecord(models.Model):
    """One spell of welding in a key area, a temporary zone or a key period (seed 003: "对重点区域、重要时段的作业
    进行实时记录，包括区域名称、作业焊工、作业焊机、作业时间等信息"): begun when a powered machine is found inside
    the area (or powered during the period), ended when it leaves or is powered off. The alarm worker decides both
    from positions and power (the welder alarm types); this row is written in the same transaction as the alarm."""

    VISIBILITY = Visibility("enterprise", "location")

    class Kind(models.TextChoices):
        KEY_AREA = "key_area", "重点区域作业"
        TEMPORARY_ZONE = "temporary_zone", "临时区域作业"
        KEY_PERIOD = "key_period", "重点时段作业"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    alarm = models.OneToOneField(
        "alarms.Alarm", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_record"
    )
    zone = models.ForeignKey("geo_core.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    area_name = models.CharField(max_length=128, blank=True, help_text="the zone's or period's name when it began")
    machine = models.ForeignKey("geo_core.Subject", on_delete=models.CASCADE, related_name="work_records")
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    district = models.ForeignKey("geo_core.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    operator_id = models.CharField(max_length=64, blank=True, help_text="the welder of the machine's last start-up")
    operator_name = models.CharField(max_length=64, blank=True)
    certificate = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.PositiveIntegerField(null=True, blank=True)
    location = models.PointField(srid=SRID, null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["-started_at", "-id"]),
            models.Index(fields=["district", "-started_at"]),
            models.Index(fields=["enterprise", "-started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.area_name} {self.started_at:%Y-%m-%d %H:%M}"


class DailyCount(models.Model):
    """Counts per day of the park's calendar and district, kept as data arrives by a trigger in the database
    (migration reports 0002): `startup` is a welding machine powered on (开机作业), in the district where the machine
    was at that moment (its live state). The 7- and 15-day start-up trends read a few hundred of these rows, never
    the device events."""

    day = models.DateField()
    metric = models.CharField(max_length=16)
    district = models.ForeignKey("geo_core.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "metric", "district"], name="dailycount_unique", nulls_distinct=False
            )
        ]
