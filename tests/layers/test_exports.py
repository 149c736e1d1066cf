"""GIS files out (issue 15): every OGC collection's items as GeoPackage, Shapefile, KML, FlatGeobuf, CSV and XLSX,
read back by GDAL's own ogrinfo (not by our reader) with the same geometries within 1 mm and the same attributes;
tracks as GPX, KML and GeoPackage; all within the caller's scope."""

from __future__ import annotations

import json
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely

from coord_transform import transform
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import Subject, Zone

MM_DEG = 1e-8


def ogr_features(path: Path | str, layer: str | None = None) -> list[dict]:
    """The file's features as GDAL's own ogr2ogr reads them (to GeoJSON on stdout; Debian's GDAL 3.6 has no
    `ogrinfo -json`). CSV geometry from its WKT or X/Y columns."""
    cmd = ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(path)]
    if str(path).endswith(".csv"):
        cmd[4:4] = [
            "-oo",
            "GEOM_POSSIBLE_NAMES=WKT",
            "-oo",
            "X_POSSIBLE_NAMES=X",
            "-oo",
            "Y_POSSIBLE_NAMES=Y",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
        ]
    if layer:
        cmd.append(layer)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["features"]


def download(client, url: str, headers: dict, tmp_path: Path, name: str) -> Path:
    r = client.get(url, **headers)
    assert r.status_code == 200, r.content[:300]
    path = tmp_path / name
    path.write_bytes(b"".join(r.streaming_content))
    return path


def zones_as_served(client, scene) -> dict[int, dict]:
    body = client.get("/ogc/collections/zones/items", {"limit": 1000}, **scene["ent_a"]).json()
    return {f["id"]: f for f in body["features"]}


FILES = {"gpkg": "z.gpkg", "shp": "z.zip", "kml": "z.kml", "fgb": "z.fgb", "csv": "z.csv"}


@pytest.mark.parametrize("fmt", list(FILES))
def test_zones_out_in_each_format_read_back_by_gdal_hold_the_callers_rows(client, scene, tmp_path, fmt):
    want = zones_as_served(client, scene)
    # enterprise a's three zones and the park's key place (shared); b's zones are not its to see
    assert sorted(w["properties"]["name"] for w in want.values()) == ["园区重点场所", "禁区0", "禁区1", "禁区2"]
    path = download(client, f"/ogc/collections/zones/items?f={fmt}", scene["ent_a"], tmp_path, FILES[fmt])
    got = ogr_features(f"/vsizip/{path}" if fmt == "shp" else path)
    assert len(got) == 4
    by_name = {w["properties"]["name"]: w for w in want.values()}  # unique among what this caller sees
    for f in got:
        props = {k.lower(): v for k, v in f["properties"].items()}
        # KML keeps the id as the placemark's own attribute, not a field: match it by name
        w = by_name[props["name"]] if fmt == "kml" else want[int(props["id"])]
        geom = shapely.force_2d(shapely.geometry.shape(f["geometry"]))
        assert shapely.hausdorff_distance(geom, shapely.geometry.shape(w["geometry"])) < MM_DEG
        assert props["name"] == w["properties"]["name"]
        assert str(props["kind"]) == w["properties"]["kind"]
        if fmt in ("gpkg", "fgb"):
            assert props.get("capacity_min") == w["properties"]["capacity_min"]  # null: absent in GeoJSON
            assert props.get("company_code") == w["properties"]["company_code"]


def test_a_shanghai_2000_geopackage_comes_back_where_it_was(client, scene, tmp_path):
    from geo_core.gisfiles import importer

    want = {w["properties"]["name"]: w for w in zones_as_served(client, scene).values()}
    path = download(client, "/ogc/collections/zones/items?f=gpkg&crs=sh2000", scene["ent_a"], tmp_path, "sh.gpkg")
    got = {f["properties"]["name"]: f for f in ogr_features(path)}
    w = want["禁区0"]
    ring = shapely.geometry.shape(w["geometry"]).geoms[0].exterior.coords
    north, east, _, _ = transform([ring[0][0]], [ring[0][1]], "cgcs2000", "sh2000")
    first = got["禁区0"]["geometry"]["coordinates"][0][0][0]
    assert abs(first[0] - east[0]) < 0.001  # metres, east first as GIS files are
    assert abs(first[1] - north[0]) < 0.001
    # our importer recognises the file's Shanghai 2000 definition and puts it back where it was
    Zone.objects.filter(enterprise=scene["a"]).delete()
    report = importer.run(path, "zones", mapping=None)
    assert report.crs.startswith("sh2000"), report.crs_reason
    back = {z.name: shapely.from_wkt(z.geom.wkt) for z in Zone.objects.filter(enterprise=scene["a"])}
    assert shapely.hausdorff_distance(back["禁区0"], shapely.geometry.shape(w["geometry"])) < MM_DEG


def test_xlsx_and_filters_and_bad_format(client, scene, tmp_path):
    path = download(client, "/ogc/collections/zones/items?f=xlsx&kind=forbidden", scene["sup"], tmp_path, "z.xlsx")
    rows = ogr_features(path)
    assert sorted(r["properties"]["name"] for r in rows) == ["禁区0", "禁区0", "禁区1", "禁区1"]
    r = client.get("/ogc/collections/zones/items?f=dwg", **scene["sup"])
    assert r.status_code == 400
    assert "gpkg" in r.json()["error"]
    r = client.get("/ogc/collections/zones/items?f=gpkg&crs=EPSG:2000", **scene["sup"])
    assert r.status_code == 400
    assert "sh2000" in r.json()["error"]


