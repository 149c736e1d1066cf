"""A site's district is derived in PostGIS from the district holding most of its footprint, and re-derived when
the site or a district boundary changes."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from geo_core.models import Region, Site
from tests.geo_core.conftest import FENGXIAN, JINSHAN, inside, square

pytestmark = pytest.mark.django_db

# A box across the Jinshan/Fengxian line near the coast (the line runs NW-SE through 121.46 E, 30.78 N).
ACROSS_LINE = (121.452, 30.776, 121.474, 30.784)


def test_site_in_jinshan_gets_jinshan(jinshan_site):
    assert jinshan_site.district.code == JINSHAN


def test_site_across_a_district_line_belongs_to_the_district_holding_most_of_it(enterprise):
    footprint = MultiPolygon(Polygon.from_bbox(ACROSS_LINE), srid=4490)
    shares = {
        code: Region.objects.get(code=code).geom.intersection(footprint).area / footprint.area
        for code in (JINSHAN, FENGXIAN)
    }
    assert all(0.05 < s < 0.95 for s in shares.values()), f"fixture no longer straddles the line: {shares}"
    site = Site(enterprise=enterprise, name="跨区厂区", footprint=footprint)
    site.save()
    assert site.district.code == max(shares, key=shares.get)


def test_moving_a_site_re_derives_its_district(jinshan_site):
    jinshan_site.footprint = square(*inside(FENGXIAN))
    jinshan_site.save()
    assert jinshan_site.district.code == FENGXIAN


def test_moving_a_district_boundary_re_derives_the_sites(jinshan_site):
    jinshan = Region.objects.get(code=JINSHAN)
    fengxian = Region.objects.get(code=FENGXIAN)
    grown = jinshan_site.footprint.buffer(0.001)
    # Hand the site's ground from Jinshan to Fengxian.
    jinshan.geom = MultiPolygon(*[p for p in jinshan.geom.difference(grown)], srid=4490)
    jinshan.save()
    union = fengxian.geom.union(grown)
    fengxian.geom = union if union.geom_type == "MultiPolygon" else MultiPolygon(union, srid=4490)
    fengxian.save()
    jinshan_site.refresh_from_db()
    assert jinshan_site.district.code == FENGXIAN


def test_deleting_a_district_leaves_the_site_to_the_next_best_region(jinshan_site):
    Region.objects.filter(code=JINSHAN).delete()
    jinshan_site.refresh_from_db()
    # Without the district the city of Shanghai holds the site.
    assert jinshan_site.district.code == "310100"


def test_site_outside_every_region_is_refused_naming_site_and_field(enterprise):
    beijing = square(116.40, 39.90)
    site = Site(enterprise=enterprise, name="北京分部", footprint=beijing)
    with pytest.raises(IntegrityError) as err, transaction.atomic():
        site.save()
    message = str(err.value)
    assert "'北京分部'" in message
    assert "field footprint" in message
    assert "outside every district" in message


def test_site_outside_every_region_fails_validation_on_the_footprint_field(enterprise):
    site = Site(enterprise=enterprise, name="北京分部", footprint=square(116.40, 39.90))
    with pytest.raises(ValidationError) as err:
        site.full_clean()
    assert err.value.message_dict == {"footprint": ["site '北京分部': the footprint lies outside every district"]}


def test_invalid_footprint_is_refused_by_the_database(enterprise):
    bowtie = MultiPolygon(
        Polygon(((121.30, 30.80), (121.31, 30.81), (121.31, 30.80), (121.30, 30.81), (121.30, 30.80))), srid=4490
    )
    with pytest.raises(IntegrityError, match="site_footprint_valid"), transaction.atomic():
        Site(enterprise=enterprise, name="坏几何", footprint=bowtie).save()
