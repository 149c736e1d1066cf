"""Machine start-up records (seed 003: 扫码开机, 设备操作记录): each scan sent through the device path is listed with
who scanned, which machine, the decision and the remote-scan verdict on it; filtered by decision, verdict, enterprise
and period; an enterprise sees its own machines' scans only; as a file with Chinese headings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.contrib.gis.geos import Point

from geo_core.access import create_user
from geo_core.ingest.devices import process
from geo_core.models import ApiToken, DeviceEvent, Enterprise, Park, Region, Subject, SubjectState
from tests.geo_core.conftest import JINSHAN, credit_code, inside

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def scan(chip: str, t: datetime, operator: str, decision: str, lon: float, lat: float) -> tuple[str, bytes]:
    body = {"ts": int(t.timestamp() * 1000), "operator_id": operator, "operator_name": f"焊工{operator}",
            "decision": decision, "phone": {"lon": lon, "lat": lat, "crs": "cgcs2000"}}  # fmt: skip
    return f"welder/{chip}/scan", orjson.dumps(body)


@pytest.fixture
def scene(db) -> dict:
    lon, lat = inside(JINSHAN)
    out = {"lon": lon, "lat": lat}
    park = Park.objects.create(code="S-PARK", name="扫码园区")
    for n, code in enumerate(("SA", "SB"), 1):
        ent = Enterprise.objects.create(
            credit_code=credit_code(org=f"MA1QR{n:04d}"), name=f"扫码企业{code}", company_code=code, park=park
        )
        m = Subject.objects.create(
            kind="welder", external_id=f"W-{code}", name=f"焊机{code}", enterprise=ent, chip_id=f"CHIP-{code}",
            qr_code=f"QR-{code}", mobility="fixed",
        )  # fmt: skip
        SubjectState.objects.create(subject=m, time=NOW, geom=Point(lon, lat, 0, srid=4490), source="demo")
        out[code] = ent
    out["users"] = {
        "sup": auth(create_user("sr-sup", "pw-1234567", "supervisor")),
        "a": auth(create_user("sr-a", "pw-1234567", "enterprise", enterprise=out["SA"])),
        "js": auth(create_user("sr-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN))),
    }
    r = process(
        [
            scan("CHIP-SA", NOW, "A1", "allow", lon + 0.0001, lat),
            scan("CHIP-SA", NOW + timedelta(seconds=30), "A2", "deny", lon + 0.05, lat),
            scan("CHIP-SB", NOW, "B1", "allow", lon, lat),
        ]
    )
    assert r.events == 3
    far = DeviceEvent.objects.get(kind="scan", data__operator_id="A2")  # as the alarm worker writes its verdict
    far.data = {**far.data, "remote_scan": {"result": "remote", "distance_m": 4780.5}}
    far.save()
    return out


def test_scans_are_listed_with_their_decision_and_verdict_within_scope(client, scene):
    body = client.get("/api/records/scans", **scene["users"]["sup"]).json()
    assert body["total"] == 3
    first = body["scans"][0]  # newest first
    assert (first["operator_id"], first["decision_label"], first["verdict_label"], first["distance_m"]) == (
        "A2",
        "拒绝开机",
        "异地扫码",
        4780.5,
    )
    assert first["company_code"] == "SA"
    mine = client.get("/api/records/scans", **scene["users"]["a"]).json()
    assert {s["machine"] for s in mine["scans"]} == {"CHIP-SA"}  # not B's
    assert client.get("/api/records/scans", **scene["users"]["js"]).json()["total"] == 3  # both are in Jinshan
    remote = client.get("/api/records/scans?verdict=remote", **scene["users"]["sup"]).json()
    assert [s["operator_id"] for s in remote["scans"]] == ["A2"]
    allowed = client.get("/api/records/scans?decision=allow&enterprise=SB", **scene["users"]["sup"]).json()
    assert [s["operator_id"] for s in allowed["scans"]] == ["B1"]
    old = (NOW - timedelta(days=30)).isoformat().replace("+00:00", "Z")
    assert client.get(f"/api/records/scans?until={old}", **scene["users"]["sup"]).json()["total"] == 0
    assert client.get("/api/records/scans?verdict=far", **scene["users"]["sup"]).status_code == 400
    csv = b"".join(client.get("/api/records/scans?f=csv", **scene["users"]["a"]).streaming_content).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("扫码时间,焊机编号,焊机名称,企业编码")
    assert "异地扫码" in csv
    assert "CHIP-SB" not in csv
