"""Weekly and monthly reports as files: the PDF opens and holds the numbers the APIs answer (read back with pypdf),
the workbook holds them too; made on demand within the caller's regions and by the schedule once per period."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from alarms.models import Alarm
from alarms.store import set_jurisdiction
from geo_core.access import create_user
from geo_core.models import ApiToken, Enterprise, Region
from geo_core.partitions import PARK_TZ
from reports import files
from reports.models import ReportFile
from tests.geo_core.conftest import JINSHAN, credit_code, inside

pytestmark = pytest.mark.django_db
FENGXIAN = "310120"


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


@pytest.fixture
def week(db):
    """Last week's alarms in Jinshan: 3 SOS at 甲, 2 leaving at 乙; one SOS the week before; one in Fengxian."""
    today = datetime.now(PARK_TZ).date()
    p = files.last_complete("week", today)
    monday = datetime.combine(p.start, datetime.min.time(), PARK_TZ)
    ents = [Enterprise.objects.create(credit_code=credit_code(org=f"MA1RF{k:04d}"), name=n, company_code=f"RF{k}")
            for k, n in enumerate(("甲化工", "乙化工"), 1)]  # fmt: skip
    lon, lat = inside(JINSHAN)
    flon, flat = inside(FENGXIAN)

    def alarm(k, type_, ent, when, where=(lon, lat), severity="alarm"):
        Alarm.objects.create(key=f"rf:{k}", type=type_, category="person", severity=severity, raised_at=when,
                             enterprise=ent, company_code=ent.company_code,
                             location=Point(*where, srid=4490))  # fmt: skip

    for k in range(3):
        alarm(k, "sos", ents[0], monday + timedelta(days=1, hours=k), severity="critical")
    for k in range(3, 5):
        alarm(k, "leaving", ents[1], monday + timedelta(days=2, hours=k), severity="warning")
    alarm(9, "sos", ents[0], monday - timedelta(days=2))
    alarm(10, "sos", ents[0], monday + timedelta(days=1), where=(flon, flat))
    set_jurisdiction(list(Alarm.objects.values_list("id", flat=True)))  # as the alarm writer does after each insert
    return p


def test_the_pdf_and_workbook_hold_the_numbers_the_api_answers(client, week):
    sup = auth(create_user("rf-sup", "pw-1234567", "supervisor"))
    made = client.post("/api/report-files", json.dumps({"kind": "week", "region": JINSHAN}),
                       content_type="application/json", **sup)  # fmt: skip
    assert made.status_code == 201, made.content
    row = made.json()
    assert (row["period_start"], row["alarms"]) == (week.start.isoformat(), 5)
    # The same numbers through the trend API for the same region and span.
    a, b = week.span
    q = f"since={a.astimezone(UTC).isoformat()}&until={b.astimezone(UTC).isoformat()}&region={JINSHAN}".replace(
        "+", "%2B"
    )
    by_type = {g["key"]: g["n"] for g in client.get(f"/api/trends/alarms?by=type&{q}", **sup).json()["groups"]}
    assert by_type == {"sos": 3, "leaving": 2}
    pdf = client.get(row["pdf"], **sup)
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "金山区涉焊作业与特殊作业安全监管周报" in text
    assert f"{week.start} 至 {week.end}" in text
    assert "5\n报警总数（较上期上升 400%）" in text
    assert "SOS 求救 3" in text
    assert "离场 2" in text
    assert "甲化工 RF1 3" in text
    assert "3\n紧急/红色报警" in text
    assert "改进建议" in text
    assert "报警总数较上期上升 400%" in text  # a suggestion drawn from the numbers
    book = zipfile.ZipFile(io.BytesIO(client.get(row["xlsx"], **sup).content))
    strings = book.read("xl/sharedStrings.xml").decode()
    for word in ("报警类型", "SOS 求救", "甲化工"):
        assert word in strings
    assert len([n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]) == 4
    listed = client.get("/api/report-files", **sup).json()["reports"]
    assert [(r["region"], r["kind"]) for r in listed] == [(JINSHAN, "week")]


def test_district_officers_report_on_their_district_and_the_schedule_makes_each_once(client, week):
    js = auth(create_user("rf-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)))
    other = client.post("/api/report-files", json.dumps({"kind": "week", "region": FENGXIAN}),
                        content_type="application/json", **js)  # fmt: skip
    assert other.status_code == 404
    bad = client.post("/api/report-files", json.dumps({"kind": "year", "region": JINSHAN}),
                      content_type="application/json", **js)  # fmt: skip
    assert bad.status_code == 400
    assert "kind" in bad.json()["error"]
    ent = auth(create_user("rf-e", "pw-1234567", "enterprise", enterprise=Enterprise.objects.get(company_code="RF1")))
    assert client.get("/api/report-files", **ent).status_code == 403
    call_command("report_files", regions=f"{JINSHAN},{FENGXIAN}")
    assert ReportFile.objects.filter(kind="week").count() == 2
    assert ReportFile.objects.filter(kind="month").count() == 2
    call_command("report_files", regions=f"{JINSHAN},{FENGXIAN}")  # nothing owed the second time
    assert ReportFile.objects.count() == 4
    mine = client.get("/api/report-files", **js).json()["reports"]
    assert {r["region"] for r in mine} == {JINSHAN}
    fx = ReportFile.objects.get(kind="week", region__code=FENGXIAN)
    assert client.get(f"/api/report-files/{fx.id}.pdf", **js).status_code == 404
    assert fx.summary["alarms"] == 1
    assert fx.created_by == "schedule"
