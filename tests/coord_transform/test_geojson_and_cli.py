"""GeoJSON objects and files (CSV, GeoJSON) through the command line: python -m coord_transform."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coord_transform import TransformError, transform
from coord_transform.geojson import transform_geojson

ROOT = Path(__file__).resolve().parents[2]
FC = {
    "type": "FeatureCollection",
    "bbox": [121.0, 31.0, 121.5, 31.5],
    "features": [
        {"type": "Feature", "properties": {"n": 1}, "geometry": {"type": "Point", "coordinates": [121.40, 30.78]}},
        {
            "type": "Feature",
            "properties": {"n": 2},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[121.40, 30.78], [121.41, 30.78], [121.41, 30.79], [121.40, 30.78]]],
            },
        },
        {"type": "Feature", "properties": {"n": 3}, "geometry": None},
    ],
}


def test_geojson_positions_are_converted_like_arrays_and_bbox_dropped():
    out, info = transform_geojson(FC, "cgcs2000", "gcj02")
    ring = np.array(FC["features"][1]["geometry"]["coordinates"][0])
    expected = transform(ring[:, 0], ring[:, 1], "cgcs2000", "gcj02")
    got = np.array(out["features"][1]["geometry"]["coordinates"][0])
    assert np.array_equal(got, np.column_stack([expected.x, expected.y]))
    assert "bbox" not in out
    assert out["features"][0]["properties"] == {"n": 1}
    assert FC["features"][0]["geometry"]["coordinates"] == [121.40, 30.78]  # the input is left alone
    assert info["dst"] == "gcj02"


def test_a_bad_position_is_named_by_feature_and_position():
    bad = json.loads(json.dumps(FC))
    bad["features"][1]["geometry"]["coordinates"][0][2] = [121.41, 95.0]
    with pytest.raises(TransformError, match=r"index 3, features\[1\]: position 2: latitude 95.0"):
        transform_geojson(bad, "cgcs2000", "sh2000")


def test_not_geojson_is_refused():
    with pytest.raises(TransformError, match="not a GeoJSON object"):
        transform_geojson({"type": "Topology"}, "cgcs2000", "sh2000")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coord_transform", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_csv_columns_are_converted_with_progress(tmp_path):
    src = tmp_path / "pts.csv"
    with open(src, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "lng", "lat", "name"])
        for i in range(1000):
            w.writerow([i, 121.40 + i * 1e-4, 30.78, f"焊机{i}"])
    out = tmp_path / "out.csv"
    proc = run_cli(
        str(src),
        "-o",
        str(out),
        "--src",
        "gcj02",
        "--dst",
        "sh2000",
        "--x",
        "lng",
        "--y",
        "lat",
        "--out-x",
        "north",
        "--out-y",
        "east",
    )
    assert proc.returncode == 0, proc.stderr
    assert '"event": "progress"' in proc.stderr
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1000
    assert rows[5]["name"] == "焊机5"
    expected = transform([121.4005], [30.78], "gcj02", "sh2000")
    assert float(rows[5]["north"]) == pytest.approx(expected.x[0], abs=1e-6)
    assert float(rows[5]["east"]) == pytest.approx(expected.y[0], abs=1e-6)


def test_a_bad_csv_row_stops_the_run_and_leaves_no_output(tmp_path):
    src = tmp_path / "pts.csv"
    src.write_text("id,lng,lat\n1,121.4,30.78\n2,121.4,x30\n")
    out = tmp_path / "out.csv"
    proc = run_cli(str(src), "-o", str(out), "--src", "gcj02", "--dst", "cgcs2000", "--x", "lng", "--y", "lat")
    assert proc.returncode == 1
    assert "line 3, column 'lat': 'x30' is not a number" in proc.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]
    src.write_text("id,lng,lat\n1,121.4,30.78\n2,121.4,99.0\n")
    proc = run_cli(str(src), "-o", str(out), "--src", "gcj02", "--dst", "cgcs2000", "--x", "lng", "--y", "lat")
    assert "line 3: latitude 99.0 is out of range" in proc.stderr
    assert not out.exists()


def test_geojson_file_round_trip(tmp_path):
    src = tmp_path / "fences.geojson"
    src.write_text(json.dumps(FC))
    mid, back = tmp_path / "sh.geojson", tmp_path / "back.geojson"
    assert run_cli(str(src), "-o", str(mid), "--src", "cgcs2000", "--dst", "sh2000").returncode == 0
    assert run_cli(str(mid), "-o", str(back), "--src", "sh2000", "--dst", "cgcs2000").returncode == 0
    got = json.loads(back.read_text())["features"][1]["geometry"]["coordinates"][0]
    assert np.abs(np.array(got) - np.array(FC["features"][1]["geometry"]["coordinates"][0])).max() < 1e-9


def test_unknown_column_is_named(tmp_path):
    src = tmp_path / "pts.csv"
    src.write_text("id,lon,lat\n1,121.4,30.78\n")
    proc = run_cli(str(src), "-o", str(tmp_path / "o.csv"), "--src", "gcj02", "--dst", "cgcs2000", "--x", "lng")
    assert proc.returncode != 0
    assert "no column 'lng'" in proc.stderr
