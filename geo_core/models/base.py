"""Pieces shared by the model modules: the SRID and database-side checks expressed once."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Func

SRID = 4490  # CGCS2000 geographic (CRS-1)


def st_isvalid(field: str) -> Func:
    """A boolean expression for CHECK constraints: the geometry in `field` is valid."""
    return Func(F(field), function="ST_IsValid", output_field=models.BooleanField())


def valid_geometry_constraint(model: str, field: str, nullable: bool = False) -> models.CheckConstraint:
    condition = models.Q(st_isvalid(field))
    if nullable:
        condition = models.Q(**{f"{field}__isnull": True}) | condition
    return models.CheckConstraint(condition=condition, name=f"{model}_{field}_valid")


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
