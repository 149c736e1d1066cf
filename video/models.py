"""Video channels as data (VID-1): each camera's GB/T 28181 channel code, what it is, whose it is, what it belongs to
(a body camera's holder device, a site), and for a fixed camera where it stands and what it sees (its field of view
as a sector polygon, derived from position, heading, angle and range when saved)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError

from geo_core.models.base import SRID, Timestamped, valid_geometry_constraint
from geo_core.scope import Visibility
from geo_core.validation import validate_geometry
from video import fov
from video.codes import channel_code


def validate_code(value: str) -> None:
    try:
        channel_code(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class VideoChannel(Timestamped):
    class Kind(models.TextChoices):
        FIXED = "fixed", "固定摄像机"
        PTZ = "ptz", "云台摄像机"
        BODY_CAMERA = "body_camera", "执法记录仪"
        DRONE = "drone", "无人机"

    # Who may see it (geo_core.scope.Visibility): its enterprise's, or the park's and authorities' for everyone.
    VISIBILITY = Visibility("enterprise", "location", shared=True)

    code = models.CharField(max_length=20, unique=True, validators=[validate_code], help_text="GB/T 28181 通道编码")
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="video_channels"
    )
    authority = models.CharField(max_length=128, blank=True, help_text="管理单位 of a channel of no enterprise")
    subject = models.ForeignKey(
        "geo_core.Subject",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="video_channels",
        help_text="the device it belongs to (a body camera, a drone): where it is, who carries it",
    )
    site = models.ForeignKey("geo_core.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    location = models.PointField(srid=SRID, null=True, blank=True, validators=[validate_geometry])
    heading = models.FloatField(null=True, blank=True, help_text="degrees clockwise from north")
    angle = models.FloatField(null=True, blank=True, help_text="horizontal field of view, degrees")
    range_m = models.FloatField(null=True, blank=True, help_text="how far it resolves a person, metres")
    fov = models.PolygonField(srid=SRID, null=True, blank=True, help_text="field of view (derived)")
    active = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^[0-9]{20}$"), name="videochannel_code_digits"),
            valid_geometry_constraint("videochannel", "fov", nullable=True),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        fixed = self.kind in (self.Kind.FIXED, self.Kind.PTZ)
        errors = fov.problems(fixed, self.location is not None, self.heading, self.angle, self.range_m)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        self.fov = self.field_of_view()
        super().save(*args, **kwargs)

    def field_of_view(self) -> GEOSGeometry | None:
        if self.location is None or None in (self.heading, self.angle, self.range_m):
            return None
        sector = fov.sector(self.location.x, self.location.y, self.heading, self.angle, self.range_m)
        return GEOSGeometry(sector.wkt, srid=SRID)


class GroupCall(Timestamped):
    """A group call started from a map selection through the fusion-communication platform (seed 002: 一键发起 VoLTE
    视频通话组会): who started it, where (the selection drawn), its members as they joined and left, and the
    platform's id for it. Seen by whoever started it; every change audited."""

    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        ENDED = "ended", "已结束"
        FAILED = "failed", "未能发起"

    initiator = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="group_calls")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    platform_id = models.CharField(max_length=128, blank=True, help_text="the platform's id of the call")
    selection = models.MultiPolygonField(srid=SRID, null=True, blank=True, help_text="the area drawn on the map")
    reason = models.CharField(max_length=500, blank=True, help_text="why it failed (the platform's answer)")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class GroupCallMember(models.Model):
    """One party to a call: a subject (a person's phone, a body camera, a phone) or a camera's channel, with the
    address the platform dialled (terminal id, phone number, SIP URI), when it joined and when it was removed."""

    call = models.ForeignKey(GroupCall, on_delete=models.CASCADE, related_name="members")
    subject = models.ForeignKey("geo_core.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.ForeignKey(VideoChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=128)
    address = models.JSONField(default=dict, help_text="terminal, phone, sip: what the platform dials")
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]


class InspectionPlan(Timestamped):
    """An enforcement plan of a day (seed 004, 执法计划: 检查名称, 检查类型, 计划检查时间, 检查企业): the enterprises
    to visit in order and the officers who go, known by their body cameras. Its progress (visited, on site now, to
    visit) is not stored: it is read from the cameras' positions against the enterprises' sites when asked
    (video/inspections.py), so it is never stale and needs no worker. The authorities' own: an enterprise does not
    see the plans that concern it."""

    class Kind(models.TextChoices):
        SITE = "site", "现场检查"
        REVIEW = "review", "整改复查"
        SPECIAL = "special", "专项检查"

    name = models.CharField(max_length=128, help_text="检查名称")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SITE)
    day = models.DateField(help_text="计划检查时间 (a day in Asia/Shanghai)")
    department = models.CharField(max_length=128, blank=True, help_text="检查部门")
    officers = models.ManyToManyField("geo_core.Subject", related_name="+", help_text="the officers' body cameras")
    created_by = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "id"]
        indexes = [models.Index(fields=["day"])]


class InspectionStop(models.Model):
    """One enterprise of a plan, in the order the officers are to visit."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="stops")
    enterprise = models.ForeignKey("geo_core.Enterprise", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["plan", "order"]
        constraints = [models.UniqueConstraint(fields=["plan", "enterprise"], name="inspectionstop_once")]
