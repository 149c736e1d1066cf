"""Enforcement on the map (seed 004): a day's inspection plan whose visits' progress comes from the officers' body
cameras against the enterprises' sites (visited, on site now, to visit), each officer's camera one click from the
video; the plan honours the caller's scope and refuses bad plans by their field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from geo_core.access import create_user
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import ApiToken, AuditEvent, Enterprise, Park, Region, Site, Subject
from geo_core.partitions import PARK_TZ
from tests.geo_core.conftest import FENGXIAN, JINSHAN, credit_code, inside, square
from video.models import VideoChannel

pytestmark = pytest.mark.django_db


def today():
    return datetime.now(UTC).astimezone(PARK_TZ).date()


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


@pytest.fixture
def scene(db) -> dict:
    park = Park.objects.create(code="I-PARK", name="执法园区")
    js, fx = inside(JINSHAN), inside(FENGXIAN)
    where = {"IA": js, "IB": (js[0] + 0.01, js[1]), "IC": fx}
    ents = {}
    for n, (code, (lon, lat)) in enumerate(where.items(), 1):
        e = Enterprise.objects.create(
            credit_code=credit_code(org=f"MA1CB{n:04d}"), name=f"被检企业{code}", company_code=code, park=park
        )
        Site(enterprise=e, name="厂区", footprint=square(lon, lat, 0.001)).save()
        ents[code] = e
    cams = {
        k: Subject.objects.create(
            kind="body_camera", external_id=k, name=f"执法记录仪{k}", attributes={"holder": f"执法人员{k}"}
        )
        for k in ("IBC1", "IBC2")
    }
    VideoChannel.objects.create(
        code="31011600001380000501", name="执法记录仪IBC1", kind="body_camera", subject=cams["IBC1"]
    )
    for cam in cams.values():  # at the district office two hours ago: seen by Jinshan's officers
        walk(cam, (datetime.now(UTC) - timedelta(hours=2), (js[0] + 0.005, js[1])))
    users = {
        "sup": create_user("ins-sup", "pw-1234567", "supervisor"),
        "js": create_user("ins-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)),
        "fx": create_user("ins-fx", "pw-1234567", "district", district=Region.objects.get(code=FENGXIAN)),
        "ent": create_user("ins-ent", "pw-1234567", "enterprise", enterprise=ents["IA"]),
    }
    return {"ents": ents, "where": where, "cams": cams, "auth": {k: auth(u) for k, u in users.items()}}


def walk(cam: Subject, *fixes: tuple[datetime, tuple[float, float]]) -> None:
    """The camera's positions, through the one write path (history, and the live state from the latest)."""
    write_fixes(
        FixBatch(
            subject_id=np.full(len(fixes), cam.id),
            time=[t for t, _ in fixes],
            lon=np.array([p[0] for _, p in fixes]),
            lat=np.array([p[1] for _, p in fixes]),
            source="simulator",
            raw_x=np.array([p[0] for _, p in fixes]),
            raw_y=np.array([p[1] for _, p in fixes]),
            raw_crs=["cgcs2000"] * len(fixes),
        )
    )


def plan(client, headers, **body):
    values = {
        "name": "危化品企业专项执法检查",
        "kind": "special",
        "day": today().isoformat(),
        "department": "金山区应急管理局执法大队",
        "enterprises": ["IA", "IB", "IC"],
    }
    return client.post("/api/inspections", json.dumps(values | body), content_type="application/json", **headers)


