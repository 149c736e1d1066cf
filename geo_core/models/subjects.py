"""Subjects: anything whose position is tracked (people, welding machines, body cameras, phones, vehicles)."""

from __future__ import annotations

from django.contrib.gis.db import models

from geo_core.models.base import SRID, Timestamped
from geo_core.scope import Visibility


class Subject(Timestamped):
    # Who may see its rows (geo_core.scope.Visibility): placed where it is now.
    VISIBILITY = Visibility("enterprise", "state__geom")

    class Kind(models.TextChoices):
        PERSON = "person", "人员"
        WELDER = "welder", "焊机"
        BODY_CAMERA = "body_camera", "执法记录仪"
        PHONE = "phone", "手机"
        VEHICLE = "vehicle", "车辆"

    class PersonType(models.TextChoices):
        """AQ 3064.3 B.1 PERSON_TYPE."""

        INTERNAL = "01", "内部人员"
        CONTRACTOR = "02", "承包商"
        VISITOR = "03", "访客"

    class Mobility(models.TextChoices):
        FIXED = "fixed", "固定焊机"
        MOBILE = "mobile", "移动焊机"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    external_id = models.CharField(max_length=64, help_text="the owner's id (AQ 3064.3 B.1 ID, device serial)")
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="subjects"
    )
    name = models.CharField(max_length=128, blank=True)
    person_type = models.CharField(max_length=2, choices=PersonType.choices, blank=True)
    chip_id = models.CharField(max_length=64, null=True, blank=True, unique=True, help_text="welder IoT chip")
    vendor = models.ForeignKey(
        "geo_core.DeviceVendor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
        help_text="the platform reporting for it",
    )
    qr_code = models.CharField(max_length=128, null=True, blank=True, unique=True, help_text="welder QR code")
    mobility = models.CharField(max_length=8, choices=Mobility.choices, blank=True)
    active = models.BooleanField(default=True)
    provisional = models.BooleanField(
        default=False, help_text="created from a position report before the subject was registered"
    )
    shift = models.ForeignKey(
        "geo_core.TimeWindow",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="on_shift",
        help_text="the working hours (班次) a person is on duty; off duty, leaving the site raises no alarm",
    )
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "enterprise"])]
        constraints = [
            # One external id per owner; authority-owned devices (no enterprise) share one namespace.
            models.UniqueConstraint(
                fields=["enterprise", "external_id"], name="subject_external_id_per_owner", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["person", "welder", "body_camera", "phone", "vehicle"]),
                name="subject_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="person", person_type__in=["01", "02", "03"])
                | models.Q(kind="person", person_type="", provisional=True)
                | ~models.Q(kind="person") & models.Q(person_type=""),
                name="subject_person_type_for_people",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind="welder", chip_id__isnull=False, qr_code__isnull=False, mobility__in=["fixed", "mobile"]
                )
                | ~models.Q(kind="welder") & models.Q(chip_id__isnull=True, mobility=""),
                name="subject_welder_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_id}"


class Certificate(models.Model):
    """A special-operation certificate (特种作业操作证): checked when a welder is scanned, and the register of certified
    welders (seeds 000, 003: 持证焊工). Its holder is a tracked person of an enterprise, or known from the issuing
    registry only (name and unit: most of a city's welders carry no tag). Where the holder works and which machine
    they last started are kept from their scans (geo_core.ingest.devices): the welder is 流动 when that machine is
    (the mobile-machine rule decides a machine's mobility)."""

    VISIBILITY = Visibility("subject__enterprise", "location")

    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.CASCADE, related_name="certificates")
    holder_name = models.CharField(max_length=64, blank=True, help_text="姓名, for holders not tracked as subjects")
    unit = models.CharField(max_length=128, blank=True, help_text="单位名称")
    category = models.CharField(max_length=64, help_text="operation category, e.g. 焊接与热切割作业")
    number = models.CharField(max_length=64)
    authority = models.CharField(max_length=64, blank=True, help_text="发证机关")
    birth_date = models.DateField(null=True, blank=True, help_text="出生日期 (the age statistics)")
    issued_on = models.DateField()
    valid_until = models.DateField()
    location = models.PointField(srid=SRID, null=True, blank=True, help_text="where the holder last worked")
    district = models.ForeignKey(
        "geo_core.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="所在区域"
    )
    last_machine = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_scan_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "number"], name="certificate_number_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("issued_on")), name="certificate_validity_order"
            ),
            models.CheckConstraint(
                condition=models.Q(subject__isnull=False) | ~models.Q(holder_name=""), name="certificate_has_holder"
            ),
        ]
        indexes = [models.Index(fields=["number"]), models.Index(fields=["district", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.category} {self.number}"
