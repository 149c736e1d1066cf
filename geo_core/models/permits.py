"""Special-operation permits (GB 30871-2022), with the AQ 3064.2-2025 machine codes."""

from __future__ import annotations

from django.contrib.gis.db import models

from geo_core.models.base import SRID, Timestamped, valid_geometry_constraint
from geo_core.permit_codes import OPERATION_TYPE, STATUSES, TICKET_TYPES
from geo_core.scope import Visibility
from geo_core.validation import validate_geometry

TicketType = models.TextChoices("TicketType", [(name, (code, label)) for code, (name, label) in TICKET_TYPES.items()])
TicketType.__doc__ = "AQ 3064.2 TICKETTYPE."
PermitStatus = models.IntegerChoices(
    "PermitStatus", [(name, (code, label)) for code, (name, label) in STATUSES.items()]
)
PermitStatus.__doc__ = "AQ 3064.2 permit status."


class WorkPermit(Timestamped):
    VISIBILITY = Visibility("enterprise", "location")  # who may see its rows (geo_core.scope.Visibility)

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
    location = models.PointField(
        srid=SRID, validators=[validate_geometry], help_text="work location (LONGITUDE/LATITUDE)"
    )
    work_area = models.MultiPolygonField(srid=SRID, null=True, blank=True, validators=[validate_geometry])
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
    contractor = models.ForeignKey(
        "geo_core.Contractor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="permits",
        help_text="the unit doing the work (CONTRACTOR_CODE)",
    )
    video_url = models.URLField(max_length=512, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    deleted = models.BooleanField(default=False, help_text="withdrawn by its enterprise (DELETED=1): kept, not shown")

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
