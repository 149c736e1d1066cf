"""The alarm APIs: the public contract's fields and filters, paging, bearer tokens and session users, scopes
(an enterprise sees only its own), lifecycle with work orders, rules and suppression windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point

from alarms.models import Alarm, AlarmEvent, AlarmRule, WorkOrder
from geo_core.access import create_user
from geo_core.models import ApiToken

NOW = datetime.now(UTC)


def alarm(enterprise, n: int, type_="out_of_bounds", code="1", category="person", **kw) -> Alarm:
    return Alarm.objects.create(
        key=f"test:{enterprise.id}:{n}",
        type=type_,
        category=category,
        code=code,
        severity="warning",
        enterprise=enterprise,
        company_code=enterprise.company_code,
        raised_at=NOW - timedelta(minutes=n),
        location=Point(121.30 + n * 0.001, 30.75, srid=4490),
        evidence={"n": n},
        **kw,
    )


@pytest.fixture
def two(make_enterprise):
    a, b = make_enterprise(), make_enterprise()
    for n in range(5):
        alarm(a, n)
    alarm(b, 10, type_="gathering", code=None, category="zone")
    return a, b


def bearer(user) -> dict:
    _, token = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def supervisor(db):
    return bearer(create_user("sup", "pw-1234567", "supervisor"))


def test_contract_fields_newest_first_and_paging(client, two, supervisor):
    r = client.get("/api/alarms/?limit=2", **supervisor)
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 6
    assert len(body["results"]) == 2
    assert "offset=2" in body["next"]
    first = body["results"][0]
    for field in (
        "id",
        "category",
        "code",
        "type",
        "severity",
        "status",
        "company_code",
        "subject",
        "subjects",
        "zone",
        "permit",
        "raised_at",
        "ended_at",
        "location",
        "evidence",
    ):
        assert field in first
    assert first["location"]["type"] == "Point"
    times = [a["raised_at"] for a in client.get("/api/alarms/", **supervisor).json()["results"]]
    assert times == sorted(times, reverse=True)


def test_filters(client, two, supervisor):
    _a, b = two

    def count(q):
        return client.get(f"/api/alarms/?{q}", **supervisor).json()["count"]

    assert count("type=gathering") == 1
    assert count("category=person") == 5
    assert count("code=1") == 5
    assert count(f"enterprise={b.company_code}") == 1
    assert count(f"since={(NOW - timedelta(minutes=2, seconds=30)).isoformat().replace('+00:00', 'Z')}") == 3
    assert count("bbox=121.2995,30.7,121.3015,30.8") == 2
    assert count("status=raised") == 6
    bad = client.get("/api/alarms/?type=nope", **supervisor)
    assert bad.status_code == 400
    assert "nope" in bad.json()["error"]
    assert client.get("/api/alarms/?since=yesterday", **supervisor).status_code == 400


def test_tokens_and_scopes(client, two):
    a, b = two
    assert client.get("/api/alarms/").status_code == 401
    assert client.get("/api/alarms/", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ent = bearer(create_user("ent-a", "pw-1234567", "enterprise", enterprise=a))
    body = client.get("/api/alarms/", **ent).json()
    assert body["count"] == 5
    assert {x["company_code"] for x in body["results"]} == {a.company_code}
    other = Alarm.objects.get(enterprise=b)
    assert client.get(f"/api/alarms/{other.id}", **ent).status_code == 404  # not a leak: not found
    reader = bearer(create_user("brain", "pw-1234567", "reader"))
    mine = Alarm.objects.filter(enterprise=a).first()
    assert (
        client.post(f"/api/alarms/{mine.id}/acknowledge", {}, content_type="application/json", **reader).status_code
        == 403
    )


def test_session_users_sign_in_too(client, two):
    create_user("sup2", "pw-1234567", "supervisor")
    assert client.login(username="sup2", password="pw-1234567")
    assert client.get("/api/alarms/").json()["count"] == 6


def test_lifecycle_with_work_order(client, two, supervisor):
    a, _ = two
    x = Alarm.objects.filter(enterprise=a).first()
    AlarmRule.objects.filter(type="out_of_bounds").update(route_department="安全监管科")

    def post(action, **body):
        return client.post(f"/api/alarms/{x.id}/{action}", body, content_type="application/json", **supervisor)

    assert post("close").status_code == 409  # not resolved yet
    assert post("acknowledge", comment="seen").json()["status"] == "acknowledged"
    r = post("dispatch", comment="go and check", department="二车间")
    assert r.status_code == 200
    assert r.json()["work_order"]["department"] == "二车间"
    wo = WorkOrder.objects.get(alarm=x)
    assert wo.enterprise == a
    assert wo.status == "open"
    assert post("resolve").status_code == 400  # a resolution needs a comment
    assert post("resolve", comment="visitor escorted out").json()["status"] == "resolved"
    assert post("close").json()["status"] == "closed"
    detail = client.get(f"/api/alarms/{x.id}", **supervisor).json()
    assert [s["action"] for s in detail["actions"]] == ["acknowledged", "dispatched", "resolved", "closed"]
    assert all(s["by"] == "sup" for s in detail["actions"])
    wo.refresh_from_db()
    assert wo.status == "closed"
    assert wo.resolution == "visitor escorted out"
    assert list(AlarmEvent.objects.filter(alarm=x).values_list("kind", flat=True)) == [
        "acknowledged",
        "dispatched",
        "resolved",
        "closed",
    ]
    orders = client.get("/api/work-orders/", **supervisor).json()
    assert orders["count"] == 1
    assert orders["results"][0]["number"] == wo.number


def test_rules_are_data(client, supervisor, make_enterprise):
    ent = make_enterprise()
    listed = client.get("/api/alarm-rules/", **supervisor).json()
    assert {r["type"] for r in listed["results"]} >= {"sos", "out_of_bounds", "gathering", "guardian_away"}
    assert listed["types"]["guardian_away"]["code"] == "31"
    rule = {"name": "夜间禁区", "type": "out_of_bounds", "params": {"confirm_after_s": 10}}
    rule["enterprise"] = ent.company_code
    r = client.post("/api/alarm-rules/", rule, content_type="application/json", **supervisor)
    assert r.status_code == 201
    assert r.json()["params"] == {"confirm_after_s": 10}
    rid = r.json()["id"]
    bad = client.patch(
        f"/api/alarm-rules/{rid}", {"params": {"confirm_after": 10}}, content_type="application/json", **supervisor
    )
    assert bad.status_code == 400
    assert "confirm_after" in str(bad.json()["fields"]["params"])
    ok = client.patch(f"/api/alarm-rules/{rid}", {"active": False}, content_type="application/json", **supervisor)
    assert ok.json()["active"] is False
    ent_user = bearer(create_user("e", "pw-1234567", "enterprise", enterprise=ent))
    assert (
        client.post(
            "/api/alarm-rules/", {"name": "x", "type": "sos"}, content_type="application/json", **ent_user
        ).status_code
        == 403
    )
    assert client.delete(f"/api/alarm-rules/{rid}", **supervisor).status_code == 204


def test_suppression_windows(client, supervisor):
    r = client.post(
        "/api/alarm-suppressions/",
        {
            "name": "演练",
            "types": ["gathering"],
            "reason": "fire drill",
            "starts_at": NOW.isoformat(),
            "ends_at": (NOW + timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
        **supervisor,
    )
    assert r.status_code == 201
    assert r.json()["types"] == ["gathering"]
    bad = client.post(
        "/api/alarm-suppressions/", {"name": "x", "types": ["nope"]}, content_type="application/json", **supervisor
    )
    assert bad.status_code == 400


def test_alarms_know_their_jurisdiction_and_enterprises_confirm_with_feedback(client, enterprise, jinshan_site):
    """Seed 003/ALM-6: the district where it happened, filters by it; the enterprise confirms and gives feedback,
    the supervisor sees who confirmed; only the enterprise concerned confirms, and only open alarms."""
    from alarms.engine import Signal
    from alarms.store import Writer

    lon, lat = jinshan_site.footprint.centroid.coords
    w = Writer()
    w.apply(
        [
            Signal(
                "raise",
                "j:1",
                0,
                "sos",
                NOW.timestamp(),
                severity="critical",
                code="0",
                enterprise=enterprise.id,
                lon=lon,
                lat=lat,
            )
        ]
    )
    a = Alarm.objects.get(key="j:1")
    assert a.district.code == "310116"
    assert a.park_id == enterprise.park_id
    sup = bearer(create_user("sup", "pw-1234567", "supervisor"))
    ent = bearer(create_user("ent", "pw-1234567", "enterprise", enterprise=enterprise))
    assert [x["id"] for x in client.get("/api/alarms/?district=310116", **sup).json()["results"]] == [a.id]
    assert client.get("/api/alarms/?district=310120", **sup).json()["count"] == 0
    assert client.get(f"/api/alarms/{a.id}", **sup).json()["district"] == "310116"
    r = client.post(
        f"/api/alarms/{a.id}/confirm", {"comment": "已收到，安排人员前往"}, content_type="application/json", **ent
    )
    assert r.status_code == 200, r.content
    seen = client.get(f"/api/alarms/{a.id}", **sup).json()
    assert [(c["by"], c["comment"]) for c in seen["confirmations"]] == [("ent", "已收到，安排人员前往")]
    assert seen["status"] == "raised"
    assert client.post(f"/api/alarms/{a.id}/confirm", {}, content_type="application/json", **sup).status_code == 403
    client.post(f"/api/alarms/{a.id}/resolve", {"comment": "已处置"}, content_type="application/json", **sup)
    assert client.post(f"/api/alarms/{a.id}/confirm", {}, content_type="application/json", **ent).status_code == 409


def test_dispatch_sends_the_people_and_cameras_chosen_on_the_map_within_scope(client, two):
    from geo_core.models import Subject, SubjectState

    a, b = two
    x = Alarm.objects.filter(enterprise=a).first()
    here = Point(121.30, 30.75, 0, srid=4490)
    mine = Subject.objects.create(kind="person", external_id="DSP-A1", name="甲一", enterprise=a, person_type="01")
    camera = Subject.objects.create(
        kind="body_camera",
        external_id="DSP-CAM",
        name="记录仪",
        enterprise=a,
        attributes={"holder": "执法人员王", "unit": "园区执法队"},
    )
    theirs = Subject.objects.create(kind="person", external_id="DSP-B1", name="乙一", enterprise=b, person_type="01")
    welder = Subject.objects.create(
        kind="welder", external_id="DSP-W", enterprise=a, mobility="fixed", chip_id="DSPC", qr_code="DSPQ"
    )
    for s in (mine, camera, theirs, welder):
        SubjectState.objects.create(subject=s, time=NOW, geom=here, source="demo")
    ent_a = bearer(create_user("ua-dsp", "pw-1234567", "enterprise", enterprise=a))

    def dispatch(headers, assignees):
        return client.post(
            f"/api/alarms/{x.id}/dispatch",
            {"comment": "去现场", "assignees": assignees},
            content_type="application/json",
            **headers,
        )

    # Another enterprise's person, a welding machine, an unknown code, or not a list: refused, naming it; no order.
    for bad, named in ((["DSP-A1", "DSP-B1"], "DSP-B1"), (["DSP-W"], "DSP-W"), (["NOPE"], "NOPE"), ("DSP-A1", "list")):
        r = dispatch(ent_a, bad)
        assert r.status_code == 400, bad
        assert named in r.json()["error"]
    assert not WorkOrder.objects.filter(alarm=x).exists()
    r = dispatch(ent_a, ["DSP-A1", "DSP-CAM", "DSP-A1"])
    assert r.status_code == 200
    wo = WorkOrder.objects.get(alarm=x)
    assert wo.assignees == [
        {"code": "DSP-A1", "name": "甲一", "kind": "person"},
        {"code": "DSP-CAM", "name": "记录仪", "kind": "body_camera"},
    ]
    order = client.get(f"/api/work-orders/{wo.number}", **ent_a).json()
    assert [p["code"] for p in order["assignees"]] == ["DSP-A1", "DSP-CAM"]


def test_a_supervisor_cannot_send_another_enterprises_people_and_officers_are_shown_redacted(client, two, supervisor):
    """Issue 24 (8): assignees lie within the scope of everyone who reads the order, or are shown to them redacted."""
    from geo_core.models import Subject, SubjectState

    a, b = two
    x = Alarm.objects.filter(enterprise=a).first()
    here = Point(121.30, 30.75, 0, srid=4490)
    mine = Subject.objects.create(kind="person", external_id="X-A1", name="甲员工", enterprise=a, person_type="01")
    theirs = Subject.objects.create(kind="person", external_id="X-B1", name="乙员工", enterprise=b, person_type="01")
    officer = Subject.objects.create(
        kind="body_camera",
        external_id="X-LAW",
        name="执法记录仪张三",
        attributes={"holder": "张三", "unit": "区执法大队"},
    )
    for s in (mine, theirs, officer):
        SubjectState.objects.create(subject=s, time=NOW, geom=here, source="demo")

    def dispatch(assignees):
        return client.post(
            f"/api/alarms/{x.id}/dispatch",
            {"comment": "去现场", "assignees": assignees},
            content_type="application/json",
            **supervisor,
        )

    r = dispatch(["X-A1", "X-B1"])
    assert r.status_code == 400
    assert "X-B1" in r.json()["error"]
    assert dispatch(["X-A1", "X-LAW"]).status_code == 200
    ent_a = bearer(create_user("ua-x", "pw-1234567", "enterprise", enterprise=a))
    order = client.get("/api/work-orders/", **ent_a).json()["results"][0]
    assert order["assignees"] == [
        {"code": "X-A1", "name": "甲员工", "kind": "person"},
        {"code": None, "name": None, "kind": "body_camera", "restricted": True},
    ]
    detail = client.get(f"/api/alarms/{x.id}", **ent_a).json()
    sent = next(s for s in detail["actions"] if s["action"] == "dispatched")["data"]["assignees"]
    assert [p["code"] for p in sent] == ["X-A1", None]
    text = b"".join(client.get("/api/work-orders/?f=csv", **ent_a).streaming_content).decode("utf-8-sig")
    assert "甲员工" in text
    assert "张三" not in text
    assert "X-LAW" not in text
    # The supervisor, who may see everyone, reads every name.
    everyone = client.get("/api/work-orders/", **supervisor).json()["results"][0]["assignees"]
    assert [p["name"] for p in everyone] == ["甲员工", "执法记录仪张三"]


def test_the_evidence_in_words_names_the_zone_and_speaks_in_distances_and_durations(
    client, make_enterprise, supervisor
):
    """Issue 28: the card speaks to people: the zone by name, the deciding fix's time and place, thresholds in
    words, no raw keys (visit, fence, params {}); the small map's zone and fix; the history's steps in Chinese."""
    from geo_core.models import Zone
    from tests.geo_core.conftest import square

    ent = make_enterprise()
    zone = Zone.objects.create(name="罐区禁区", kind="forbidden", enterprise=ent, geom=square(121.3, 30.75, 0.0005))
    rule = AlarmRule.objects.filter(type="out_of_bounds").first()
    t = datetime(2026, 12, 8, 3, 4, 5, tzinfo=UTC).timestamp()  # 11:04:05 in Shanghai
    evidence = {"rule": rule.id, "params": {"confirm_after_s": 30.0, "radius_m": 3.0}, "transition": "enter",
                "fence": f"z{zone.id}", "visit": f"z{zone.id}:7:123", "entered_at": t,
                "fix": {"t": t, "lon": 121.30012, "lat": 30.75003, "depth_m": 4.25},
                "end": {"reason": "left the zone"}}  # fmt: skip
    a = alarm(ent, 1, zone=zone, rule=rule)
    Alarm.objects.filter(id=a.id).update(evidence=evidence)
    a.actions.create(action="raised", by_name="engine")
    body = client.get(f"/api/alarms/{a.id}", **supervisor).json()
    words = {w["key"]: (w["label"], w["text"]) for w in body["evidence_words"]}
    assert words["fence"] == ("围栏", "罐区禁区")
    assert words["transition"] == ("进出", "进入")
    assert words["fix"] == ("判定定位", "12-08 11:04:05 于 121.30012, 30.75003，距围栏边界 4.2 米")
    assert set(words["params"][1].split("、")) == {"确认时长 30 秒", "半径 3.0 米"}
    assert words["end"] == ("解除", "已离开区域")
    assert words["rule"][1] == rule.name
    assert "visit" not in words
    assert all(w["label"] and not w["label"].isascii() for w in body["evidence_words"])
    shapes = body["evidence_map"]
    assert shapes["zone_name"] == "罐区禁区"
    assert shapes["zone"]["type"] in ("Polygon", "MultiPolygon")
    assert shapes["fix"] == [121.30012, 30.75003]
    # Another enterprise's user sees no zone outline of a zone not theirs (if they could see the alarm at all).
    other = bearer(create_user("oth", "pw-1234567", "enterprise", enterprise=make_enterprise()))
    assert client.get(f"/api/alarms/{a.id}", **other).status_code == 404
