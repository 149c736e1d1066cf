"""Certified welders (seeds 000, 003): the register with its authority, validity, age, region and 流动/固定 as the
scans and the mobile-machine verdict make them; statistics by age, authority, region and mobility; scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from django.contrib.gis.geos import Point

from geo_core.access import create_user
from geo_core.ingest.devices import process
from geo_core.models import ApiToken, Certificate, Enterprise, Region, Subject, SubjectState
from geo_core.partitions import PARK_TZ
from tests.geo_core.conftest import JINSHAN, credit_code, inside

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def years_ago(n: int) -> date:
    today = datetime.now(PARK_TZ).date()
    return today.replace(year=today.year - n) - timedelta(days=10)


@pytest.fixture
def welders(db):
    lon, lat = inside(JINSHAN)
    ent = Enterprise.objects.create(credit_code=credit_code(org="MA1WD0001"), name="焊接企业", company_code="WD1")
    machines = {}
    for code, mobility in (("M-FIX", "fixed"), ("M-MOB", "mobile")):
        m = Subject.objects.create(kind="welder", external_id=code, enterprise=ent, chip_id=f"CHIP-{code}",
                                   qr_code=f"QR-{code}", mobility=mobility)  # fmt: skip
        SubjectState.objects.create(subject=m, time=NOW, geom=Point(lon, lat, 0, srid=4490), source="demo")
        machines[code] = m
    today = datetime.now(PARK_TZ).date()

    def cert(number, name, authority, age, valid_days, **kw):
        return Certificate.objects.create(
            holder_name=name, number=number, category="焊接与热切割作业", authority=authority,
            birth_date=years_ago(age), issued_on=today - timedelta(days=1000),
            valid_until=today + timedelta(days=valid_days), unit="某焊接队", **kw,
        )  # fmt: skip

    cert("T1", "甲", "上海市应急管理局", 25, 20)  # ending within 30 days
    cert("T2", "乙", "江苏省应急管理厅", 45, 400)
    cert("T3", "丙", "上海市应急管理局", 61, -5)  # expired
    Certificate.objects.create(holder_name="丁", number="E1", category="电工作业", issued_on=today, valid_until=today)

    def scan(chip, cert_no, t):
        body = {"ts": int(t.timestamp() * 1000), "operator_id": cert_no, "certificate": cert_no, "decision": "allow",
                "phone": {"lon": lon, "lat": lat, "crs": "cgcs2000"}}  # fmt: skip
        return f"welder/{chip}/scan", orjson.dumps(body)

    # 甲 started the fixed machine, then the mobile one (the newest counts); 乙 the fixed one; 丙 never.
    assert process([scan("CHIP-M-FIX", "T1", NOW - timedelta(hours=2)), scan("CHIP-M-MOB", "T1", NOW),
                    scan("CHIP-M-FIX", "T2", NOW)]).events == 3  # fmt: skip
    return {"ent": ent, "machines": machines}


def test_the_register_follows_the_scans_and_the_machines_mobility(client, welders):
    sup = auth(create_user("wd-sup", "pw-1234567", "supervisor"))
    body = client.get("/api/welders", **sup).json()
    assert body["total"] == 3  # welding certificates only
    rows = {r["number"]: r for r in body["welders"]}
    assert (rows["T1"]["mobility"], rows["T1"]["last_machine"], rows["T1"]["region_code"]) == (
        "mobile",
        "CHIP-M-MOB",
        JINSHAN,
    )
    assert (rows["T2"]["mobility"], rows["T3"]["mobility"]) == ("fixed", "none")
    assert (rows["T1"]["age"], rows["T3"]["state"], rows["T1"]["state"]) == (25, "expired", "expiring")
    assert [r["number"] for r in client.get("/api/welders?mobility=mobile", **sup).json()["welders"]] == ["T1"]
    assert [r["number"] for r in client.get("/api/welders?state=expired", **sup).json()["welders"]] == ["T3"]
    got = client.get("/api/welders?authority=上海市应急管理局", **sup).json()["welders"]
    assert {r["number"] for r in got} == {"T1", "T3"}
    # A scan older than the one kept changes nothing.
    m = welders["machines"]["M-FIX"]
    older = {"ts": int((NOW - timedelta(days=1)).timestamp() * 1000), "operator_id": "T1", "certificate": "T1",
             "decision": "allow", "phone": {"lon": 121.3, "lat": 30.8, "crs": "cgcs2000"}}  # fmt: skip
    process([(f"welder/{m.chip_id}/scan", orjson.dumps(older))])
    assert Certificate.objects.get(number="T1").last_machine_id == welders["machines"]["M-MOB"].id
    # The mobile-machine verdict on the fixed machine makes 乙 流动 too.
    Subject.objects.filter(id=m.id).update(mobility="mobile")
    assert client.get("/api/welders?number=T2&q=T2", **sup).json()["welders"][0]["mobility"] == "mobile"
    bad = client.get("/api/welders?state=soon", **sup)
    assert bad.status_code == 400
    assert "state" in bad.json()["error"]


def test_statistics_by_age_authority_region_and_mobility_in_scope(client, welders):
    sup = auth(create_user("ws-sup", "pw-1234567", "supervisor"))
    s = client.get("/api/welders/stats", **sup).json()
    assert s["total"] == 3
    ages = {a["band"]: a["n"] for a in s["by_age"]}
    assert (ages["30岁以下"], ages["40-49岁"], ages["60岁及以上"]) == (1, 1, 1)
    assert {a["authority"]: a["n"] for a in s["by_authority"]} == {"上海市应急管理局": 2, "江苏省应急管理厅": 1}
    assert {m["mobility"]: m["n"] for m in s["by_mobility"]} == {"流动": 1, "固定": 1, "未开机": 1}
    assert {r["region"]: r["n"] for r in s["by_region"]} == {"金山区": 2, "未知": 1}
    assert s["ending_within_days"] == {"30": 1, "60": 1, "90": 1}
    # A district officer sees the welders working in the district; another district's officer none.
    js = auth(create_user("ws-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)))
    assert client.get("/api/welders/stats", **js).json()["total"] == 2
    other = Region.objects.filter(level="district").exclude(code=JINSHAN).first()
    far = auth(create_user("ws-x", "pw-1234567", "district", district=other))
    assert client.get("/api/welders/stats", **far).json()["total"] == 0
    # An enterprise sees its own people's certificates: none are its tracked people here.
    ent = auth(create_user("ws-e", "pw-1234567", "enterprise", enterprise=welders["ent"]))
    assert client.get("/api/welders", **ent).json()["total"] == 0
