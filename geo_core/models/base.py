"""Pieces shared by the model modules: the SRID and database-side checks expressed once."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Func

SRID = 4490  # CGCS2000 geographic (CRS-1)


def _st(function: str, field: str) -> Func:
    return Func(F(field), function=function, output_field=models.BooleanField())


def valid_geometry_constraint(model: str, field: str, nullable: bool = False) -> models.CheckConstraint:
    """CHECK: the geometry is valid (OGC) and not empty (an empty fence would silently never match)."""
    condition = models.Q(_st("ST_IsValid", field)) & ~models.Q(_st("ST_IsEmpty", field))
    if nullable:
        condition = models.Q(**{f"{field}__isnull": True}) | condition
    return models.CheckConstraint(condition=condition, name=f"{model}_{field}_valid")


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
