"""Parks, enterprises and their sites (一照多址: one licence, many sites)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Func

from geo_core.models.base import SRID, Timestamped, valid_geometry_constraint
from geo_core.scope import Visibility
from geo_core.validation import validate_credit_code, validate_geometry


class Park(Timestamped):
    """A chemical/industrial park: the authority that issues enterprise credentials and receives their data."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    boundary = models.MultiPolygonField(srid=SRID, null=True, blank=True, validators=[validate_geometry])
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [valid_geometry_constraint("park", "boundary", nullable=True)]

    def __str__(self) -> str:
        return self.name


class Enterprise(Timestamped):
    # Who may see its rows (geo_core.scope.Visibility): its own; an officer's district by its sites (layers).
    VISIBILITY = Visibility("id", "location")

    credit_code = models.CharField(
        "unified social credit code", max_length=18, unique=True, validators=[validate_credit_code]
    )
    name = models.CharField(max_length=200)
    company_code = models.CharField(
        max_length=64, unique=True, help_text="AQ 3064 COMPANY_CODE used in the report interfaces"
    )
    park = models.ForeignKey(Park, null=True, blank=True, on_delete=models.PROTECT, related_name="enterprises")
    industry = models.CharField(max_length=64, blank=True)
    tags = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    major_hazard = models.BooleanField("major hazard installation (重大危险源)", default=False)
    address = models.CharField(max_length=256, blank=True, help_text="registered address (注册地址)")
    location = models.PointField(srid=SRID, null=True, blank=True, help_text="where the enterprise is, as listed")

    class Meta:
        ordering = ["company_code"]
        indexes = [GinIndex(fields=["tags"], name="enterprise_tags_gin")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    Func(F("credit_code"), function="geo_core_uscc_valid", output_field=models.BooleanField())
                ),
                name="enterprise_credit_code_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company_code})"


class Site(Timestamped):
    """One address of an enterprise with its footprint. `district` is derived in PostGIS (trigger) from the
    district holding most of the footprint, and re-derived when a region boundary changes."""

    VISIBILITY = Visibility("enterprise", "footprint")  # who may see its rows (geo_core.scope.Visibility)

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=128)
    address = models.CharField(max_length=256, blank=True)
    footprint = models.MultiPolygonField(srid=SRID, validators=[validate_geometry])
    district = models.ForeignKey(
        "geo_core.Region", null=True, editable=False, on_delete=models.SET_NULL, related_name="sites"
    )
    height_m = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1000.0)],
        help_text="height of the site's tallest building or plant (metres): the 3D map extrudes the footprint to it",
    )

    class Meta:
        ordering = ["enterprise_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="site_name_unique_per_enterprise"),
            # Lets permits reference (site, enterprise) so a permit's site must belong to its enterprise.
            models.UniqueConstraint(fields=["id", "enterprise"], name="site_id_enterprise_unique"),
            valid_geometry_constraint("site", "footprint"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The same check as the database trigger, as a form/field error before saving."""
        from django.core.exceptions import ValidationError

        from geo_core.models.regions import Region

        if self.footprint is None or not self.footprint.valid:
            return  # the field validator reports it
        levels = [Region.Level.DISTRICT, Region.Level.CITY]
        if not Region.objects.filter(level__in=levels, geom__intersects=self.footprint).exists():
            raise ValidationError({"footprint": f"site {self.name!r}: the footprint lies outside every district"})

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # The trigger sets district_id; read it back so the instance tells the truth.
        self.refresh_from_db(fields=["district"])
