"""The permit board of a day as seed 002 lists it (total, by operation, 作业中, 暂停中, 完成, by level; per enterprise)
and the year by month; within the caller's scope; the day is the park's calendar day."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.gis.geos import Point

from geo_core.access import create_user
from geo_core.models import ApiToken, Enterprise, Park, WorkPermit
from geo_core.partitions import PARK_TZ
from tests.geo_core.conftest import JINSHAN, credit_code, inside

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 3, 10, tzinfo=PARK_TZ)


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


@pytest.fixture
def permits(db):
    park = Park.objects.create(code="PB-PARK", name="看板园区")
    lon, lat = inside(JINSHAN)
    ents = {
        c: Enterprise.objects.create(
            credit_code=credit_code(org=f"MA1PB{n:04d}"), name=f"企业{c}", company_code=c, park=park
        )
        for n, c in enumerate(("PA", "PB"), 1)
    }

    def permit(ent, no, ticket_type, status, start_h, hours, **kw):
        start = DAY + timedelta(hours=start_h)
        return WorkPermit.objects.create(
            enterprise=ents[ent], ticket_no=no, ticket_type=ticket_type, status=status,
            location=Point(lon, lat, srid=4490), planned_start=start, planned_end=start + timedelta(hours=hours), **kw,
        )  # fmt: skip

    permit("PA", "A1", "02", 2, 8, 4)  # 动火 一级, 作业中
    permit("PA", "A2", "70", 6, 9, 2)  # 受限空间, 暂停
    permit("PA", "A3", "22", 3, 7, 3)  # 高处 II级, 完成 (已验收)
    permit("PA", "A4", "02", 1, 22, 6)  # 动火 一级, 已签发, runs into the next day
    permit("PA", "A5", "02", 2, -30, 4)  # the day before
    permit("PA", "A6", "70", 2, 10, 2, deleted=True)  # withdrawn
    permit("PB", "B1", "61", 2, 13, 2)  # 吊装 一级, 作业中, another enterprise
    permit("PB", "B2", "10", 3, 40 * 24, 2)  # in April
    return ents


def test_the_day_counted_as_the_seed_lists_it_per_enterprise_and_in_scope(client, permits):
    sup = auth(create_user("pb-sup", "pw-1234567", "supervisor"))
    b = client.get("/api/permits/board?day=2026-03-10", **sup).json()
    assert (b["total"], b["working"], b["paused"], b["done"], b["general"]) == (5, 2, 1, 1, None)
    assert b["by_operation"]["hot_work"] == 2
    assert b["by_operation"]["confined_space"] == 1
    assert b["by_operation"]["excavation"] == 0
    assert {(x["operation"], x["level"]): x["n"] for x in b["by_level"]} == {
        ("hot_work", "一级"): 2, ("height", "II级"): 1, ("lifting", "一级"): 1,
    }  # fmt: skip
    assert [(e["company_code"], e["total"], e["working"]) for e in b["enterprises"]] == [("PA", 4, 1), ("PB", 1, 1)]
    one = client.get("/api/permits/board?day=2026-03-10&enterprise=PB", **sup).json()
    assert (one["total"], one["working"], one["by_operation"]["lifting"]) == (1, 1, 1)
    # The next day holds the permit that runs past midnight (Shanghai).
    assert client.get("/api/permits/board?day=2026-03-11", **sup).json()["total"] == 1
    # An enterprise sees its own permits only.
    pb = auth(create_user("pb-b", "pw-1234567", "enterprise", enterprise=permits["PB"]))
    mine = client.get("/api/permits/board?day=2026-03-10", **pb).json()
    assert mine["total"] == 1
    assert [e["company_code"] for e in mine["enterprises"]] == ["PB"]
    bad = client.get("/api/permits/board?day=2026-02-30", **sup)
    assert bad.status_code == 400
    assert "day" in bad.json()["error"]


def test_the_year_by_month_type_and_level(client, permits):
    sup = auth(create_user("pm-sup", "pw-1234567", "supervisor"))
    y = client.get("/api/permits/months?year=2026", **sup).json()
    assert y["total"] == 7
    march, april = y["months"][2], y["months"][3]
    assert (march["month"], march["total"], april["total"]) == (3, 6, 1)
    assert march["by_operation"]["hot_work"] == 3
    assert april["by_operation"]["temporary_power"] == 1
    assert client.get("/api/permits/months?year=1999", **sup).status_code == 400
