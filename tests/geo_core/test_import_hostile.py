"""Issue 24 (1, 3, 11): an uploaded file can neither read the server's files nor reach a URL, whatever it holds and
whatever format it claims; imports run in a process of their own, within limits, and a job whose process dies ends
as failed. Over real HTTP, against the server's real job processes; a loopback HTTP server counts every request a
file makes it receive."""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from geo_core.gisfiles import reading
from geo_core.models import Subject
from tests.geo_core.test_imports_api import call, multipart, people, wait  # noqa: F401 (people is a fixture)

pytestmark = pytest.mark.django_db
SECRET = "root:x:0:0"  # the first line of /etc/passwd


@pytest.fixture(scope="module")
def listener():
    """A loopback HTTP server that remembers every path asked of it (a fetch by GDAL would land here)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = b"lon,lat,name\n121.3,30.8,fetched\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def tricks(url: str) -> dict[str, bytes]:
    """Documents that make GDAL read a server file or a URL when it picks the driver from the content."""
    vrt = (
        '<OGRVRTDataSource><OGRVRTLayer name="passwd"><SrcDataSource>CSV:/etc/passwd'
        "</SrcDataSource><SrcLayer>passwd</SrcLayer></OGRVRTLayer></OGRVRTDataSource>"
    )
    vrt_url = (
        f'<OGRVRTDataSource><OGRVRTLayer name="u"><SrcDataSource>/vsicurl/{url}/vrt.csv</SrcDataSource>'
        '<GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" x="lon" '
        'y="lat"/></OGRVRTLayer></OGRVRTDataSource>'
    )
    pipeline = "gdal vector pipeline ! read {} ! write --of stream streamed_dataset"
    gdalg = json.dumps({"type": "gdal_streamed_alg", "command_line": pipeline.format(f"/vsicurl/{url}/gdalg.csv")})
    gdalg_file = json.dumps({"type": "gdal_streamed_alg", "command_line": pipeline.format("CSV:/etc/passwd")})
    return {
        "vrt-file": vrt.encode(),
        "vrt-url": vrt_url.encode(),
        "gdalg-url": gdalg.encode(),
        "gdalg-file": gdalg_file.encode(),
    }


def as_zip(member: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, data)
    return out.getvalue()


def uploads(url: str) -> list[tuple[str, bytes]]:
    """Every trick under every name the import accepts: plain, and zipped."""
    out = []
    for trick, data in tricks(url).items():
        for suffix in (".geojson", ".json", ".kml", ".gpkg", ".fgb", ".dxf", ".csv", ".shp"):
            out.append((f"{trick}{suffix}", data))
        out.append((f"{trick}-shp.zip", as_zip("a.shp", data)))
        out.append((f"{trick}-geojson.zip", as_zip("a.geojson", data)))
        out.append((f"{trick}.kmz", as_zip("doc.kml", data)))
    kml = (
        f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link><href>{url}/link.kml</href>'
        "</Link></NetworkLink><Placemark><name>a</name><Point><coordinates>121.3,30.8</coordinates></Point>"
        "</Placemark></Document></kml>"
    )
    out.append(("network-link.kml", kml.encode()))
    out.append(("vsicurl-in-wkt.csv", f"name,wkt\nx,/vsicurl/{url}/wkt\n".encode()))
    return out


def test_no_upload_reads_a_server_file_or_fetches_a_url(live_service, people, listener):  # noqa: F811
    url, hits = listener
    sent = []
    for name, data in uploads(url):
        body, kind = multipart({"as": "subjects"}, {"file": (name, data)})
        status, job = call(live_service, "/api/imports", people["sup"], body, kind)
        assert status in (202, 400), (name, job)
        sent.append((name, status, job))
    before = Subject.objects.count()
    for name, status, job in sent:
        if status == 202:
            # Every upload's process starts at once (about sixty, on two cores): the first may take a while to report.
            job = wait(live_service, f"/api/imports/{job['id']}", people["sup"], seconds=240)
            text = json.dumps(job, ensure_ascii=False)
            assert job["status"] in ("refused", "done"), (name, job)
            assert job["status"] == "refused" or name.endswith(".csv"), (name, job)  # a CSV reads as text rows
            assert "/tmp/" not in text, (name, job["error"])  # no server folder in a refusal
        else:
            text = json.dumps(job, ensure_ascii=False)
        assert SECRET not in text, name
        assert "/bin/bash" not in text, name
        assert "fetched" not in text, name
    assert hits == [], hits
    assert Subject.objects.count() == before
    assert not Subject.objects.filter(name__contains="root").exists()


def test_a_zip_naming_a_place_outside_itself_or_a_bomb_is_refused_at_upload(live_service, people):  # noqa: F811
    for member in ("../../etc/passwd.csv", "/etc/passwd.csv", "/vsicurl/http:/x.csv"):
        body, kind = multipart({"as": "zones"}, {"file": ("trick.zip", as_zip(member, b"a,b\n1,2\n"))})
        status, answer = call(live_service, "/api/imports", people["sup"], body, kind)
        assert status == 400, (member, answer)
        assert "outside the archive" in answer["error"]
    bomb = as_zip("big.csv", b"0" * (300 << 20))  # 300 MB of zeros in about 300 KB
    body, kind = multipart({"as": "zones"}, {"file": ("bomb.zip", bomb)})
    status, answer = call(live_service, "/api/imports", people["sup"], body, kind)
    assert status == 400, answer
    assert "fold" in answer["error"], answer


def test_millions_of_rows_are_refused_by_the_jobs_process_while_the_server_answers(live_service, people):  # noqa: F811
    rows = b"lon,lat,name\n" + b"".join(b"121.%03d,30.8,x%d\n" % (k % 1000, k) for k in range(3_000_000))
    body, kind = multipart({"as": "subjects"}, {"file": ("rows.zip", as_zip("rows.csv", rows))})
    assert len(body) < 10 << 20
    status, job = call(live_service, "/api/imports", people["sup"], body, kind)
    assert status == 202
    slowest = 0.0
    while True:
        t = time.monotonic()
        with urllib.request.urlopen(live_service + "/healthz", timeout=10) as r:
            assert r.status == 200
        slowest = max(slowest, time.monotonic() - t)
        status, now = call(live_service, f"/api/imports/{job['id']}", people["sup"])
        if now["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert now["status"] == "refused", now
    assert "more than 200000 features" in now["error"]
    assert slowest < 1.0  # the web process was never the one reading


def test_a_fence_of_too_many_vertices_is_refused_and_the_others_imported(tmp_path):
    ring = [[121.30 + 0.001 * k / 200_000, 30.80 + (k % 2) * 1e-6] for k in range(200_000)]
    ring += [[121.30, 30.801], ring[0]]
    small = [[121.30, 30.80], [121.301, 30.80], [121.301, 30.801], [121.30, 30.80]]
    src = tmp_path / "many.geojson"
    src.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "huge", "kind": "forbidden", "authority": "园区"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"name": "small", "kind": "forbidden", "authority": "园区"},
                        "geometry": {"type": "Polygon", "coordinates": [small]},
                    },
                ],
            }
        )
    )
    from geo_core.gisfiles import importer

    report = importer.run(src, "zones", crs="cgcs2000", dry_run=True)
    assert report.refused is None, report.refused
    first, second = report.features
    assert (first.action, first.field) == ("refused", "geometry")
    assert "200002 vertices; at most 10000" in first.reason
    assert second.action == "created", second


def test_content_unlike_its_name_is_refused_in_process_too(tmp_path):
    """Defence in depth for the command line and tests: the driver GDAL picked must be the declared format's."""
    path = tmp_path / "fences.geojson"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><Point><coordinates>'
        "121.3,30.8</coordinates></Point></Placemark></Document></kml>"
    )
    with pytest.raises(reading.FileError, match="content is"):
        reading.read(path)


def test_a_gbk_shapefile_without_cpg_is_read_as_gbk_and_the_report_says_so(db, tmp_path):
    src = tmp_path / "gbk.geojson"
    src.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"名称": "储罐区"},
                        "geometry": {"type": "Point", "coordinates": [121.3, 30.8]},
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    shp = tmp_path / "gbk.shp"
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", str(shp), str(src), "-lco", "ENCODING=GBK"], check=True)
    Path(tmp_path / "gbk.cpg").unlink(missing_ok=True)
    table = reading.read(shp)
    assert table.columns["名称"] == ["储罐区"]
    assert "GB18030" in table.encoding_note
