"""Rules (data), alarms with their lifecycle and evidence, work orders, suppression windows, the push outbox and the
engine's saved state."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from alarms import rules  # noqa: F401  (the whole register: the types are the choices)
from alarms.catalogue import SEVERITIES, TYPES
from geo_core.errors import ConflictError
from geo_core.models.base import SRID, Timestamped
from geo_core.scope import Visibility

TYPE_CHOICES = [(t.name, f"{t.name} · {t.label}") for t in TYPES.values()]
CATEGORIES = sorted({t.category for t in TYPES.values()})


class WindowMode(models.TextChoices):
    ALWAYS = "always", "always in force"
    INSIDE = "inside", "only inside its time windows"
    OUTSIDE = "outside", "only outside its time windows"


class AlarmRule(Timestamped):
    """One rule: a type, what it watches, whom it applies to, its thresholds, when, and where work orders go."""

    VISIBILITY = Visibility("enterprise", shared=True)  # who may see it: park-wide rules are everyone's

    name = models.CharField(max_length=128)
    type = models.CharField(max_length=32, choices=TYPE_CHOICES)
    active = models.BooleanField(default=True)
    severity = models.CharField(max_length=16, blank=True, help_text="empty: the type's default")
    params = models.JSONField(default=dict, blank=True, help_text="thresholds over the type's defaults")
    zones = models.ManyToManyField("geo_core.Zone", blank=True, related_name="alarm_rules")
    zone_kinds = models.JSONField(default=list, blank=True, help_text="with no zones named: zones of these kinds")
    enterprise = models.ForeignKey(
        "geo_core.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alarm_rules",
        help_text="only this enterprise's subjects and zones",
    )
    subject_kinds = models.JSONField(default=list, blank=True, help_text="person, welder, ...; empty: the type's")
    person_types = models.JSONField(default=list, blank=True, help_text="AQ 3064.3 PERSON_TYPE 01/02/03")
    tags = models.JSONField(default=list, blank=True, help_text="subjects whose attributes.tags share one of these")
    window_mode = models.CharField(max_length=8, choices=WindowMode.choices, default=WindowMode.ALWAYS)
    time_windows = models.ManyToManyField("geo_core.TimeWindow", blank=True, related_name="alarm_rules")
    route_department = models.CharField(max_length=64, blank=True, help_text="department that gets the work order")
    route_enterprise = models.BooleanField(default=True, help_text="the enterprise concerned gets it too")
    auto_dispatch = models.BooleanField(
        default=False, help_text="a work order goes to the department (and the enterprise) as soon as it is raised"
    )
    description = models.TextField(blank=True)
    life_safety = models.BooleanField(
        default=False,
        editable=False,
        help_text="the park's rule of a life-safety type (SOS, man down, feed outage): cannot be deleted, switched "
        "off, narrowed or suppressed; thresholds only within the type's safe bounds",
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(type__in=list(TYPES)), name="alarmrule_type")]

    def __str__(self) -> str:
        return f"{self.name} [{self.type}]"

    def clean(self) -> None:
        errors = {}
        if self.type not in TYPES:
            errors["type"] = f"unknown alarm type {self.type!r}; known: {', '.join(TYPES)}"
        elif not isinstance(self.params, dict):
            errors["params"] = "must be an object of thresholds"
        else:
            known = set(TYPES[self.type].defaults) | {
                "enter_dwell_s",
                "exit_dwell_s",
                "enter_margin_m",
                "exit_margin_m",
            }
            unknown = sorted(set(self.params) - known)
            if unknown:
                errors["params"] = f"unknown thresholds {unknown} for {self.type}; known: {sorted(known)}"
            bad = [k for k, v in self.params.items() if k in known and not isinstance(v, (int, float, list))]
            if bad:
                errors["params"] = f"thresholds {bad} must be numbers"
        if self.severity and self.severity not in SEVERITIES:
            errors["severity"] = f"must be one of {', '.join(SEVERITIES)}"
        for name in ("zone_kinds", "subject_kinds", "person_types", "tags"):
            if not isinstance(getattr(self, name), list):
                errors[name] = "must be a list"
        if self.life_safety and not errors:
            errors.update(self._unsafe_params())
        if errors:
            raise ValidationError(errors)

    # What a life-safety rule keeps as it is: narrowing any of these would switch it off for someone.
    LIFE_SAFETY_FIXED = (
        "type",
        "active",
        "zone_kinds",
        "subject_kinds",
        "person_types",
        "tags",
        "window_mode",
        "enterprise_id",
        "life_safety",
    )

    def _unsafe_params(self) -> dict[str, str]:
        bounds = TYPES[self.type].safe_bounds or {}
        for k, v in self.params.items():
            if k not in bounds:
                return {"params": f"{k}: not a threshold of a life-safety rule; may change: {sorted(bounds)}"}
            lo, hi = bounds[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                return {"params": f"{k}: {v!r} is outside the safe bounds [{lo}, {hi}] of a life-safety rule"}
        return {}

    def fixed_fields(self) -> dict:
        """The fields a life-safety rule keeps, as they are now (taken before a change)."""
        return {f: getattr(self, f) for f in self.LIFE_SAFETY_FIXED}

    def refuse_unsafe_change(self, before: dict | None) -> None:
        """ProtectedRuleError when a change would switch a life-safety rule off for anyone (`before`: fixed_fields()
        taken before the change)."""
        if before is None or not before["life_safety"]:
            return
        changed = [f for f, v in before.items() if getattr(self, f) != v]
        if changed:
            raise ProtectedRuleError(
                f"rule {self.id} ({self.name}) is a life-safety rule: {', '.join(changed)} "
                "cannot change; only its thresholds, within their safe bounds"
            )

    def delete(self, *args, **kwargs):
        if self.life_safety:
            raise ProtectedRuleError(f"rule {self.id} ({self.name}) is a life-safety rule and cannot be deleted")
        return super().delete(*args, **kwargs)


class ProtectedRuleError(ConflictError):
    """A change that would delete or switch off a life-safety rule (HTTP 409); the database refuses it too."""


class Suppression(Timestamped):
    """报警静默: alarms of these types (all when empty), in this zone / of this enterprise, inside this period or
    time window, are recorded as suppressed and not pushed."""

    VISIBILITY = Visibility("enterprise")  # who may see it (geo_core.scope.Visibility)

    name = models.CharField(max_length=128)
    active = models.BooleanField(default=True)
    types = models.JSONField(default=list, blank=True)
    zone = models.ForeignKey("geo_core.Zone", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    time_window = models.ForeignKey(
        "geo_core.TimeWindow",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="a recurring window (e.g. a weekly drill)",
    )
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="suppression_period_order",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AlarmStatus(models.TextChoices):
    RAISED = "raised", "已报警"
    ACKNOWLEDGED = "acknowledged", "已确认"
    DISPATCHED = "dispatched", "已派单"
    RESOLVED = "resolved", "已处置"
    CLOSED = "closed", "已关闭"
    SUPPRESSED = "suppressed", "已静默"


class Alarm(models.Model):
    VISIBILITY = Visibility("enterprise", "location")  # who may see it: its enterprise's, or where it is

    key = models.CharField(max_length=200, unique=True, help_text="de-duplication: rule, subject/zone, visit")
    rule = models.ForeignKey(AlarmRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    type = models.CharField(max_length=32, choices=TYPE_CHOICES)
    category = models.CharField(max_length=16)
    code = models.CharField(max_length=4, null=True, blank=True)
    severity = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=AlarmStatus.choices, default=AlarmStatus.RAISED)
    subject = models.ForeignKey(
        "geo_core.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms"
    )
    subjects = models.JSONField(default=list, blank=True, help_text="external ids, for groups")
    zone = models.ForeignKey("geo_core.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    permit = models.ForeignKey(
        "geo_core.WorkPermit", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms"
    )
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms"
    )
    company_code = models.CharField(max_length=18, blank=True)
    location = models.PointField(srid=SRID, null=True, blank=True)
    # Jurisdiction (属地): the district where it happened (its place, else its permit's or enterprise's site) and the
    # park of the enterprise concerned; alarm lists and work orders are filtered and routed by them.
    district = models.ForeignKey(
        "geo_core.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms"
    )
    park = models.ForeignKey("geo_core.Park", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    # Seed 003 (预警确认): the enterprise's confirmations with its feedback, [{by, at, comment}], newest last.
    confirmations = models.JSONField(default=list, blank=True)
    raised_at = models.DateTimeField(help_text="when the condition began (ALARM_TIME)")
    detected_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="when the condition ended (ALARM_END_TIME)")
    updated_at = models.DateTimeField(auto_now=True)
    evidence = models.JSONField(default=dict)
    suppressed_by = models.ForeignKey(
        Suppression, null=True, blank=True, on_delete=models.SET_NULL, related_name="suppressed"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["-raised_at", "-id"]),
            models.Index(fields=["status", "type"]),
            models.Index(fields=["enterprise", "-raised_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} ({self.status})"


class AlarmAction(models.Model):
    """The lifecycle log: every step of an alarm, with who and when."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=16)  # raised, updated, ended, acknowledged, dispatched, resolved, closed
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField(max_length=150, help_text="username, or 'engine'")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]


