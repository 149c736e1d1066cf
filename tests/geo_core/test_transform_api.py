"""POST /api/transform over real HTTP: arrays, GeoJSON and binary bodies; errors name the index."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np
import pytest
from asgiref.sync import async_to_sync

from coord_transform import transform
from geo_core.calibrations import create_calibration
from geo_core.models import Park


def read_streamed(resp) -> dict:
    """The body of a streamed response from the in-process client (an async iterator under ASGI views)."""

    async def collect():
        return b"".join([chunk async for chunk in resp.streaming_content])

    return json.loads(async_to_sync(collect)())


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_arrays_in_arrays_out(live_service):
    lon = np.linspace(121.40, 121.48, 1000)
    lat = np.linspace(30.75, 30.81, 1000)
    body = json.dumps({"src": "gcj02", "dst": "sh2000", "x": lon.tolist(), "y": lat.tolist()}).encode()
    status, _, raw = post(live_service + "/api/transform", body)
    assert status == 200
    out = json.loads(raw)
    expected = transform(lon, lat, "gcj02", "sh2000")
    assert np.array_equal(out["x"], expected.x)
    assert np.array_equal(out["y"], expected.y)
    assert out["info"]["sh2000_definition"] == "announced"
    assert out["info"]["calibration"] is None


def test_a_large_batch_is_streamed_back_whole(live_service):
    n = 300_000  # several output chunks
    lon = np.full(n, 121.45) + np.arange(n) * 1e-7
    lat = np.full(n, 30.78)
    status, _, raw = post(
        live_service + "/api/transform?src=cgcs2000&dst=gcj02",
        json.dumps({"x": lon.tolist(), "y": lat.tolist()}).encode(),
    )
    assert status == 200
    out = json.loads(raw)
    assert len(out["x"]) == n
    assert out["x"][-1] == transform(lon[-1:], lat[-1:], "cgcs2000", "gcj02").x[0]


def test_geojson_in_geojson_out(live_service):
    point = {"type": "Point", "coordinates": [121.4, 30.78]}
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": "罐区"}, "geometry": point}],
    }
    status, _, raw = post(live_service + "/api/transform?src=cgcs2000&dst=gcj02", json.dumps(fc).encode())
    assert status == 200
    out = json.loads(raw)
    assert out["type"] == "FeatureCollection"
    assert out["features"][0]["properties"] == {"name": "罐区"}
    x, y = out["features"][0]["geometry"]["coordinates"]
    expected = transform([121.4], [30.78], "cgcs2000", "gcj02")
    assert (x, y) == (expected.x[0], expected.y[0])
    assert out["transform"]["dst"] == "gcj02"


@pytest.mark.parametrize("dims", [2, 3])
def test_binary_float64_in_and_out(live_service, dims):
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(121.0, 121.9, 5000), rng.uniform(30.7, 31.8, 5000), rng.uniform(0, 50, 5000)])
    pts = np.ascontiguousarray(pts[:, :dims], dtype="<f8")
    status, headers, raw = post(
        live_service + f"/api/transform?src=cgcs2000&dst=sh2000&dims={dims}", pts.tobytes(), "application/octet-stream"
    )
    assert status == 200
    out = np.frombuffer(raw, dtype="<f8").reshape(-1, dims)
    expected = transform(pts[:, 0], pts[:, 1], "cgcs2000", "sh2000", zs=pts[:, 2] if dims == 3 else None)
    assert np.array_equal(out[:, 0], expected.x)
    assert np.array_equal(out[:, 1], expected.y)
    assert json.loads(headers["X-Transform-Info"])["dst"] == "sh2000:announced"


@pytest.mark.parametrize(
    ("body", "query", "status", "expected"),
    [
        (
            {"src": "gcj02", "dst": "sh2000", "x": [121.4, 121.5, 121.6], "y": [30.7, 30.8, 91.0]},
            "",
            400,
            {"index": 2, "field": "y"},
        ),
        (
            {"src": "gcj02", "dst": "sh2000", "x": [121.4, "abc"], "y": [30.7, 30.8]},
            "",
            400,
            {"index": 1, "field": "x"},
        ),
        ({"src": "gcj02", "dst": "sh2000", "x": [121.4, None], "y": [30.7, 30.8]}, "", 400, {"index": 1, "field": "x"}),
        ({"src": "mars", "dst": "sh2000", "x": [121.4], "y": [30.7]}, "", 400, {}),
        ({"dst": "sh2000", "x": [121.4], "y": [30.7]}, "", 400, {}),
        ({"src": "gcj02", "dst": "sh2000", "x": [121.4, 121.5], "y": [30.7]}, "", 400, {"field": "y"}),
        ({"src": "gcj02", "dst": "sh2000", "x": [], "y": []}, "", 400, {}),
        ({"src": "cgcs2000", "dst": "sh2000", "x": [121.4], "y": [30.7]}, "park=NOPE", 404, {}),
    ],
)
def test_errors_are_specific(live_service, body, query, status, expected):
    got, _, raw = post(live_service + "/api/transform?" + query, json.dumps(body).encode())
    assert got == status
    answer = json.loads(raw)
    assert answer["error"]
    for key, value in expected.items():
        assert answer[key] == value


def test_malformed_json_and_binary_lengths_are_refused(live_service):
    status, _, raw = post(live_service + "/api/transform", b'{"x": [1,')
    assert status == 400
    assert "not JSON" in json.loads(raw)["error"]
    status, _, raw = post(
        live_service + "/api/transform?src=cgcs2000&dst=sh2000", b"\x00" * 20, "application/octet-stream"
    )
    assert status == 400
    assert "not a whole number" in json.loads(raw)["error"]


def test_too_many_points_is_413(live_service):
    n = 1_000_001
    body = np.zeros(2 * n, dtype="<f8").tobytes()
    status, _, raw = post(live_service + "/api/transform?src=cgcs2000&dst=sh2000", body, "application/octet-stream")
    assert status == 413
    assert "at most 1000000" in json.loads(raw)["error"]


@pytest.mark.django_db
def test_a_parks_active_calibration_is_applied_and_reported(client):
    park = Park.objects.create(code="CAL", name="校准园区")
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(121.38, 121.49, 8), rng.uniform(30.74, 30.82, 8)
    bare = transform(lon, lat, "cgcs2000", "sh2000")
    points = [
        {"lon": a, "lat": b, "x": n + 3.0, "y": e - 2.0} for a, b, n, e in zip(lon, lat, bare.x, bare.y, strict=True)
    ]
    create_calibration(park, points, "similarity", activate=True)
    resp = client.post(
        "/api/transform?park=CAL",
        {"src": "cgcs2000", "dst": "sh2000", "x": [121.43], "y": [30.78]},
        content_type="application/json",
    )
    body = read_streamed(resp)
    plain = transform([121.43], [30.78], "cgcs2000", "sh2000")
    assert body["info"]["calibration"] == "CAL/v1"
    assert body["x"][0] == pytest.approx(plain.x[0] + 3.0, abs=0.001)
    assert body["y"][0] == pytest.approx(plain.y[0] - 2.0, abs=0.001)
    resp = client.post(
        "/api/transform?park=CAL&calibration=none",
        {"src": "cgcs2000", "dst": "sh2000", "x": [121.43], "y": [30.78]},
        content_type="application/json",
    )
    assert read_streamed(resp)["info"]["calibration"] is None
    resp = client.post(
        "/api/transform?park=CAL&calibration=7",
        {"src": "cgcs2000", "dst": "sh2000", "x": [121.43], "y": [30.78]},
        content_type="application/json",
    )
    assert resp.status_code == 404