def test_a_plans_progress_follows_the_officers_body_cameras(client, scene):
    now = datetime.now(UTC)  # not the module's import time: the suite may have run for minutes since
    cams, where = scene["cams"], scene["where"]
    officers = [cams["IBC1"].id, cams["IBC2"].id]
    r = plan(client, scene["auth"]["sup"], officers=officers)
    assert r.status_code == 201, r.content
    created = r.json()
    assert [s["status"] for s in created["stops"]] == ["to_visit"] * 3
    assert AuditEvent.objects.filter(action="inspection.plan", target_id=str(created["id"])).exists()

    # IBC1 was at IA 40 and 30 minutes ago and stands at IB now; IBC2 was at IC 10 minutes ago, silent since, and
    # at IA yesterday (not this plan's day).
    walk(cams["IBC1"], (now - timedelta(minutes=40), where["IA"]), (now - timedelta(minutes=30), where["IA"]))
    walk(cams["IBC1"], (now - timedelta(seconds=20), where["IB"]))
    walk(cams["IBC2"], (now - timedelta(days=1), where["IA"]), (now - timedelta(minutes=10), where["IC"]))
    body = client.get("/api/inspections", **scene["auth"]["sup"]).json()
    assert body["day"] == today().isoformat()
    (p,) = body["plans"]
    stops = {s["enterprise"]["company_code"]: s for s in p["stops"]}
    assert {k: s["status"] for k, s in stops.items()} == {"IA": "visited", "IB": "on_site", "IC": "visited"}
    assert p["progress"] == {"visited": 2, "on_site": 1, "to_visit": 0}
    arrived = datetime.fromisoformat(stops["IA"]["arrived_at"])
    assert abs(arrived - (now - timedelta(minutes=40))) < timedelta(seconds=1)  # not yesterday's visit
    assert abs(datetime.fromisoformat(stops["IA"]["last_seen_at"]) - (now - timedelta(minutes=30))) < timedelta(
        seconds=1
    )
    assert stops["IB"]["officers_here"] == [cams["IBC1"].id]
    assert stops["IC"]["officers_here"] == []  # heard 10 minutes ago: visited, not there now
    crew = {o["external_id"]: o for o in p["officers"]}
    assert crew["IBC1"]["at_stop"] == stops["IB"]["id"]
    assert crew["IBC1"]["channel"]["code"] == "31011600001380000501"  # its video, one click away
    assert crew["IBC1"]["holder"] == "执法人员IBC1"
    assert crew["IBC2"]["at_stop"] is None
    assert crew["IBC2"]["channel"] is None
    assert stops["IB"]["location"]["type"] == "Point"

    # Yesterday's plan for IC: IBC2 came there today, not yesterday, and "on site now" is for today's plans only.
    r = plan(
        client,
        scene["auth"]["sup"],
        day=(today() - timedelta(days=1)).isoformat(),
        enterprises=["IC"],
        officers=[cams["IBC2"].id],
    )
    old = client.get(f"/api/inspections/{r.json()['id']}", **scene["auth"]["sup"]).json()
    assert old["stops"][0]["status"] == "to_visit"


def test_plans_honour_the_callers_scope(client, scene):
    cams = scene["cams"]
    officers = [cams["IBC1"].id]
    created = plan(client, scene["auth"]["sup"], officers=officers).json()
    # Fengxian's officer sees the plan with Fengxian's enterprise only; Jinshan's with its two.
    fx = client.get(f"/api/inspections/{created['id']}", **scene["auth"]["fx"]).json()
    assert [s["enterprise"]["company_code"] for s in fx["stops"]] == ["IC"]
    js = client.get("/api/inspections", **scene["auth"]["js"]).json()["plans"]
    assert [s["enterprise"]["company_code"] for s in js[0]["stops"]] == ["IA", "IB"]
    # An enterprise does not see inspection plans, nor make them.
    assert client.get("/api/inspections", **scene["auth"]["ent"]).status_code == 403
    assert plan(client, scene["auth"]["ent"], officers=officers).status_code == 403
    # A district officer plans within its district only.
    r = plan(client, scene["auth"]["js"], officers=officers)
    assert r.status_code == 400
    assert r.json()["field"] == "enterprises[2]"
    mine = plan(client, scene["auth"]["js"], officers=officers, enterprises=["IB", "IA"])
    assert mine.status_code == 201, mine.content
    assert [s["enterprise"]["company_code"] for s in mine.json()["stops"]] == ["IB", "IA"]  # the order given
    # Cancelling: its author or a supervisor.
    assert client.delete(f"/api/inspections/{created['id']}", **scene["auth"]["js"]).status_code == 403
    assert client.delete(f"/api/inspections/{mine.json()['id']}", **scene["auth"]["js"]).json()["cancelled"] is True
    left = client.get("/api/inspections", **scene["auth"]["sup"]).json()["plans"]
    assert [p["id"] for p in left] == [created["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enterprises": ["NOPE"]}, "enterprises[0]"),
        ({"enterprises": ["IA", "IA"]}, "enterprises"),
        ({"enterprises": []}, "enterprises"),
        ({"day": "2026-02-30"}, "day"),
        ({"day": "tomorrow"}, "day"),
        ({"kind": "raid"}, "kind"),
        ({"name": "  "}, "name"),
        ({"officers": [0]}, "officers[0]"),
        ({"officers": "IBC1"}, "officers"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_plan_is_refused_by_its_field_and_nothing_is_stored(client, scene, body, field):
    values = {"officers": [scene["cams"]["IBC1"].id]} | body
    r = plan(client, scene["auth"]["sup"], **values)
    assert r.status_code == 400, r.content
    assert r.json()["field"] == field
    assert client.get("/api/inspections", **scene["auth"]["sup"]).json()["plans"] == []


def test_a_person_is_not_an_officers_camera(client, scene):
    person = Subject.objects.create(kind="person", external_id="P-1", person_type="01", enterprise=scene["ents"]["IA"])
    r = plan(client, scene["auth"]["sup"], officers=[person.id])
    assert (r.status_code, r.json()["field"]) == (400, "officers[0]")
