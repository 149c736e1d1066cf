"""Contractors (承包商) as data, as seed 002's contractor interfaces have them: units, their staff, vehicles,
qualifications with validity, training; the filing of staff for an enterprise (报备) and each enterprise's daily
commitment filing (每日承诺公告, 承诺报备).

Units and staff are the park's: one row per unit (by credit code) and per person (by the hash of their ID number),
whichever enterprise reported them. Enterprises report what they know; the park's own certification (园区认证,
renewed by 续证) is a qualification only the park records (admin, or a supervisor)."""

from __future__ import annotations

from django.db import models

from geo_core.models.base import Timestamped
from geo_core.validation import validate_credit_code


class Contractor(Timestamped):
    credit_code = models.CharField(
        "unified social credit code", max_length=18, unique=True, validators=[validate_credit_code]
    )
    name = models.CharField(max_length=200)
    contact = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    blacklisted = models.BooleanField(default=False, help_text="on the park's blacklist (黑名单)")
    enterprises = models.ManyToManyField(
        "geo_core.Enterprise", blank=True, related_name="contractors", help_text="enterprises that engage it"
    )
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["credit_code"]

    def __str__(self) -> str:
        return self.name


class ContractorStaff(Timestamped):
    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(max_length=64)
    identify_sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the ID number: matched with personnel records, the number is not kept"
    )
    identify_masked = models.CharField(max_length=32, blank=True)
    trade = models.CharField(max_length=64, blank=True, help_text="工种")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "identify_sha256"], name="contractor_staff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.contractor})"


class Qualification(Timestamped):
    """A certificate of a unit (staff empty) or of one of its staff. `park_certified` marks the park's own
    certification (admission); an enterprise's report never sets it."""

    PARK = "园区准入认证"

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="qualifications")
    staff = models.ForeignKey(
        ContractorStaff, null=True, blank=True, on_delete=models.CASCADE, related_name="qualifications"
    )
    kind = models.CharField(max_length=64, help_text="e.g. 安全生产许可证, 特种作业操作证, 园区准入认证")
    number = models.CharField(max_length=64)
    valid_from = models.DateField()
    valid_until = models.DateField()
    park_certified = models.BooleanField(default=False, help_text="the park's admission certification")
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "kind", "number"], name="qualification_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="qualification_validity_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"


class Training(Timestamped):
    staff = models.ForeignKey(ContractorStaff, on_delete=models.CASCADE, related_name="trainings")
    course = models.CharField(max_length=128)
    completed_on = models.DateField()
    valid_until = models.DateField()
    passed = models.BooleanField(default=True)
    score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "course", "completed_on"], name="training_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("completed_on")), name="training_validity_order"
            ),
        ]


class ContractorVehicle(Timestamped):
    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="vehicles")
    plate = models.CharField(max_length=16, unique=True)
    kind = models.CharField(max_length=32, blank=True)
    confirmed_by = models.ForeignKey(
        "geo_core.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the enterprise that confirmed it (a contractor's own entry needs one)",
    )

    class Meta:
        ordering = ["plate"]


class StaffFiling(Timestamped):
    """Staff of a unit filed (报备) to work for one enterprise, on a project, for a period."""

    enterprise = models.ForeignKey("geo_core.Enterprise", on_delete=models.CASCADE, related_name="staff_filings")
    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="filings")
    project = models.CharField(max_length=128)
    staff = models.ManyToManyField(ContractorStaff, related_name="filings")
    valid_from = models.DateField()
    valid_until = models.DateField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "contractor", "project"], name="staff_filing_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="staff_filing_validity_order"
            ),
        ]


class DailyFiling(Timestamped):
    """An enterprise's daily commitment (每日承诺公告): the special work it declares for the day, by ticket type."""

    enterprise = models.ForeignKey("geo_core.Enterprise", on_delete=models.CASCADE, related_name="daily_filings")
    day = models.DateField(help_text="the day in Asia/Shanghai")
    special_work = models.JSONField(default=dict, blank=True, help_text="ticket type -> count declared")
    commitment = models.TextField(blank=True)
    person_in_charge = models.CharField(max_length=64, blank=True)
    filed_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "day"], name="daily_filing_unique")]
