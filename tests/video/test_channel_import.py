"""Channels from outside (VID-1): a camera register imported by the GIS importer (`--as video`, written by GDAL's own
ogr2ogr) and the report API's `video-channels` feed (视频编码接口). Each keeps the good rows and refuses each bad one
by its field; a field of view is derived from the aim; a second import updates rather than duplicates; a report never
takes another owner's channel nor places a camera off the enterprise's own sites."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from pyproj import Geod

from geo_core.gisfiles import importer
from geo_core.ingest.auth import issue
from geo_core.ingest.signing import signed_headers
from geo_core.models import AuditEvent, Enterprise, Park, Site, Subject
from tests.geo_core.conftest import JINSHAN, credit_code, inside, square
from video.models import VideoChannel

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="GRS80")
FIXED = "31011600001320000101"
PTZ = "31011600001320000102"
BODY = "31011600001380000103"


@pytest.fixture
def scene(db) -> dict:
    park = Park.objects.create(code="V-PARK", name="视频园区")
    a = Enterprise.objects.create(credit_code=credit_code(org="MA1CA0001"), name="甲化工", company_code="VA", park=park)
    b = Enterprise.objects.create(credit_code=credit_code(org="MA1CA0002"), name="乙化工", company_code="VB", park=park)
    lon, lat = inside(JINSHAN)
    Site(enterprise=a, name="甲厂区", footprint=square(lon, lat)).save()
    Site(enterprise=b, name="乙厂区", footprint=square(lon + 0.01, lat)).save()
    cam = Subject.objects.create(kind="body_camera", external_id="BC-7", enterprise=a, name="执法仪7")
    return {"a": a, "b": b, "lon": lon, "lat": lat, "bodycam": cam}


def feature(props: dict, point: tuple[float, float] | None) -> dict:
    geom = {"type": "Point", "coordinates": list(point)} if point else None
    return {"type": "Feature", "properties": props, "geometry": geom}


def register(path: Path, features: list[dict]) -> Path:
    """The register as a GeoPackage written by ogr2ogr from GeoJSON, as a video platform's export would be."""
    src = path.with_suffix(".geojson")
    src.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(path), str(src)], check=True, capture_output=True)
    return path


def test_a_camera_register_is_imported_with_fields_of_view_and_bad_rows_refused_by_field(scene, tmp_path):
    lon, lat = scene["lon"], scene["lat"]
    rows = [
        feature(
            {
                "通道编码": FIXED,
                "通道名称": "罐区枪机",
                "类型": "枪机",
                "企业编码": "VA",
                "朝向": 90,
                "视场角": 60,
                "可视距离": 120,
            },
            (lon, lat),
        ),
        feature(
            {"通道编码": PTZ, "通道名称": "园区球机", "类型": "球机", "管理单位": "园区管委会"}, (lon, lat + 0.001)
        ),
        feature(
            {"通道编码": BODY, "通道名称": "执法仪7", "类型": "执法记录仪", "企业编码": "VA", "设备编号": "BC-7"}, None
        ),
        feature({"通道编码": "3101160000132000010", "通道名称": "短码", "类型": "枪机", "企业编码": "VA"}, (lon, lat)),
        feature({"通道编码": "31011600001320000104", "通道名称": "无位置", "类型": "枪机", "企业编码": "VA"}, None),
        feature(
            {"通道编码": "31011600001320000105", "通道名称": "半瞄准", "类型": "枪机", "企业编码": "VA", "朝向": 10},
            (lon, lat),
        ),
        feature(
            {
                "通道编码": "31011600001380000106",
                "通道名称": "他人执法仪",
                "类型": "执法仪",
                "企业编码": "VB",
                "设备编号": "BC-7",
            },
            None,
        ),
        feature({"通道编码": "31011600001320000107", "通道名称": "无主", "类型": "枪机"}, (lon, lat)),
    ]
    report = importer.run(register(tmp_path / "cameras.gpkg", rows), "video")
    assert report.refused is None
    outcome = {f.row: f for f in report.features}
    assert [outcome[n].action for n in (1, 2, 3)] == ["created"] * 3
    refused = {n: (outcome[n].field, outcome[n].reason) for n in (4, 5, 6, 7, 8)}
    assert refused[4][0] == "code"
    assert "20 decimal digits" in refused[4][1]
    assert refused[5] == ("geometry", "a fixed camera needs its position")
    assert refused[6][0] == "angle"
    assert "together" in refused[6][1]
    assert refused[7][0] == "device"
    assert "BC-7" in refused[7][1]
    assert refused[8][0] == "company_code"
    assert all(outcome[n].action == "refused" for n in refused)

    fixed = VideoChannel.objects.get(code=FIXED)
    assert (fixed.enterprise_id, fixed.kind, fixed.heading, fixed.angle, fixed.range_m) == (
        scene["a"].id,
        "fixed",
        90,
        60,
        120,
    )
    east = Point(*GEOD.fwd(lon, lat, 90, 100)[:2], srid=4490)
    north = Point(*GEOD.fwd(lon, lat, 0, 100)[:2], srid=4490)
    assert fixed.fov.contains(east)
    assert not fixed.fov.contains(north)
    assert VideoChannel.objects.get(code=PTZ).authority == "园区管委会"
    assert VideoChannel.objects.get(code=BODY).subject_id == scene["bodycam"].id
    assert VideoChannel.objects.count() == 3
    assert AuditEvent.objects.filter(action="imported", target_type="video.videochannel").exists()

    # Again with the camera turned north: one updated, its field of view follows; the others unchanged.
    rows[0]["properties"]["朝向"] = 0
    again = importer.run(register(tmp_path / "again.gpkg", rows[:3]), "video")
    assert [f.action for f in again.features] == ["updated", "unchanged", "unchanged"]
    fixed.refresh_from_db()
    assert fixed.fov.contains(north)
    assert not fixed.fov.contains(east)
    assert VideoChannel.objects.count() == 3


