"""Small real scenes in PostGIS: districts, an enterprise with sites, fences and people."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from geo_core.models import Enterprise, Park, Region, Site
from geo_core.validation import uscc_check_char

JINSHAN, FENGXIAN = "310116", "310120"


def credit_code(district: str = JINSHAN, org: str = "MA1FL0001") -> str:
    first17 = "91" + district + org
    return first17 + uscc_check_char(first17)


def square(lon: float, lat: float, half: float = 0.002) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((lon - half, lat - half, lon + half, lat + half)), srid=4490)


def inside(code: str) -> tuple[float, float]:
    """A point well inside a district (its point on surface)."""
    p = Region.objects.get(code=code).geom.point_on_surface
    return p.x, p.y


@pytest.fixture
def park(db) -> Park:
    return Park.objects.create(code="T-PARK", name="测试园区")


@pytest.fixture
def make_enterprise(park):
    counter = iter(range(1, 1000))

    def make(code: str | None = None, **kwargs) -> Enterprise:
        n = next(counter)
        values = {
            "credit_code": credit_code(org=f"MA1FL{n:04d}"),
            "name": f"测试化工{n}有限公司",
            "company_code": code or f"T{n:03d}",
            "park": park,
        }
        return Enterprise.objects.create(**(values | kwargs))

    return make


@pytest.fixture
def enterprise(make_enterprise) -> Enterprise:
    return make_enterprise()


@pytest.fixture
def jinshan_site(enterprise) -> Site:
    site = Site(enterprise=enterprise, name="主厂区", footprint=square(*inside(JINSHAN)))
    site.save()
    return site
