"""Fences drawn by supervisors (POST/PATCH/DELETE /api/zones): stored in PostGIS, validated with errors that name the
field, refused to anyone else, audited; CSRF for browser sessions."""

from __future__ import annotations

import json

import pytest

from geo_core.access import create_user
from geo_core.models import ApiToken, AuditEvent, TimeWindow, Zone
from tests.geo_core.conftest import JINSHAN, inside

PASSWORD = "Zones-api-2026"


def polygon(lon, lat, d=0.001):
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]],
    }


@pytest.fixture
def sup(db):
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(create_user('z-sup', PASSWORD, 'supervisor'))[1]}"}


def post(client, body, headers, path="/api/zones", method="post"):
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **headers)


def test_a_supervisor_draws_changes_and_retires_a_fence(client, sup, enterprise):
    lon, lat = inside(JINSHAN)
    code = enterprise.company_code
    body = {
        "name": "新禁区",
        "kind": "forbidden",
        "geometry": polygon(lon, lat),
        "company_code": code,
        "capacity_max": 5,
        "floor": 2,
        "height_min": 0.0,
        "height_max": 6.5,
    }
    answer = post(client, body, sup)
    assert answer.status_code == 201, answer.content
    zone = Zone.objects.get(pk=answer.json()["id"])
    assert zone.enterprise == enterprise
    assert zone.geom.geom_type == "MultiPolygon"
    assert zone.geom.srid == 4490
    assert zone.geom.contains(zone.geom.centroid)
    assert (zone.capacity_max, zone.floor, zone.height_max) == (5, 2, 6.5)
    audit = AuditEvent.objects.get(target_type="geo_core.zone", target_id=str(zone.id), action="created")
    assert audit.actor_name == "z-sup"  # who drew it
    night = TimeWindow.objects.create(
        name="夜间",
        kind="recurring",
        purpose="night",
        rrule="FREQ=DAILY",
        starts_at="2024-01-01T14:00:00Z",
        duration="08:00:00",
    )
    answer = post(
        client,
        {"capacity_max": 8, "window_mode": "inside", "time_windows": ["夜间"]},
        sup,
        f"/api/zones/{zone.id}",
        "patch",
    )
    assert answer.status_code == 200, answer.content
    zone.refresh_from_db()
    assert zone.capacity_max == 8
    assert list(zone.time_windows.all()) == [night]
    assert client.delete(f"/api/zones/{zone.id}", **sup).json()["active"] is False
    zone.refresh_from_db()
    assert not zone.active


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"geometry": {"type": "Point", "coordinates": [121.3, 30.7]}}, "geometry"),
        ({"geometry": {"type": "Polygon", "coordinates": "x"}}, "geometry"),
        ({"geometry": polygon(500, 30.7)}, "geom"),
        ({"kind": "volcano"}, "kind"),
        ({"company_code": "NOPE"}, "company_code"),
        ({"capacity_max": -1}, "capacity_max"),
        ({"height_max": "high"}, "height_max"),
        ({"time_windows": ["no such window"]}, "time_windows"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_fence_is_refused_naming_the_field_and_nothing_is_stored(client, sup, enterprise, change, field):
    lon, lat = inside(JINSHAN)
    body = {
        "name": "坏围栏",
        "kind": "forbidden",
        "geometry": polygon(lon, lat),
        "company_code": enterprise.company_code,
    }
    answer = post(client, body | change, sup)
    assert answer.status_code == 400, answer.content
    assert field in answer.content.decode()
    assert not Zone.objects.filter(name="坏围栏").exists()


def test_only_supervisors_draw_fences_and_a_session_needs_its_csrf_token(enterprise, db):
    from django.test import Client

    lon, lat = inside(JINSHAN)
    body = {
        "name": "企业画的",
        "kind": "forbidden",
        "geometry": polygon(lon, lat),
        "company_code": enterprise.company_code,
    }
    ent_user = create_user("z-ent", PASSWORD, "enterprise", enterprise=enterprise)
    token = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(ent_user)[1]}"}
    assert post(Client(), body, token).status_code == 403
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(create_user("z-sup2", PASSWORD, "supervisor"))
    assert post(browser, body, {}).status_code == 403  # no CSRF token
    browser.get("/map/")  # the page sets the cookie
    csrf = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value}
    assert post(browser, body, csrf).status_code == 201
    assert not Zone.objects.filter(name="企业画的", enterprise__isnull=True).exists()
