"""Shanghai 2000 calibrations (CRS-3): fitted from control points, versioned per park, never edited in place.

A new fit is a new version; activating one deactivates the others of its park (at most one active per park, a
partial unique index). Who created and who activated each version, and when, stays on the row.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models

from coord_transform.calibration import Calibration as FittedCalibration


class ShanghaiCalibration(models.Model):
    class Method(models.TextChoices):
        SIMILARITY = "similarity", "4-parameter similarity"
        AFFINE = "affine", "affine (6 parameters)"
        HELMERT7 = "helmert7", "7-parameter Helmert (3D)"

    park = models.ForeignKey("geo_core.Park", on_delete=models.PROTECT, related_name="calibrations")
    version = models.PositiveIntegerField()
    definition = models.CharField(max_length=32, help_text="Shanghai 2000 definition the fit is on top of")
    method = models.CharField(max_length=16, choices=Method.choices)
    parameters = models.JSONField(help_text="coord_transform.calibration.Calibration.to_dict()")
    control_points = models.JSONField(help_text="the control points as given")
    residuals_m = models.JSONField(help_text="per control point: de, dn, (dh), total")
    rms_m = models.FloatField()
    max_m = models.FloatField()
    max_rms_bound_m = models.FloatField()
    max_residual_bound_m = models.FloatField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["park_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["park", "version"], name="calibration_version_per_park"),
            models.UniqueConstraint(
                fields=["park"], condition=models.Q(active=True), name="calibration_one_active_per_park"
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=["similarity", "affine", "helmert7"]), name="calibration_method"
            ),
            models.CheckConstraint(
                condition=models.Q(rms_m__lte=models.F("max_rms_bound_m"))
                & models.Q(max_m__lte=models.F("max_residual_bound_m")),
                name="calibration_within_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.park.code} v{self.version} ({self.method} on {self.definition})"

    @property
    def label(self) -> str:
        return f"{self.park.code}/v{self.version}"

    def fitted(self) -> FittedCalibration:
        return FittedCalibration.from_dict(self.parameters | {"version": self.label})
