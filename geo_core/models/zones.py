"""Zones (electronic fences) and the time windows they apply in."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator

from geo_core.models.base import SRID, Timestamped, valid_geometry_constraint
from geo_core.scope import Visibility
from geo_core.validation import validate_geometry


class TimeWindow(Timestamped):
    """A named, reusable calendar entry: a one-off period (a key event) or a recurring one given as an
    iCalendar RRULE plus a duration (night hours, weekends), as Traccar's calendars are. Evaluated by
    geo_core.timewindows."""

    class Kind(models.TextChoices):
        PERIOD = "period", "one-off period"
        RECURRING = "recurring", "recurring (RRULE)"

    name = models.CharField(max_length=128, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    purpose = models.CharField(
        max_length=32,
        blank=True,
        help_text="key_period, night, holiday, shift ... (free label; `shift`: people's working hours)",
    )
    starts_at = models.DateTimeField(help_text="start of the period, or DTSTART of the recurrence")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="end of a one-off period")
    rrule = models.CharField(max_length=512, blank=True, help_text="iCalendar RRULE, e.g. FREQ=DAILY")
    duration = models.DurationField(null=True, blank=True, help_text="length of each recurring occurrence")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="period", ends_at__isnull=False, ends_at__gt=models.F("starts_at"), rrule="")
                    | models.Q(
                        kind="recurring", duration__isnull=False, duration__gt=timedelta(0), ends_at__isnull=True
                    )
                    & ~models.Q(rrule="")
                ),
                name="timewindow_kind_fields",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from geo_core.timewindows import validate_window

        validate_window(self)

    def contains(self, when) -> bool:
        from geo_core.timewindows import window_contains

        return window_contains(self, when)


class Zone(Timestamped):
    # Who may see its rows (geo_core.scope.Visibility): an enterprise's, or the park's for all.
    VISIBILITY = Visibility("enterprise", "geom", shared=True)

    class Kind(models.TextChoices):
        KEY_PLACE = "key_place", "重点场所"
        FORBIDDEN = "forbidden", "禁区"
        WORK_AREA = "work_area", "作业区域"
        POST = "post", "岗位"
        MUSTER_POINT = "muster_point", "集合点"
        SITE_BOUNDARY = "site_boundary", "厂区边界"
        TEMPORARY = "temporary", "临时区域"

    class WindowMode(models.TextChoices):
        ALWAYS = "always", "always in force"
        INSIDE = "inside", "only inside its time windows"
        OUTSIDE = "outside", "only outside its time windows"

    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="zones"
    )
    authority = models.CharField(
        max_length=128, blank=True, help_text="owning authority (park, district bureau) when no enterprise owns it"
    )
    external_id = models.CharField(max_length=64, blank=True, help_text="the owner's id (AQ 3064.3 B.2 ID)")
    geom = models.MultiPolygonField(srid=SRID, validators=[validate_geometry])
    floor = models.SmallIntegerField(
        null=True,
        blank=True,
        help_text="building floor for 3D fences",
        validators=[MinValueValidator(-10), MaxValueValidator(300)],
    )
    height_min = models.FloatField(
        null=True, blank=True, help_text="metres", validators=[MinValueValidator(-500.0), MaxValueValidator(10_000.0)]
    )
    height_max = models.FloatField(
        null=True, blank=True, help_text="metres", validators=[MinValueValidator(-500.0), MaxValueValidator(10_000.0)]
    )
    capacity_min = models.PositiveIntegerField(null=True, blank=True)
    capacity_max = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    window_mode = models.CharField(max_length=8, choices=WindowMode.choices, default=WindowMode.ALWAYS)
    time_windows = models.ManyToManyField(TimeWindow, blank=True, related_name="zones")
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "active"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "key_place",
                        "forbidden",
                        "work_area",
                        "post",
                        "muster_point",
                        "site_boundary",
                        "temporary",
                    ]
                ),
                name="zone_kind",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(enterprise__isnull=False, authority="")
                    | models.Q(enterprise__isnull=True) & ~models.Q(authority="")
                ),
                name="zone_owner_enterprise_xor_authority",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity_min__isnull=True)
                | models.Q(capacity_max__isnull=True)
                | models.Q(capacity_min__lte=models.F("capacity_max")),
                name="zone_capacity_min_le_max",
            ),
            models.CheckConstraint(
                condition=models.Q(height_min__isnull=True)
                | models.Q(height_max__isnull=True)
                | models.Q(height_min__lt=models.F("height_max")),
                name="zone_height_min_lt_max",
            ),
            valid_geometry_constraint("zone", "geom"),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.kind}]"

    @property
    def aq_zone_type(self) -> str:
        """AQ 3064.3 B.2 ZONE_TYPE: 0 temporary, 1 fixed."""
        return "0" if self.kind == self.Kind.TEMPORARY else "1"
