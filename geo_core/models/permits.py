"""Special-operation permits (GB 30871-2022), with the AQ 3064.2-2025 machine codes."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.gis.db import models

from geo_core.models.base import SRID, Timestamped, valid_geometry_constraint


class TicketType(models.TextChoices):
    """AQ 3064.2 TICKETTYPE. The first two digits group the 8 GB 30871 operation types."""

    HOT_WORK_SPECIAL = "01", "动火作业(特级)"
    HOT_WORK_1 = "02", "动火作业(一级)"
    HOT_WORK_2 = "03", "动火作业(二级)"
    TEMPORARY_POWER = "10", "临时用电作业"
    HEIGHT_1 = "21", "高处作业(I级)"
    HEIGHT_2 = "22", "高处作业(II级)"
    HEIGHT_3 = "23", "高处作业(III级)"
    HEIGHT_4 = "24", "高处作业(IV级)"
    EXCAVATION = "30", "动土作业"
    ROAD_CLOSURE = "40", "断路作业"
    BLINDING = "50", "盲板抽堵作业"
    LIFTING_1 = "61", "吊装作业(一级)"
    LIFTING_2 = "62", "吊装作业(二级)"
    LIFTING_3 = "63", "吊装作业(三级)"
    CONFINED_SPACE = "70", "受限空间作业"


# The 8 GB 30871 operation types, keyed by ticket type code.
OPERATION_TYPE = {
    "01": "hot_work", "02": "hot_work", "03": "hot_work",
    "10": "temporary_power",
    "21": "height", "22": "height", "23": "height", "24": "height",
    "30": "excavation",
    "40": "road_closure",
    "50": "blinding",
    "61": "lifting", "62": "lifting", "63": "lifting",
    "70": "confined_space",
}  # fmt: skip

# GB 30871-2022 longest validity by ticket type; None where the standard sets no general limit.
MAX_VALIDITY: dict[str, timedelta | None] = {
    "01": timedelta(hours=8),
    "02": timedelta(hours=8),
    "03": timedelta(hours=72),
    "70": timedelta(hours=24),
    "21": timedelta(days=7), "22": timedelta(days=7), "23": timedelta(days=7), "24": timedelta(days=7),
    "10": timedelta(days=15),
}  # fmt: skip


class PermitStatus(models.IntegerChoices):
    """AQ 3064.2 permit status."""

    NOT_ISSUED = 0, "未签发"
    ISSUED = 1, "已签发"
    IN_PROGRESS = 2, "作业中"
    ACCEPTED = 3, "已验收"
    VOIDED = 4, "已作废"
    REVOKED = 5, "已取消"
    PAUSED = 6, "暂停"


class WorkPermit(Timestamped):
    enterprise = models.ForeignKey("geo_core.Enterprise", on_delete=models.PROTECT, related_name="permits")
    site = models.ForeignKey(
        "geo_core.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="permits",
        help_text="must be one of the enterprise's own sites (composite foreign key in the database)",
    )
    ticket_no = models.CharField(max_length=64)
    ticket_type = models.CharField(max_length=2, choices=TicketType.choices)
    status = models.PositiveSmallIntegerField(choices=PermitStatus.choices, default=PermitStatus.NOT_ISSUED)
    content = models.TextField(blank=True, help_text="work content (作业内容)")
    location = models.PointField(srid=SRID, help_text="work location (LONGITUDE/LATITUDE)")
    work_area = models.MultiPolygonField(srid=SRID, null=True, blank=True)
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    guardian = models.ForeignKey(
        "geo_core.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="guarded_permits"
    )
    approver = models.ForeignKey(
        "geo_core.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="approved_permits"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    workers = models.ManyToManyField("geo_core.Subject", blank=True, related_name="permits")
    supervisor_name = models.CharField(max_length=64, blank=True)
    is_contractor_work = models.BooleanField(default=False)
    video_url = models.URLField(max_length=512, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-planned_start"]
        indexes = [models.Index(fields=["status", "ticket_type"]), models.Index(fields=["planned_start"])]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "ticket_no"], name="permit_ticket_no_per_enterprise"),
            models.CheckConstraint(condition=models.Q(ticket_type__in=TicketType.values), name="permit_ticket_type"),
            models.CheckConstraint(condition=models.Q(status__lte=6), name="permit_status_code"),
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("planned_start")), name="permit_planned_order"
            ),
            models.CheckConstraint(
                condition=models.Q(actual_start__isnull=True)
                | models.Q(actual_end__isnull=True)
                | models.Q(actual_end__gte=models.F("actual_start")),
                name="permit_actual_order",
            ),
            valid_geometry_constraint("permit", "work_area", nullable=True),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_no} [{self.ticket_type}/{self.status}]"

    @property
    def operation_type(self) -> str:
        return OPERATION_TYPE[self.ticket_type]


class GasTest(models.Model):
    """A gas analysis for a permit (GB 30871: within 30 min before hot work / confined-space entry)."""

    permit = models.ForeignKey(WorkPermit, on_delete=models.CASCADE, related_name="gas_tests")
    gas_name = models.CharField(max_length=32, help_text="GASNAME, e.g. O2, CH4, H2S, CO")
    sampled_at = models.DateTimeField(help_text="GASTIME")
    value = models.FloatField(help_text="GASVALUE")
    unit = models.CharField(max_length=16, help_text="%VOL, %LEL, ppm, mg/m3")
    qualified = models.BooleanField()
    sample_point = models.CharField(max_length=128, blank=True)
    analyst = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["permit_id", "sampled_at"]

    def __str__(self) -> str:
        return f"{self.gas_name}={self.value}{self.unit}"