def report(client, enterprise: Enterprise, records: list[dict]):
    cred = issue(enterprise)
    path = "/api/report/v1/video-channels"
    body = json.dumps({"records": records}, ensure_ascii=False).encode()
    headers = signed_headers(cred.app_id, cred.app_secret, "POST", path, body)
    return client.post(path, data=body, content_type="application/json", headers=headers)


def test_the_report_feed_stores_an_enterprises_channels_and_refuses_each_bad_record(scene, client):
    lon, lat = scene["lon"], scene["lat"]
    VideoChannel.objects.create(
        code="31011600001320000201", name="乙的", kind="fixed", enterprise=scene["b"], location=Point(lon, lat)
    )
    good = {
        "CHANNEL_CODE": FIXED,
        "CHANNEL_NAME": "罐区枪机",
        "CHANNEL_TYPE": "fixed",
        "LONGITUDE": lon,
        "LATITUDE": lat,
        "HEADING": 180,
        "ANGLE": 90,
        "RANGE": 80,
    }
    records = [
        good,
        {"CHANNEL_CODE": BODY, "CHANNEL_NAME": "执法仪7", "CHANNEL_TYPE": "body_camera", "DEVICE_ID": "BC-7"},
        {
            "CHANNEL_CODE": "31011600001320000201",
            "CHANNEL_NAME": "抢",
            "CHANNEL_TYPE": "fixed",
            "LONGITUDE": lon,
            "LATITUDE": lat,
        },
        {
            "CHANNEL_CODE": "31011600001320000202",
            "CHANNEL_NAME": "厂外",
            "CHANNEL_TYPE": "fixed",
            "LONGITUDE": lon + 0.01,
            "LATITUDE": lat,
        },
        {"CHANNEL_CODE": "31011600001990000203", "CHANNEL_NAME": "非摄像机", "CHANNEL_TYPE": "fixed"},
        {"CHANNEL_CODE": "31011600001320000204", "CHANNEL_NAME": "无位置", "CHANNEL_TYPE": "ptz"},
        {
            "CHANNEL_CODE": "31011600001320000205",
            "CHANNEL_NAME": "超距",
            "CHANNEL_TYPE": "fixed",
            "LONGITUDE": lon,
            "LATITUDE": lat,
            "HEADING": 0,
            "ANGLE": 60,
            "RANGE": 1e9,
        },
        {
            "CHANNEL_CODE": "31011600001380000206",
            "CHANNEL_NAME": "无设备",
            "CHANNEL_TYPE": "body_camera",
            "DEVICE_ID": "BC-404",
        },
        ["not", "a", "record"],
    ]
    resp = report(client, scene["a"], records)
    assert resp.status_code == 200, resp.content
    answer = resp.json()
    assert (answer["accepted"], answer["created"]) == (2, 2)
    why = {r["index"]: (r["field"], r["reason"]) for r in answer["rejected"]}
    assert why[2] == ("CHANNEL_CODE", "31011600001320000201 is another owner's channel")
    assert why[3][0] == "LONGITUDE"
    assert "own sites" in why[3][1]
    assert why[4][0] == "CHANNEL_CODE"
    assert "type code 199" in why[4][1]
    assert why[5] == ("LONGITUDE", "a fixed camera needs its position")
    assert why[6][0] == "RANGE"
    assert why[7][0] == "DEVICE_ID"
    assert why[8][0] == ""
    assert set(why) == {2, 3, 4, 5, 6, 7, 8}
    south = Point(*GEOD.fwd(lon, lat, 180, 50)[:2], srid=4490)
    fixed = VideoChannel.objects.get(code=FIXED)
    assert fixed.enterprise_id == scene["a"].id
    assert fixed.fov.contains(south)
    assert VideoChannel.objects.get(code=BODY).subject_id == scene["bodycam"].id
    assert VideoChannel.objects.get(code="31011600001320000201").enterprise_id == scene["b"].id  # not taken

    # Reported again: updated in place; DELETED retires it (kept for the evidence that names it).
    resp = report(client, scene["a"], [{**good, "CHANNEL_NAME": "罐区枪机(新)", "DELETED": 1}])
    assert resp.json()["updated"] == 1
    fixed.refresh_from_db()
    assert (fixed.name, fixed.active) == ("罐区枪机(新)", False)
    assert VideoChannel.objects.filter(code=FIXED).count() == 1
