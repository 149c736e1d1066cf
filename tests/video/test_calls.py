"""Group calls from a map selection (VID-3) against a local receiver standing in for the fusion-communication
platform (a real HTTP server recording what it was sent): the members go out with what reaches them, a party is
added and removed mid-call, the call ends; each step is stored and audited as the platform took it, nothing when it
refused, and nobody calls a party they may not see."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from django.conf import settings

from geo_core.access import create_user
from geo_core.models import ApiToken, AuditEvent, Enterprise, Subject
from tests.conftest import CallReceiver
from tests.geo_core.conftest import credit_code
from video.models import GroupCall, VideoChannel

pytestmark = pytest.mark.django_db
AREA = {"type": "Polygon", "coordinates": [[[121.43, 30.78], [121.45, 30.78], [121.45, 30.79], [121.43, 30.78]]]}


@pytest.fixture
def receiver(monkeypatch):
    r = CallReceiver()
    monkeypatch.setattr(settings, "CONFIG", replace(settings.CONFIG, call_url=r.url, call_token="tok-1"))
    yield r
    r.server.shutdown()


@pytest.fixture
def scene(db):
    a = Enterprise.objects.create(company_code="CLA", name="组会甲", credit_code=credit_code(org="MA1CL0001"))
    b = Enterprise.objects.create(company_code="CLB", name="组会乙", credit_code=credit_code(org="MA1CL0002"))

    def subject(ent, ext, kind, **attrs):
        who = {"person": {"person_type": "01"}, "welder": {"chip_id": ext, "qr_code": ext, "mobility": "fixed"}}
        return Subject.objects.create(
            kind=kind, external_id=ext, enterprise=ent, name=f"{ext}名", attributes=attrs, **who.get(kind, {})
        )

    out = {
        "person": subject(a, "CL-P1", "person", phone="13800000001"),
        "sip": subject(a, "CL-P2", "person", sip="sip:cl-p2@park.example"),
        "bodycam": subject(a, "CL-BC1", "body_camera"),
        "mute": subject(a, "CL-P3", "person"),  # no phone, no SIP: cannot be called
        "welder": subject(a, "CL-W1", "welder"),
        "far": subject(b, "CL-PB", "person", phone="13800000009"),
        "camera": VideoChannel.objects.create(
            code="31011600001320000301",
            name="组会甲罐区",
            kind="fixed",
            enterprise=a,
            location="SRID=4490;POINT(121.44 30.785)",
        ),
    }
    users = {
        "ent": create_user("cl-ent", "pw-1234567", "enterprise", enterprise=a),
        "sup": create_user("cl-sup", "pw-1234567", "supervisor"),
    }
    out["auth"] = {k: {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(u)[1]}"} for k, u in users.items()}
    return out


def post(client, path, body, auth):
    return client.post(path, json.dumps(body), content_type="application/json", **auth)


def test_a_call_from_a_selection_goes_out_with_its_members_who_come_and_go_until_it_ends(client, scene, receiver):
    me = scene["auth"]["ent"]
    r = post(
        client,
        "/api/calls",
        {
            "members": [
                {"subject": scene["person"].id},
                {"subject": scene["bodycam"].id},
                {"channel": scene["camera"].code},
            ],
            "selection": AREA,
        },
        me,
    )
    assert r.status_code == 201, r.content
    call = r.json()
    assert call["status"] == "open"
    assert call["platform_id"] == "P-77"
    method, path, sent, bearer = receiver.got[0]
    assert (method, path, bearer) == ("POST", "/fusion/calls", "Bearer tok-1")
    assert sent["initiator"]["username"] == "cl-ent"
    assert sent["selection"]["type"] == "MultiPolygon"  # the area drawn, as stored
    assert [(m["name"], m["kind"]) for m in sent["members"]] == [
        ("CL-P1名", "person"),
        ("CL-BC1名", "body_camera"),
        ("组会甲罐区", "camera"),
    ]
    assert sent["members"][0]["phone"] == "13800000001"
    assert sent["members"][1]["terminal"] == "CL-BC1"
    assert sent["members"][2]["terminal"] == scene["camera"].code

    # Mid-call: one more party, then one leaves; the platform hears of each, the store keeps both.
    r = post(client, f"/api/calls/{call['id']}/members", {"members": [{"subject": scene["sip"].id}]}, me)
    assert r.status_code == 200, r.content
    assert receiver.got[1][:2] == ("POST", "/fusion/calls/P-77/members")
    assert receiver.got[1][2]["members"][0]["sip"] == "sip:cl-p2@park.example"
    leaving = r.json()["members"][1]["id"]  # the body camera
    r = client.delete(f"/api/calls/{call['id']}/members/{leaving}", **me)
    assert r.status_code == 200, r.content
    assert receiver.got[2][:2] == ("DELETE", f"/fusion/calls/P-77/members/{leaving}")
    gone = [m for m in r.json()["members"] if m["removed_at"]]
    assert [m["name"] for m in gone] == ["CL-BC1名"]
    r = post(client, f"/api/calls/{call['id']}/end", {}, me)
    assert r.json()["status"] == "ended"
    assert receiver.got[3][:2] == ("DELETE", "/fusion/calls/P-77")
    assert post(client, f"/api/calls/{call['id']}/end", {}, me).status_code == 409  # over is over
    mine = AuditEvent.objects.filter(target_type="group_call", target_id=str(call["id"]))
    actions = list(mine.order_by("id").values_list("action", flat=True))
    assert actions == ["call.start", "call.add", "call.remove", "call.end"]
    # Another user's call is not there for anyone else.
    assert client.get(f"/api/calls/{call['id']}", **scene["auth"]["sup"]).status_code == 404
    assert client.get("/api/calls", **scene["auth"]["sup"]).json()["calls"] == []


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("far", "you may call"),  # another enterprise's person
        ("mute", "no phone, SIP URI or terminal"),
        ("welder", "you may call"),  # a machine cannot answer
    ],
)
def test_a_party_the_caller_may_not_reach_is_refused_and_nothing_is_placed(client, scene, receiver, member, why):
    r = post(
        client,
        "/api/calls",
        {"members": [{"subject": scene["person"].id}, {"subject": scene[member].id}]},
        scene["auth"]["ent"],
    )
    assert r.status_code == 400
    assert r.json()["field"] == "members[1]" or r.json()["field"].startswith("members[1]")
    assert why in r.json()["reason"]
    assert receiver.got == []
    assert not GroupCall.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"members": []},
        {"members": [{"subject": 1, "channel": "x"}]},
        {"members": [{"subject": "一"}]},
        {"members": "x"},
        {"members": [{"channel": 5}]},
        {"members": [{"subject": 1}], "selection": {"type": "Point"}},
        {"members": [{"subject": 1}], "extra": 1},
    ],
)
def test_malformed_calls_are_400_naming_the_field(client, scene, receiver, body):
    r = post(client, "/api/calls", body, scene["auth"]["ent"])
    assert r.status_code == 400, r.content
    assert r.json()["field"]
    assert receiver.got == []


def test_without_a_platform_503_and_a_refusing_platform_leaves_a_failed_call(client, scene, receiver, monkeypatch):
    me = scene["auth"]["ent"]
    body = {"members": [{"subject": scene["person"].id}]}
    receiver.status = 500
    r = post(client, "/api/calls", body, me)
    assert r.status_code == 502
    assert "500" in r.json()["error"]
    failed = GroupCall.objects.get()
    assert failed.status == "failed"
    assert "500" in failed.reason
    monkeypatch.setattr(settings, "CONFIG", replace(settings.CONFIG, call_url=""))
    r = post(client, "/api/calls", body, me)
    assert r.status_code == 503
    assert "GEO_CALL_URL" in r.json()["error"]
    assert GroupCall.objects.count() == 1
