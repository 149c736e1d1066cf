"""Complaints routed by place (seed 003): a point (in its own CRS) or an address decides the district; the district's
officer sees and answers its own; statistics by district and status; bad input named."""

from __future__ import annotations

import json

import pytest

from geo_core.access import create_user
from geo_core.models import ApiToken, Region, Site
from tests.geo_core.conftest import JINSHAN, enterprise, inside, make_enterprise, park, square  # noqa: F401

pytestmark = pytest.mark.django_db
FENGXIAN = "310120"


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def post(client, path, body, who):
    return client.post(path, json.dumps(body), content_type="application/json", **who)


def test_routed_by_point_address_or_district_name_and_answered_by_that_district(client, enterprise):  # noqa: F811
    sup = auth(create_user("cp-sup", "pw-1234567", "supervisor"))
    lon, lat = inside(JINSHAN)
    Site.objects.create(
        enterprise=enterprise, name="二厂", address="金山区卫零路88号", footprint=square(lon, lat, 0.001)
    )
    by_point = post(client, "/api/complaints", {"content": "夜间露天焊接无防护", "lon": lon, "lat": lat}, sup)
    assert by_point.status_code == 201
    a = by_point.json()
    assert (a["district_code"], a["status"], a["located_by"]) == (JINSHAN, "routed", "point")
    gcj = post(client, "/api/complaints", {"content": "焊渣乱溅", "lon": lon, "lat": lat, "crs": "gcj02"}, sup).json()
    assert gcj["lon"] != pytest.approx(lon, abs=1e-5)  # converted from GCJ-02 (hundreds of metres)
    by_address = post(client, "/api/complaints", {"content": "无证焊工", "address": "金山区卫零路88号"}, sup).json()
    assert (by_address["district_code"], by_address["located_by"]) == (JINSHAN, "address")
    assert by_address["lon"] is not None
    by_name = post(client, "/api/complaints", {"content": "电焊冒烟", "address": "奉贤区南桥镇某工地"}, sup).json()
    assert (by_name["district_code"], by_name["located_by"], by_name["lon"]) == (FENGXIAN, "district", None)
    nowhere = post(client, "/api/complaints", {"content": "有人电焊", "source": "12345热线"}, sup).json()
    assert (nowhere["status"], nowhere["district"]) == ("unrouted", None)

    js = auth(create_user("cp-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)))
    mine = client.get("/api/complaints", **js).json()
    assert {c["number"] for c in mine["complaints"]} == {a["number"], gcj["number"], by_address["number"]}
    answer = post(client, f"/api/complaints/{a['number']}/feedback", {"feedback": "已到场制止", "result": "查实"}, js)
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["answered_by"]) == ("answered", "cp-js")
    # Not theirs: Fengxian's complaint is not found for Jinshan's officer; officers do not take complaints in.
    assert (
        post(
            client, f"/api/complaints/{by_name['number']}/feedback", {"feedback": "x", "result": "查实"}, js
        ).status_code
        == 404
    )
    assert post(client, "/api/complaints", {"content": "x"}, js).status_code == 403
    ent = auth(create_user("cp-e", "pw-1234567", "enterprise", enterprise=enterprise))
    assert client.get("/api/complaints", **ent).status_code == 403

    s = client.get("/api/complaints/stats", **sup).json()
    assert s["total"] == 5
    assert {e["name"]: e["total"] for e in s["by_district"]} == {"金山区": 3, "奉贤区": 1, "待分派": 1}
    assert {b["status"]: b["n"] for b in s["by_status"]} == {"unrouted": 1, "routed": 3, "answered": 1}
    csv = b"".join(client.get("/api/complaints?f=csv", **sup).streaming_content).decode("utf-8-sig")
    assert "举报内容" in csv.splitlines()[0]


def test_bad_complaints_are_named(client, db):
    sup = auth(create_user("cb-sup", "pw-1234567", "supervisor"))
    cases = [
        ({}, "content"),
        ({"content": "  "}, "content"),
        ({"content": "x", "lon": 121.3}, "lon, lat"),
        ({"content": "x", "lon": 121.3, "lat": 30.7, "crs": "EPSG:99999"}, "crs"),
        ({"content": "x", "lon": 10.0, "lat": 10.0}, "outside China"),
        ({"content": "x", "lon": 116.4, "lat": 39.9}, "district"),
        ({"content": "x", "colour": "red"}, "colour"),
        ({"content": 5}, "content"),
        ({"content": "x" * 2001}, "content"),
    ]
    for body, named in cases:
        r = post(client, "/api/complaints", body, sup)
        assert r.status_code == 400, body
        assert named in r.json()["error"], (body, r.json())
    ok = post(client, "/api/complaints", {"content": '=HYPERLINK("http://x")'}, sup).json()
    csv = b"".join(client.get("/api/complaints?f=csv", **sup).streaming_content).decode("utf-8-sig")
    assert ",=HYPERLINK" not in csv  # no cell becomes a formula
    js = auth(create_user("cb-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)))
    assert (
        post(client, f"/api/complaints/{ok['number']}/feedback", {"feedback": "x", "result": "查实"}, js).status_code
        == 404
    )
    r = post(client, f"/api/complaints/{ok['number']}/feedback", {"feedback": "x", "result": "maybe"}, sup)
    assert r.status_code == 400
    assert "route" in r.json()["error"]
