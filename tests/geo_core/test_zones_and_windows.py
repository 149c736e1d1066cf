"""Zones (electronic fences) and their time windows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from geo_core.models import TimeWindow, Zone
from geo_core.partitions import PARK_TZ
from geo_core.timewindows import zone_in_force
from tests.geo_core.conftest import square

pytestmark = pytest.mark.django_db
T = PARK_TZ


def night() -> TimeWindow:
    return TimeWindow(
        name="夜间",
        kind="recurring",
        starts_at=datetime(2024, 1, 1, 22, tzinfo=T),
        rrule="FREQ=DAILY",
        duration=timedelta(hours=8),
    )


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 11, 21, 23, 0), True),
        ((2026, 11, 22, 5, 59), True),
        ((2026, 11, 22, 6, 0), False),
        ((2026, 11, 21, 21, 59), False),
        ((2026, 11, 21, 22, 0), True),
    ],
)
def test_night_window_is_evaluated_in_park_local_time(local, expected):
    assert night().contains(datetime(*local, tzinfo=T)) is expected


def test_night_window_holds_the_same_instant_given_in_utc():
    from datetime import UTC

    assert night().contains(datetime(2026, 11, 21, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai


def test_weekend_and_one_off_period():
    weekend = TimeWindow(
        name="周末",
        kind="recurring",
        starts_at=datetime(2024, 1, 6, tzinfo=T),
        rrule="FREQ=WEEKLY;BYDAY=SA",
        duration=timedelta(hours=48),
    )
    assert weekend.contains(datetime(2026, 11, 22, 12, tzinfo=T))  # a Sunday
    assert not weekend.contains(datetime(2026, 11, 23, 0, 1, tzinfo=T))  # Monday
    expo = TimeWindow(
        name="进博会",
        kind="period",
        starts_at=datetime(2026, 11, 3, tzinfo=T),
        ends_at=datetime(2026, 11, 11, tzinfo=T),
    )
    assert expo.contains(datetime(2026, 11, 5, 12, tzinfo=T))
    assert not expo.contains(datetime(2026, 11, 11, tzinfo=T))


def test_zone_window_modes():
    windows = [night()]
    late = datetime(2026, 11, 21, 23, tzinfo=T)
    noon = datetime(2026, 11, 21, 12, tzinfo=T)
    assert zone_in_force("always", windows, noon)
    assert zone_in_force("inside", windows, late)
    assert not zone_in_force("inside", windows, noon)
    assert zone_in_force("outside", windows, noon)
    assert not zone_in_force("outside", windows, late)


def test_a_bad_rrule_is_named():
    w = TimeWindow(
        name="坏规则",
        kind="recurring",
        starts_at=datetime(2024, 1, 1, tzinfo=T),
        rrule="FREQ=SOMETIMES",
        duration=timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as err:
        w.full_clean()
    assert "rrule" in err.value.message_dict


def test_database_refuses_a_recurring_window_without_duration():
    with pytest.raises(IntegrityError, match="timewindow_kind_fields"), transaction.atomic():
        TimeWindow.objects.create(
            name="x", kind="recurring", starts_at=datetime(2024, 1, 1, tzinfo=T), rrule="FREQ=DAILY"
        )


def test_zone_has_one_owner_enterprise_or_authority(enterprise):
    geom = square(121.40, 30.78)
    Zone.objects.create(name="罐区", kind="forbidden", enterprise=enterprise, geom=geom)
    Zone.objects.create(name="重点场所", kind="key_place", authority="园区管委会", geom=geom)
    for owner in ({}, {"enterprise": enterprise, "authority": "园区管委会"}):
        with pytest.raises(IntegrityError, match="zone_owner_enterprise_xor_authority"), transaction.atomic():
            Zone.objects.create(name="无主", kind="forbidden", geom=geom, **owner)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"capacity_min": 5, "capacity_max": 2}, "zone_capacity_min_le_max"),
        ({"height_min": 8.0, "height_max": 4.0}, "zone_height_min_lt_max"),
        ({"kind": "playground"}, "zone_kind"),
    ],
)
def test_zone_constraints(enterprise, fields, constraint):
    values = {"name": "z", "kind": "work_area", "enterprise": enterprise, "geom": square(121.4, 30.78)} | fields
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Zone.objects.create(**values)


def test_invalid_fence_geometry_gets_a_clear_error_naming_the_field(enterprise):
    bowtie = MultiPolygon(
        Polygon(((121.40, 30.78), (121.41, 30.79), (121.41, 30.78), (121.40, 30.79), (121.40, 30.78))), srid=4490
    )
    zone = Zone(name="坏围栏", kind="forbidden", enterprise=enterprise, geom=bowtie)
    with pytest.raises(ValidationError) as err:
        zone.full_clean()
    assert "Self-intersection" in err.value.message_dict["geom"][0]
    with pytest.raises(IntegrityError, match="zone_geom_valid"), transaction.atomic():
        zone.save()


def test_polygon_fences_are_stored_as_multipolygons(enterprise):
    from geo_core.validation import as_multipolygon

    poly = Polygon.from_bbox((121.40, 30.78, 121.41, 30.79))
    poly.srid = 4490
    zone = Zone.objects.create(name="p", kind="post", enterprise=enterprise, geom=as_multipolygon(poly))
    zone.refresh_from_db()
    assert zone.geom.geom_type == "MultiPolygon"
    assert zone.geom.srid == 4490
