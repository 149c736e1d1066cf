"""GIS files uploaded for import over real HTTP (issue 15): a supervisor sends a file, the server imports it in the
background, the job reports its progress and every feature; others are refused; bad uploads are 400s."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

from geo_core.access import create_user
from geo_core.models import ApiToken, ImportJob, Zone
from tests.geo_core.conftest import JINSHAN, inside

pytestmark = pytest.mark.django_db  # so that the run sets up the test database the server is started on
AUTHORITY = "上传测试管委会"


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """A supervisor and an enterprise-less district officer the server can see (committed), and what the test's
    imports leave behind, removed afterwards."""
    from geo_core.models import Region

    assert connection.settings_dict["NAME"].startswith("test_"), "never write into the service's own database"
    with django_db_blocker.unblock():
        sup = create_user("upload-sup", "Pw-strong-123!", "supervisor")
        officer = create_user("upload-officer", "Pw-strong-123!", "district", district=Region.objects.get(code=JINSHAN))
        lon, lat = inside(JINSHAN)
        yield {"sup": ApiToken.issue(sup)[1], "officer": ApiToken.issue(officer)[1], "lon": lon, "lat": lat}
        Zone.objects.filter(authority=AUTHORITY).delete()
        ImportJob.objects.filter(user_name="upload-sup").delete()
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_auditevent WHERE actor_id IN (%s, %s)", [sup.id, officer.id])
        for u in (sup, officer):
            u.delete()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def call(base: str, path: str, token: str | None, body: bytes | None = None, kind: str = "") -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if kind:
        headers["Content-Type"] = kind
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def fences_gpkg(tmp_path: Path, lon: float, lat: float, n: int) -> bytes:
    feats = []
    for k in range(n):
        x = lon + (k % 50) * 0.0002
        y = lat + (k // 50) * 0.0002
        ring = [[x, y], [x + 0.0001, y], [x + 0.0001, y + 0.0001], [x, y + 0.0001], [x, y]]
        feats.append(
            {
                "type": "Feature",
                "properties": {"名称": f"岗位{k}", "类型": "岗位", "编号": f"U-{k}", "管理单位": AUTHORITY},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    src = tmp_path / "fences.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "岗位围栏.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), str(src), "-a_srs", "EPSG:4490"], check=True)
    return out.read_bytes()


def wait(base: str, location: str, token: str, seconds: float = 60.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, job = call(base, location, token)
        assert status == 200
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"import still {job['status']} after {seconds:.0f} s: {job['progress']}")


def test_a_supervisor_uploads_a_geopackage_and_follows_the_import(live_service, people, tmp_path):
    data = fences_gpkg(tmp_path, people["lon"], people["lat"], 1200)
    body, kind = multipart({"as": "zones"}, {"file": ("岗位围栏.gpkg", data)})
    status, job = call(live_service, "/api/imports", people["sup"], body, kind)
    assert status == 202, job
    assert job["file"] == "岗位围栏.gpkg"
    assert job["status"] in ("queued", "running", "done")
    done = wait(live_service, f"/api/imports/{job['id']}", people["sup"])
    assert done["status"] == "done", done
    assert done["report"]["counts"]["created"] == 1200
    assert done["progress"] == {"stage": "write", "done": 1200, "total": 1200}
    assert len(done["report"]["features"]) == 1200
    # the same file again: nothing changes
    status, second = call(live_service, "/api/imports", people["sup"], body, kind)
    assert status == 202
    again = wait(live_service, f"/api/imports/{second['id']}", people["sup"])
    assert again["report"]["counts"]["unchanged"] == 1200
    status, trail = call(live_service, "/api/audit/?action=imported", people["sup"])
    assert any(e["actor"] == "upload-sup" and e["detail"]["file"] == "岗位围栏.gpkg" for e in trail["results"])
    status, listing = call(live_service, "/api/imports", people["sup"])
    assert listing["results"][0]["counts"]["unchanged"] == 1200


def test_a_refused_file_is_reported_on_the_job_and_bad_uploads_are_400s(live_service, people):
    body, kind = multipart({"as": "zones"}, {"file": ("broken.gpkg", b"not a geopackage at all")})
    status, job = call(live_service, "/api/imports", people["sup"], body, kind)
    assert status == 202
    done = wait(live_service, f"/api/imports/{job['id']}", people["sup"])
    assert done["status"] == "refused"
    assert "broken.gpkg" in done["error"]
    for fields, files, why in (
        ({"as": "zones"}, {"file": ("fences.dwg", b"x")}, "not a format"),
        ({"as": "parcels"}, {"file": ("f.gpkg", b"x")}, "not a target"),
        ({"as": "zones"}, {}, "file: required"),
        ({"as": "zones", "mapping": "[fields\nname ="}, {"file": ("f.gpkg", b"x")}, "mapping"),
        ({"as": "zones", "axes": "diagonal"}, {"file": ("f.gpkg", b"x")}, "axes"),
    ):
        body, kind = multipart(fields, files)
        status, answer = call(live_service, "/api/imports", people["sup"], body, kind)
        assert status == 400, (fields, answer)
        assert why in answer["error"], answer


def test_only_supervisors_import(live_service, people):
    body, kind = multipart({"as": "zones"}, {"file": ("f.gpkg", b"x")})
    assert call(live_service, "/api/imports", people["officer"], body, kind)[0] == 403
    assert call(live_service, "/api/imports", None, body, kind)[0] == 401
    assert call(live_service, "/api/imports", people["officer"])[0] == 403