class WorkOrder(Timestamped):
    VISIBILITY = Visibility("alarm__enterprise", "alarm__location")  # as its alarm

    class Status(models.TextChoices):
        OPEN = "open", "待处置"
        RESOLVED = "resolved", "已处置"
        CLOSED = "closed", "已关闭"

    alarm = models.OneToOneField(Alarm, on_delete=models.CASCADE, related_name="work_order")
    number = models.CharField(max_length=32, unique=True)
    department = models.CharField(max_length=64, blank=True)
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    instructions = models.TextField(blank=True)
    # Who was sent (chosen on the command centre's map): [{"code", "name", "kind"}], as they were when dispatched.
    assignees = models.JSONField(default=list, blank=True)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def for_alarm(cls, alarm: Alarm, department: str, to_enterprise: bool, instructions: str, now) -> WorkOrder:
        """A new (unsaved) work order for an alarm: to the department, and to the alarm's enterprise unless not."""
        return cls(
            alarm=alarm,
            number=f"WO{now:%Y%m%d}-{alarm.id:06d}",
            department=department or "安全监管科",
            enterprise_id=alarm.enterprise_id if to_enterprise else None,
            instructions=instructions,
        )


class AlarmEvent(models.Model):
    """The durable push outbox: one row per change of an alarm, written in the transaction that made the change.
    Its id is the Server-Sent Events id, so a client resumes from Last-Event-ID without a gap."""

    VISIBILITY = Visibility("alarm__enterprise", "alarm__location")  # as its alarm

    id = models.BigAutoField(primary_key=True)
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16)
    at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField()

    class Meta:
        ordering = ["id"]


class EngineSnapshot(models.Model):
    """The engine's pickled state and the input it has consumed, saved with the alarms it produced."""

    name = models.CharField(max_length=32, primary_key=True)
    version = models.CharField(max_length=32)
    state = models.BinaryField()
    cursors = models.JSONField(default=dict)
    saved_at = models.DateTimeField(auto_now=True)
