"""Work in key areas kept as rows as it happens (seed 003: "对重点区域、重要时段的作业进行实时记录，包括区域名称、
作业焊工、作业焊机、作业时间"): a machine started by a welder's scan, powered inside a key place and powered off
there is one record with the area, the welder, the machine, the start, the end and the duration, written by the
alarm worker from positions and power; listed in the caller's scope and as a file."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from alarms.worker import AlarmWorker
from geo_core.access import create_user
from geo_core.ingest.devices import process
from geo_core.models import ApiToken, Enterprise, Zone
from reports.models import WorkRecord
from tests.alarms.conftest import T0, Scene
from tests.geo_core.conftest import credit_code, enterprise, jinshan_site, make_enterprise, park, square  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(jinshan_site) -> Scene:  # noqa: F811
    return Scene(jinshan_site.enterprise, jinshan_site)


def message(kind: str, t: float, **body) -> tuple[str, bytes]:
    return f"welder/CHIP-1/{kind}", orjson.dumps({"ts": int(t * 1000), **body})


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def test_a_spell_of_welding_in_a_key_place_is_one_record_with_welder_and_duration(client, scene):
    lon, lat = scene.at(300.0)
    place = Zone.objects.create(
        name="加油站重点区域", kind="key_place", enterprise=scene.enterprise, geom=square(lon, lat, 40 / 111_000)
    )
    w = AlarmWorker()
    w.start(now=T0 - 10)
    process([message("scan", T0, operator_id="W-07", operator_name="李焊工", certificate="T310", decision="allow",
                     phone={"lon": lon, "lat": lat, "crs": "cgcs2000"})])  # fmt: skip
    process([message("power", T0 + 1, state="on")])
    w.step(T0 + 1, [], events=True)
    for k in range(2, 60):  # in the key place for a minute, powered
        note = scene.write(scene.welder, T0 + k, 300.0).notified
        w.step(T0 + k, [note] if note else [])
    process([message("power", T0 + 90, state="off")])
    w.step(T0 + 90, [], events=True)
    w.step(T0 + 91, [])

    r = WorkRecord.objects.get()
    assert (r.kind, r.area_name, r.zone_id, r.machine_id) == ("key_area", "加油站重点区域", place.id, scene.welder.id)
    assert (r.operator_id, r.operator_name, r.certificate) == ("W-07", "李焊工", "T310")
    assert r.ended_at == datetime.fromtimestamp(T0 + 90, UTC)
    assert r.duration_s == round((r.ended_at - r.started_at).total_seconds())
    assert 60 <= r.duration_s <= 88  # entered at T0+2, confirmed after the 10 s dwell, powered off at T0+90
    assert r.alarm.type == "key_area_work"

    sup = auth(create_user("kw-sup", "pw-1234567", "supervisor"))
    body = client.get("/api/records/key-area-work", **sup).json()
    assert body["total"] == 1
    row = body["records"][0]
    assert (row["area"], row["operator_name"], row["machine"], row["duration_s"]) == (
        "加油站重点区域", "李焊工", "CHIP-1", r.duration_s,
    )  # fmt: skip
    assert client.get("/api/records/key-area-work?kind=key_period", **sup).json()["total"] == 0
    csv = b"".join(client.get("/api/records/key-area-work?f=csv", **sup).streaming_content).decode("utf-8-sig")
    assert "作业焊工" in csv.splitlines()[0]
    assert "李焊工" in csv
    # Another enterprise sees none of it; a bad kind is refused by name.
    other = Enterprise.objects.create(credit_code=credit_code(org="MA1KW0002"), name="别家", company_code="KW2")
    mine = auth(create_user("kw-b", "pw-1234567", "enterprise", enterprise=other))
    assert client.get("/api/records/key-area-work", **mine).json()["total"] == 0
    bad = client.get("/api/records/key-area-work?kind=nope", **sup)
    assert bad.status_code == 400
    assert "kind" in bad.json()["error"]