def test_the_collection_declares_its_file_formats(client, scene):
    body = client.get("/ogc/collections/zones", **scene["sup"]).json()
    kinds = {link["type"] for link in body["links"] if link["rel"] == "alternate"}
    assert {"application/geopackage+sqlite3", "application/flatgeobuf", "text/csv; charset=utf-8"} <= kinds
    api = client.get("/ogc/api").json()
    f = next(p for p in api["paths"]["/ogc/collections/{collectionId}/items"]["get"]["parameters"] if p["name"] == "f")
    assert set(f["schema"]["enum"]) >= {"gpkg", "shp", "kml", "fgb", "csv", "json"}


@pytest.fixture
def walked(scene):
    s = Subject.objects.get(external_id="P0")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    n = 120
    lon = scene["lon"] + np.arange(n) * 1e-5
    lat = np.full(n, scene["lat"])
    times = [t0 + timedelta(seconds=5 * k) for k in range(n)]
    write_fixes(
        FixBatch(
            subject_id=np.full(n, s.id),
            time=times,
            lon=lon,
            lat=lat,
            source="simulator",
            raw_x=lon,
            raw_y=lat,
            raw_crs=["cgcs2000"] * n,
        )
    )
    q = f"from={(t0 - timedelta(seconds=1)).isoformat()}&to={(times[-1] + timedelta(seconds=1)).isoformat()}"
    return {"times": times, "lon": lon, "lat": lat, "q": q.replace("+", "%2B")}


def test_a_track_as_gpx_has_every_fix_with_its_time(client, scene, walked, tmp_path):
    path = download(client, f"/api/tracks/P0?f=gpx&{walked['q']}", scene["sup"], tmp_path, "t.gpx")
    pts = ogr_features(path, "track_points")
    assert len(pts) == 120
    assert pts[7]["geometry"]["coordinates"][:2] == pytest.approx([walked["lon"][7], walked["lat"][7]], abs=1e-9)
    when = datetime.fromisoformat(pts[7]["properties"]["time"].replace("/", "-"))
    assert when == walked["times"][7]
    lines = ogr_features(path, "tracks")
    assert len(lines) == 1
    assert len(lines[0]["geometry"]["coordinates"][0]) == 120


def test_a_track_as_geopackage_and_kml(client, scene, walked, tmp_path):
    path = download(client, f"/api/tracks/P0?f=gpkg&{walked['q']}", scene["sup"], tmp_path, "t.gpkg")
    assert len(ogr_features(path, "track_points")) == 120
    (line,) = ogr_features(path, "track")
    assert line["properties"]["fixes"] == 120
    assert len(line["geometry"]["coordinates"]) == 120
    kml = download(client, f"/api/tracks/P0?f=kml&{walked['q']}", scene["sup"], tmp_path, "t.kml")
    feats = ogr_features(kml)
    assert feats[0]["geometry"]["type"] == "LineString"
    assert len(feats) == 121


def test_a_track_outside_the_callers_scope_is_not_exported(client, scene, walked):
    r = client.get(f"/api/tracks/P1?f=gpx&{walked['q']}", **scene["ent_a"])
    assert r.status_code == 404
    r = client.get(f"/api/tracks/P0?f=shp&{walked['q']}", **scene["sup"])
    assert r.status_code == 400


@pytest.mark.parametrize("ident", ['P"0', "P\\0", "P<0>", "P\t0", "P\n0", "P 0/.."])
def test_a_track_of_an_id_with_awkward_characters_exports_as_kml(client, scene, walked, tmp_path, ident):
    """Issue 24 (11): the file and layer names are built from the id; any id gives a file, no folder is left."""
    Subject.objects.filter(external_id="P0").update(external_id=ident)
    before = set(Path(tempfile.gettempdir()).glob("export-*"))
    from urllib.parse import quote

    r = client.get(f"/api/tracks/{quote(ident, safe='')}?f=kml&{walked['q']}", **scene["sup"])
    if "/" in ident:
        assert r.status_code == 404  # not a path segment
        return
    assert r.status_code == 200, r.content[:300]
    assert "\n" not in r["Content-Disposition"]
    path = tmp_path / "t.kml"
    path.write_bytes(b"".join(r.streaming_content))
    assert len(ogr_features(path)) == 121
    assert set(Path(tempfile.gettempdir()).glob("export-*")) <= before


def test_a_failed_write_leaves_no_folder_behind():
    from geo_core.gisfiles import writing

    before = set(Path(tempfile.gettempdir()).glob("export-*"))
    broken = writing.Table("t", {"a": np.array([1, 2])}, np.array([b"not wkb"], dtype=object), "Point")
    with pytest.raises(Exception):  # noqa: B017, PT011 (whatever GDAL raises)
        writing.write([broken], "kml")
    assert set(Path(tempfile.gettempdir()).glob("export-*")) == before


def test_an_id_two_enterprises_use_needs_the_enterprise_to_name_a_track(client, scene, walked):
    """Issue 24 (11): ids are each enterprise's own; an ambiguous one is a 409 naming the enterprises, not the
    older subject silently."""
    mine = Subject.objects.get(external_id="P0")
    other = scene["b"] if mine.enterprise_id == scene["a"].id else scene["a"]
    Subject.objects.create(kind="person", external_id="P0", name="同号", enterprise=other, person_type="01")
    r = client.get(f"/api/tracks/P0?{walked['q']}", **scene["sup"])
    assert r.status_code == 409
    assert other.company_code in r.json()["error"]
    r = client.get(f"/api/tracks/P0?enterprise={mine.enterprise.company_code}&{walked['q']}", **scene["sup"])
    assert r.status_code == 200
    assert r.json()["subject"] == "P0"
