"""Read queries over the domain model that more than one room needs (STO-3)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from geo_core.errors import BadRequestError
from geo_core.models import Region


def in_regions(value: str, field: str, name: str = "region") -> Q:
    """Rows whose `field` lies in any of the regions a comma-separated list of codes names (any level: province ...
    community); an unknown code is refused by name."""
    codes = [c for c in value.split(",") if c][:50]
    found = list(Region.objects.filter(code__in=codes).only("code", "geom"))
    missing = sorted(set(codes) - {r.code for r in found})
    if missing:
        raise BadRequestError(f"{name}: no region {', '.join(c[:20] for c in missing[:5])}")
    inside = Q()
    for r in found:
        inside |= Q(**{f"{field}__intersects": r.geom})
    return inside


def enterprises_per_district(enterprises: QuerySet | None = None, code_prefix: str = "") -> list[dict]:
    """Enterprises counted once per district they have a site in: an enterprise with two sites in one district
    counts once there, and once in each other district it has a site in (一照多址)."""
    site_filter = Q(sites__enterprise__in=enterprises) if enterprises is not None else Q()
    rows = (
        Region.objects.filter(level=Region.Level.DISTRICT, code__startswith=code_prefix)
        .annotate(enterprises=Count("sites__enterprise", filter=site_filter, distinct=True))
        .filter(enterprises__gt=0)
        .order_by("code")
        .values("code", "name", "enterprises")
    )
    return list(rows)
