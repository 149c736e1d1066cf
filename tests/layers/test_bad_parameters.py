"""Parameters an attacker sends answer 400 with the field named, never 500 (the penetration test's list)."""

from __future__ import annotations

import pytest

from alarms.models import Alarm
from geo_core.access import create_user
from geo_core.models import ApiToken

pytestmark = pytest.mark.django_db
NUL = "%00"


@pytest.fixture
def sup(db) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(create_user('bp', 'Pw-strong-123!', 'supervisor'))[1]}"}


BAD = [
    ("/ogc/collections/zones/items?offset=9223372036854775808", "offset"),
    ("/ogc/collections/zones/items?limit=nan", "limit"),
    ("/ogc/collections/zones/items?limit=-5", "limit"),
    ("/ogc/collections/zones/items?filter=floor%20%3D%20%27abc%27", ""),
    (f"/ogc/collections/zones/items?name={NUL}", ""),
    (f"/ogc/collections/zones/items?bbox=1,2,3,{NUL}", "bbox"),
    ("/ogc/collections/zones/items?bbox=nan,1,2,3", "bbox"),
    ("/api/nearby/people?lon=121.4&lat=30.8&k=inf", "k"),
    ("/api/nearby/people?lon=121.4&lat=30.8&k=0", "k"),
    ("/api/nearby/people?lon=nan&lat=30.8", "lon"),
    ("/api/tracks/P1?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&tolerance=-1", "tolerance"),
    ("/tiles/heat/alarms/14/13700/6700.png?days=-1", "days"),
    ("/tiles/heat/alarms/14/13700/6700.png?bandwidth=900", "bandwidth"),
    ("/api/heat/welding.tif?bbox=121,30,121.1,30.1&resolution=0", "resolution"),
    ("/maps/fonts/DejaVu%20Sans%20Book/" + "9" * 5000 + "-255.pbf", "start"),
    (f"/api/search?q=ab{NUL}", ""),
    (f"/api/alarms/?since={NUL}", "since"),
    ("/api/alarms/?zone=%C2%B2", "zone"),
    ("/api/alarms/?limit=1e3", "limit"),
    # Well-formed CQL2 of the wrong types (issue 24): refused naming the property, before PostgreSQL sees it.
    ("/ogc/collections/zones/items?filter=name%20%3E%205", "name"),
    ("/ogc/collections/zones/items?filter=S_INTERSECTS(name%2C%20POINT(1%202))", "name"),
    ("/ogc/collections/zones/items?filter=geom%20%3D%205", "geometry"),
    ("/ogc/collections/zones/items?filter=capacity_min%20LIKE%20%27a%25%27", "capacity_min"),
    ("/ogc/collections/zones/items?filter=capacity_min%20BETWEEN%20%27a%27%20AND%205", "capacity_min"),
    ("/ogc/collections/zones/items?filter=name%20IN%20(1%2C%202)", "name"),
]


@pytest.mark.parametrize(("path", "field"), BAD)
def test_bad_parameters_are_400_naming_the_field(client, sup, path, field):
    r = client.get(path, **sup)
    assert r.status_code == 400, (path, r.status_code, r.content[:300])
    if field:
        assert field in r.content.decode(), r.content[:300]


def test_a_nul_in_an_alarm_comment_is_400(client, sup, enterprise):
    from datetime import UTC, datetime

    a = Alarm.objects.create(
        key="c",
        type="sos",
        category="person",
        severity="critical",
        enterprise=enterprise,
        company_code=enterprise.company_code,
        raised_at=datetime.now(UTC),
    )
    r = client.post(f"/api/alarms/{a.id}/resolve", {"comment": "done\x00"}, content_type="application/json", **sup)
    assert r.status_code == 400
    assert "comment" in r.json()["error"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/alarm-rules/", {"name": "x", "type": {}}, "type"),
        ("/api/alarm-rules/", {"name": "x", "type": "sos", "zones": "abc"}, "zones"),
        ("/api/alarm-rules/", {"name": "x", "type": "sos", "active": "yes"}, "active"),
        ("/api/alarm-suppressions/", {"name": "x", "types": [{}]}, "types"),
        ("/api/alarm-suppressions/", {"name": "x", "starts_at": 5}, "starts_at"),
    ],
)
def test_wrong_types_in_bodies_are_400_naming_the_member(client, sup, path, body, field):
    r = client.post(path, body, content_type="application/json", **sup)
    assert r.status_code == 400, r.content[:300]
    assert field in r.json()["error"]
