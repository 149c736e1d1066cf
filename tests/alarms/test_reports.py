"""Alarms and work orders as CSV and XLSX for monthly reports (issue 15): the list's filters and scope, Chinese
column names, times in Asia/Shanghai; read back by GDAL's own ogr2ogr."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

from geo_core.access import create_user
from tests.alarms.test_api import NOW, alarm, bearer, supervisor, two

__all__ = ["supervisor", "two"]


def rows_of(response, tmp_path: Path, name: str) -> list[dict]:
    path = tmp_path / name
    path.write_bytes(b"".join(response.streaming_content))
    out = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [f["properties"] for f in json.loads(out)["features"]]


def test_alarms_as_xlsx_keep_the_filters_and_say_shanghai_time(client, two, supervisor, tmp_path):
    a, _b = two
    r = client.get(f"/api/alarms/?f=xlsx&enterprise={a.company_code}", **supervisor)
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith('attachment; filename="alarms.xlsx"')
    rows = rows_of(r, tmp_path, "a.xlsx")
    assert len(rows) == 5
    assert {row["企业编码"] for row in rows} == {a.company_code}
    first = rows[0]
    local = (NOW + timedelta(hours=8)).replace(tzinfo=None)  # the newest alarm, raised NOW, in Shanghai time
    assert first["报警时间"].replace("/", "-")[:16] == local.isoformat()[:16]
    assert first["报警类型"]
    assert first["经度"] == 121.30


def test_alarms_as_csv_hold_only_the_callers_rows_and_english_columns(client, two, tmp_path):
    _a, b = two
    r = client.get(
        "/api/alarms/?f=csv&lang=en", **bearer(create_user("ent-b", "pw-1234567", "enterprise", enterprise=b))
    )
    text = b"".join(r.streaming_content).decode("utf-8-sig")  # a byte-order mark, for spreadsheets
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["company_code"] for row in rows] == [b.company_code]
    assert rows[0]["raised_at"].endswith("+08:00")
    assert client.get("/api/alarms/?f=pdf", **bearer(create_user("x", "pw-1234567", "supervisor"))).status_code == 400


def test_work_orders_as_xlsx(client, two, supervisor, tmp_path):
    a, _b = two
    a1 = alarm(a, 30)
    r = client.post(
        f"/api/alarms/{a1.id}/dispatch",
        {"comment": "去看看", "department": "安监科"},
        content_type="application/json",
        **supervisor,
    )
    assert r.status_code == 200, r.content
    rows = rows_of(client.get("/api/work-orders/?f=xlsx", **supervisor), tmp_path, "w.xlsx")
    assert len(rows) == 1
    assert rows[0]["报警编号"] == a1.id
    assert rows[0]["处置部门"] == "安监科"


FORMULAS = ['=HYPERLINK("http://127.0.0.1/x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "＝1+1"]


def test_text_that_starts_a_formula_is_inert_in_csv_and_stays_text_in_xlsx(client, two, supervisor, tmp_path):
    """Issue 24 (4): tenant-controlled text (a department, a comment) never becomes a spreadsheet formula."""
    a, _b = two
    for n, text in enumerate(FORMULAS):
        r = client.post(
            f"/api/alarms/{alarm(a, 40 + n).id}/dispatch",
            {"comment": text, "department": text},
            content_type="application/json",
            **supervisor,
        )
        assert r.status_code == 200, r.content
    raw = b"".join(client.get("/api/work-orders/?f=csv&lang=en", **supervisor).streaming_content)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    departments = sorted(row["department"] for row in rows)
    assert departments == sorted("'" + t for t in FORMULAS)
    assert all(row["instructions"].startswith("'") for row in rows)
    # XLSX cells are strings, never formulas: no <f> element, the text as it was sent.
    path = tmp_path / "w.xlsx"
    path.write_bytes(b"".join(client.get("/api/work-orders/?f=xlsx", **supervisor).streaming_content))
    with zipfile.ZipFile(path) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets
    assert "<f " not in sheets
    assert sorted(row["处置部门"] for row in rows_of_path(path)) == sorted(FORMULAS)


def rows_of_path(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [f["properties"] for f in json.loads(out)["features"]]
