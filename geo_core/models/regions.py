"""Administrative regions with their real boundaries, in one tree: province, city and district (GB/T 2260, six
digits), township or street (乡镇/街道, nine digits: the statistical division code 统计用区划代码 without its last
three) and community or village (社区/村, twelve digits)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.validators import RegexValidator

from geo_core.models.base import SRID, valid_geometry_constraint
from geo_core.scope import PUBLIC
from geo_core.validation import validate_geometry


class Region(models.Model):
    # Who may see its rows (geo_core.scope.Visibility): administrative boundaries: everyone's.
    VISIBILITY = PUBLIC

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        DISTRICT = "district", "区县"
        TOWNSHIP = "township", "乡镇/街道"
        COMMUNITY = "community", "社区/村"

    code = models.CharField(
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{6}(\d{3}){0,2}$", "6 digits (GB/T 2260), or 9/12 below a district")],
    )
    name = models.CharField(max_length=64)
    level = models.CharField(max_length=9, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    geom = models.MultiPolygonField(srid=SRID, validators=[validate_geometry])
    source = models.CharField(max_length=200, blank=True, help_text="dataset and conversion the boundary came from")

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{6}([0-9]{3}){0,2}$"), name="region_code_gbt2260"
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=["province", "city", "district", "township", "community"]),
                name="region_level",
            ),
            valid_geometry_constraint("region", "geom"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
