"""Video channels (VID-1) and which cameras show a place (VID-2), on hand-built cases: a field of view holds what lies
in front of the camera within its range and angle, not what is behind it or beyond; codes are GB/T 28181's; an alarm
place is offered the cameras aimed at it first, then the nearest, then the subject's own, within the caller's scope."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from pyproj import Geod
from shapely.geometry import Point as ShapelyPoint

from geo_core.models import Enterprise, Subject, SubjectState
from geo_core.scope import EVERYTHING, Scope
from tests.geo_core.conftest import credit_code
from video.codes import channel_code
from video.fov import sector
from video.linkage import cameras_at
from video.models import VideoChannel

GEOD = Geod(ellps="GRS80")
LON, LAT = 121.44, 30.785


def at(azimuth: float, metres: float, lon: float = LON, lat: float = LAT) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return x, y


def test_a_sector_holds_what_is_in_front_within_range_and_angle():
    s = sector(LON, LAT, heading=0, angle=90, range_m=100)
    assert s.contains(ShapelyPoint(*at(0, 50)))  # in front
    assert s.contains(ShapelyPoint(*at(44, 99)))  # inside the edge, near the range
    assert not s.contains(ShapelyPoint(*at(46, 50)))  # just outside the angle
    assert not s.contains(ShapelyPoint(*at(180, 20)))  # behind the camera
    assert not s.contains(ShapelyPoint(*at(0, 101)))  # beyond the range
    assert s.covers(ShapelyPoint(LON, LAT))  # the camera's own position is on its edge
    disc = sector(LON, LAT, heading=0, angle=360, range_m=30)
    assert disc.contains(ShapelyPoint(*at(180, 20)))  # a dome sees all round


@pytest.mark.parametrize(
    ("heading", "angle", "range_m", "field"),
    [
        (-1, 90, 100, "heading"),
        (0, 0, 100, "angle"),
        (0, 90, 0, "range_m"),
        (0, 90, 1e308, "range_m"),
        (float("nan"), 90, 100, "heading"),
    ],
)
def test_a_field_of_view_out_of_bounds_is_refused_by_field(heading, angle, range_m, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        sector(LON, LAT, heading, angle, range_m)


def test_channel_codes_are_gb_t_28181_camera_codes():
    code = channel_code("31011600001320000001")
    assert (code.region, code.industry, code.type, code.serial) == ("310116", "00", "132", "000001")
    for bad, why in [
        ("3101160000132000001", "20 decimal digits"),
        ("31011600002000000001", "type code 200"),
        ("00011600001320000001", "no province"),
        ("3101160000132000000x", "20 decimal digits"),
    ]:
        with pytest.raises(ValueError, match=why):
            channel_code(bad)


@pytest.fixture
def scene(db):
    a = Enterprise.objects.create(company_code="VIDA", name="视频甲", credit_code=credit_code(org="MA1WD0001"))
    b = Enterprise.objects.create(company_code="VIDB", name="视频乙", credit_code=credit_code(org="MA1WD0002"))
    x = at(0, 60)  # the alarm's place: 60 m north of camera 1
    one = VideoChannel.objects.create(
        code="31011600001320000001",
        name="罐区北望",
        kind="fixed",
        enterprise=a,
        location=Point(LON, LAT, srid=4490),
        heading=0,
        angle=60,
        range_m=120,
    )
    two = VideoChannel.objects.create(
        code="31011600001320000002",
        name="背向",
        kind="fixed",
        enterprise=a,
        location=Point(*at(0, 100), srid=4490),
        heading=0,
        angle=60,
        range_m=120,
    )
    three = VideoChannel.objects.create(
        code="31011600001320000003",
        name="乙厂摄像机",
        kind="fixed",
        enterprise=b,
        location=Point(*at(90, 30, *x), srid=4490),
        heading=270,
        angle=60,
        range_m=120,
    )
    officer = Subject.objects.create(kind="body_camera", external_id="ZFY-1", name="执法仪1", enterprise=a)
    SubjectState.objects.create(
        subject=officer, time="2026-12-07T08:00:00+08:00", geom=Point(*at(180, 400, *x), 0, srid=4490)
    )
    own = VideoChannel.objects.create(
        code="31011600001380000001", name="执法仪1", kind="body_camera", enterprise=a, subject=officer
    )
    return {"a": a, "b": b, "x": x, "one": one, "two": two, "three": three, "own": own, "officer": officer}


def test_the_field_of_view_is_stored_as_a_polygon_in_postgis(scene):
    one = VideoChannel.objects.get(pk=scene["one"].pk)
    assert one.fov.geom_type == "Polygon"
    assert one.fov.contains(Point(*scene["x"], srid=4490))
    assert not scene["two"].fov.contains(Point(*scene["x"], srid=4490))  # 40 m behind it


def test_an_alarm_place_is_offered_the_aimed_cameras_first_then_the_nearest_then_its_subjects_own(scene):
    got = cameras_at(*scene["x"], EVERYTHING, subject=scene["officer"].id)
    assert [(c["code"], c["why"]) for c in got] == [
        ("31011600001320000003", "field_of_view"),  # 30 m east, aimed west at it: the closest aimed camera
        ("31011600001320000001", "field_of_view"),  # 60 m south, aimed north at it
        ("31011600001320000002", "nearest"),  # 40 m north, looking the other way
        ("31011600001380000001", "own"),  # the officer's body camera, 400 m off
    ]
    assert [round(c["distance_m"]) for c in got] == [30, 60, 40, 400]


def test_an_enterprise_is_offered_only_cameras_it_may_see(scene):
    mine = Scope(enterprises=frozenset({scene["b"].id}))
    assert [c["code"] for c in cameras_at(*scene["x"], mine)] == ["31011600001320000003"]


def test_a_bad_channel_is_refused_naming_the_field(scene):
    bad = VideoChannel(
        code="31011600002000000009",
        name="坏",
        kind="fixed",
        location=Point(LON, LAT, srid=4490),
        heading=0,
        angle=500,
        range_m=100,
    )
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert set(caught.value.message_dict) == {"code", "angle"}


@pytest.mark.django_db
def test_an_alarm_raised_in_a_cameras_view_records_the_channels_offered_its_enterprise_may_see():
    """The evidence says which cameras the duty officer was shown (VID-2): the one aimed at the place first, and no
    other enterprise's camera, whoever reads the alarm later."""
    from alarms.engine import Signal
    from alarms.models import Alarm
    from alarms.store import Writer

    a = Enterprise.objects.create(company_code="EVA", name="证据甲", credit_code=credit_code(org="MA1EW0001"))
    b = Enterprise.objects.create(company_code="EVB", name="证据乙", credit_code=credit_code(org="MA1EW0002"))
    for code, ent, azimuth in (("31011600001320000201", a, 0), ("31011600001320000202", b, 0)):
        VideoChannel.objects.create(
            code=code,
            name=f"{ent.name}摄像机",
            kind="fixed",
            enterprise=ent,
            location=Point(LON, LAT, srid=4490),
            heading=azimuth,
            angle=60,
            range_m=120,
        )
    lon, lat = at(0, 60)
    Writer().apply(
        [
            Signal("raise", "ev:1", 0, "sos", 1.8e9, severity="critical", code="0", enterprise=a.id, lon=lon, lat=lat),
            Signal("raise", "ev:2", 0, "sos", 1.8e9, severity="critical", code="0", enterprise=None, lon=lon, lat=lat),
        ]
    )
    offered = Alarm.objects.get(key="ev:1").evidence["video"]
    assert offered == [{"code": "31011600001320000201", "name": "证据甲摄像机", "why": "field_of_view"}]
    assert "video" not in Alarm.objects.get(key="ev:2").evidence  # a park alarm: neither enterprise's camera


