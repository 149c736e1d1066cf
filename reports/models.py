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
    was at that moment (its live state); `alarm:<type>` an alarm raised (not suppressed), in its district (属地), kept
    by a trigger on the alarm table (migration reports 0005). The trends read a few hundred of these rows, never the
    device events or a year of alarms."""

    day = models.DateField()
    metric = models.CharField(max_length=48, help_text="startup, or alarm:<type>")
    district = models.ForeignKey("geo_core.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "metric", "district"], name="dailycount_unique", nulls_distinct=False
            )
        ]


class Complaint(models.Model):
    """A report or complaint about welding work from the public (seed 003: "将社会面涉焊作业的举报投诉信息按照所属
    区域进行下发，由区应急局对投诉内容做出反馈"): taken in by the city, routed to the district whose polygon holds its
    place (or its address, geocoded against the service's own addresses), answered by that district with feedback."""

    class Status(models.TextChoices):
        UNROUTED = "unrouted", "待分派"
        ROUTED = "routed", "已下发"
        ANSWERED = "answered", "已反馈"

    number = models.CharField(max_length=32, unique=True)
    received_at = models.DateTimeField()
    source = models.CharField(max_length=32, blank=True, help_text="来源: 12345热线, 网站, 现场 ...")
    reporter = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    content = models.TextField()
    address = models.CharField(max_length=256, blank=True)
    location = models.PointField(srid=SRID, null=True, blank=True)
    located_by = models.CharField(max_length=16, blank=True, help_text="point, address, district or empty")
    district = models.ForeignKey("geo_core.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNROUTED)
    routed_at = models.DateTimeField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    result = models.CharField(max_length=16, blank=True, help_text="查实, 部分查实, 不属实")
    answered_by = models.CharField(max_length=150, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["district", "-received_at"]), models.Index(fields=["-received_at"])]

    def __str__(self) -> str:
        return self.number


class ReportFile(models.Model):
    """A weekly or monthly report of a region (seed 001: "生成包含故障统计、趋势分析、改进建议的标准化报告"): its
    numbers, the PDF and the workbook, made on demand or on schedule (reports.files), kept and listed."""

    class Kind(models.TextChoices):
        WEEK = "week", "周报"
        MONTH = "month", "月报"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    region = models.ForeignKey("geo_core.Region", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField(help_text="the last day included")
    created_at = models.DateTimeField(auto_now=True)
    created_by = models.CharField(max_length=150, blank=True, help_text="a user, or 'schedule'")
    summary = models.JSONField(default=dict)
    pdf = models.BinaryField()
    xlsx = models.BinaryField()

    class Meta:
        ordering = ["-period_start", "region_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "region", "period_start"], name="reportfile_unique_period")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.region_id} {self.period_start}"
