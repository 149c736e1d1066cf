"""Trends: machine start-ups per day and district counted by the database as power-on events arrive (the 7- and
15-day lines), within the caller's districts; alarms grouped by type, district, day and severity in scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from alarms.models import Alarm
from geo_core.access import create_user
from geo_core.ingest.devices import process
from geo_core.models import ApiToken, Enterprise, Region, Subject, SubjectState
from geo_core.partitions import PARK_TZ
from reports.models import DailyCount
from tests.geo_core.conftest import JINSHAN, credit_code, inside

pytestmark = pytest.mark.django_db
FENGXIAN = "310120"


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def power(chip: str, t: datetime, state: str) -> tuple[str, bytes]:
    return f"welder/{chip}/power", orjson.dumps({"ts": int(t.timestamp() * 1000), "state": state})


@pytest.fixture
def machines(db):
    ent = Enterprise.objects.create(credit_code=credit_code(org="MA1TR0001"), name="趋势企业", company_code="TR1")
    out = {}
    for code, district in (("J", JINSHAN), ("F", FENGXIAN)):
        lon, lat = inside(district)
        m = Subject.objects.create(kind="welder", external_id=f"TR-{code}", enterprise=ent, chip_id=f"CHIP-TR-{code}",
                                   qr_code=f"QR-TR-{code}", mobility="fixed")  # fmt: skip
        SubjectState.objects.create(subject=m, time=timezone.now(), geom=Point(lon, lat, 0, srid=4490), source="demo")
        out[code] = m
    return out


def test_startups_are_counted_per_day_and_district_as_power_on_arrives(client, machines):
    now = datetime.now(UTC).replace(microsecond=0)
    yesterday = now - timedelta(days=1)
    process([power("CHIP-TR-J", now - timedelta(minutes=m), "on") for m in (1, 2, 3)]
            + [power("CHIP-TR-J", now - timedelta(minutes=4), "off"), power("CHIP-TR-F", yesterday, "on")])  # fmt: skip
    process([power("CHIP-TR-J", now - timedelta(minutes=1), "on")])  # the same event again: not counted twice
    today = now.astimezone(PARK_TZ).date()
    assert DailyCount.objects.get(day=today, district__code=JINSHAN, metric="startup").n == 3
    sup = auth(create_user("tr-sup", "pw-1234567", "supervisor"))
    body = client.get("/api/trends/startups?days=7", **sup).json()
    assert body["days"][-1] == today.isoformat()
    assert len(body["days"]) == 7
    series = {s["code"]: s["counts"] for s in body["series"]}
    assert series[JINSHAN][-1] == 3
    assert series[FENGXIAN][-2] == 1
    assert body["totals"][-1] == 3
    assert len(client.get("/api/trends/startups?days=15", **sup).json()["days"]) == 15
    # A district officer sees their district's line only; an enterprise (counted by place, not owner) none.
    js = auth(create_user("tr-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)))
    assert [s["code"] for s in client.get("/api/trends/startups", **js).json()["series"]] == [JINSHAN]
    ent = auth(create_user("tr-e", "pw-1234567", "enterprise", enterprise=machines["J"].enterprise))
    assert client.get("/api/trends/startups", **ent).json()["series"] == []
    assert client.get("/api/trends/startups?days=99", **sup).status_code == 400


def test_alarms_grouped_by_type_district_day_and_severity(client, machines):
    now = timezone.now()
    ent = machines["J"].enterprise
    jinshan = Region.objects.get(code=JINSHAN)
    for k, (type_, severity) in enumerate([("sos", "critical"), ("sos", "critical"), ("leaving", "warning")]):
        Alarm.objects.create(key=f"tr:{k}", type=type_, category="person", severity=severity,
                             raised_at=now - timedelta(hours=k), enterprise=ent, company_code="TR1",
                             district=jinshan)  # fmt: skip
    sup = auth(create_user("ta-sup", "pw-1234567", "supervisor"))
    by_type = client.get("/api/trends/alarms?by=type", **sup).json()
    assert [(g["key"], g["label"], g["n"]) for g in by_type["groups"]] == [
        ("sos", "SOS 求救", 2),
        ("leaving", "离场", 1),
    ]
    assert client.get("/api/trends/alarms?by=district", **sup).json()["groups"] == [
        {"key": JINSHAN, "label": "金山区", "n": 3}
    ]
    assert sum(g["n"] for g in client.get("/api/trends/alarms?by=day", **sup).json()["groups"]) == 3
    sev = client.get("/api/trends/alarms?by=severity&type=sos", **sup).json()
    assert [(g["key"], g["n"]) for g in sev["groups"]] == [("critical", 2)]
    # The counts the database keeps follow an alarm moved to another district and one deleted.
    Alarm.objects.filter(key="tr:0").update(district=Region.objects.get(code=FENGXIAN))
    Alarm.objects.filter(key="tr:2").delete()
    moved = client.get("/api/trends/alarms?by=district", **sup).json()["groups"]
    assert {g["key"]: g["n"] for g in moved} == {JINSHAN: 1, FENGXIAN: 1}
    other = Enterprise.objects.create(credit_code=credit_code(org="MA1TR0002"), name="别家", company_code="TR2")
    mine = auth(create_user("ta-e", "pw-1234567", "enterprise", enterprise=other))
    assert client.get("/api/trends/alarms", **mine).json()["total"] == 0
    bad = client.get("/api/trends/alarms?by=colour", **sup)
    assert bad.status_code == 400
    assert "by" in bad.json()["error"]