@pytest.mark.django_db
def test_a_camera_is_aimed_by_its_enterprise_and_its_field_of_view_follows(client):
    """PATCH a channel (VID-1: fields of view edited on the map): the sector is derived again, the place it now holds
    is offered first, the change audited; others may not aim it, a bad aim is a 400 naming the field."""
    import json

    from geo_core.access import create_user
    from geo_core.models import ApiToken, AuditEvent, Region
    from tests.geo_core.conftest import JINSHAN, inside

    lon, lat = inside(JINSHAN)
    a = Enterprise.objects.create(company_code="AMA", name="瞄准甲", credit_code=credit_code(org="MA1AM0001"))
    b = Enterprise.objects.create(company_code="AMB", name="瞄准乙", credit_code=credit_code(org="MA1AM0002"))
    cam = VideoChannel.objects.create(
        code="31011600001320000501",
        name="瞄准摄像机",
        kind="fixed",
        enterprise=a,
        location=Point(lon, lat, srid=4490),
        heading=0,
        angle=60,
        range_m=100,
    )
    users = {
        "a": create_user("am-a", "pw-1234567", "enterprise", enterprise=a),
        "b": create_user("am-b", "pw-1234567", "enterprise", enterprise=b),
        "d": create_user("am-d", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)),
    }
    auth = {k: {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(u)[1]}"} for k, u in users.items()}
    url = f"/api/video/channels/{cam.code}"

    def patch(body, who="a"):
        return client.patch(url, json.dumps(body), content_type="application/json", **auth[who])

    south = at(180, 50, lon, lat)
    assert [c["why"] for c in cameras_at(*south, Scope(enterprises=frozenset({a.id})))] == ["nearest"]  # behind it
    r = patch({"heading": 180, "range_m": 80})
    assert r.status_code == 200, r.content
    assert (r.json()["heading"], r.json()["range_m"]) == (180, 80)
    assert [c["why"] for c in cameras_at(*south, Scope(enterprises=frozenset({a.id})))] == ["field_of_view"]
    event = AuditEvent.objects.get(action="video.aim", target_id=cam.code)
    assert event.detail["heading"] == [0, 180]
    assert patch({"heading": 90}, "b").status_code == 404  # another enterprise's: not even there
    assert patch({"heading": 90}, "d").status_code == 403  # the district sees it, the enterprise aims it
    for body, field in [
        ({"heading": 400}, "heading"),
        ({"range_m": -1}, "range_m"),
        ({"location": {"type": "Point", "coordinates": [500, 1]}}, "location"),
        ({"location": {"type": "Polygon"}}, "location"),
        ({"tilt": 3}, "tilt"),
        ({"heading": "north"}, "heading"),
    ]:
        r = patch(body)
        assert r.status_code == 400, (body, r.content)
        assert r.json()["field"] == field, (body, r.json())
    cam.refresh_from_db()
    assert (cam.heading, cam.range_m) == (180, 80)
