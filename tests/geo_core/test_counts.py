"""Per-district enterprise counts count a multi-site enterprise once in each district it has a site in."""

from __future__ import annotations

import pytest

from geo_core.models import Site
from geo_core.queries import enterprises_per_district
from tests.geo_core.conftest import FENGXIAN, JINSHAN, inside, square

pytestmark = pytest.mark.django_db


def test_multi_site_enterprise_is_counted_once_per_district(make_enterprise):
    multi, single = make_enterprise(), make_enterprise()
    lon, lat = inside(JINSHAN)
    Site(enterprise=multi, name="一厂", footprint=square(lon, lat, 0.001)).save()
    Site(enterprise=multi, name="二厂", footprint=square(lon + 0.004, lat, 0.001)).save()
    Site(enterprise=multi, name="三厂", footprint=square(*inside(FENGXIAN), 0.001)).save()
    Site(enterprise=single, name="主厂", footprint=square(lon, lat + 0.004, 0.001)).save()
    counts = {r["code"]: r["enterprises"] for r in enterprises_per_district(code_prefix="31")}
    assert counts == {JINSHAN: 2, FENGXIAN: 1}


def test_counts_can_be_limited_to_some_enterprises(make_enterprise):
    a, b = make_enterprise(), make_enterprise()
    lon, lat = inside(JINSHAN)
    Site(enterprise=a, name="一厂", footprint=square(lon, lat, 0.001)).save()
    Site(enterprise=b, name="一厂", footprint=square(lon + 0.004, lat, 0.001)).save()
    from geo_core.models import Enterprise

    rows = enterprises_per_district(Enterprise.objects.filter(pk=a.pk))
    assert rows == [{"code": JINSHAN, "name": "金山区", "enterprises": 1}]
