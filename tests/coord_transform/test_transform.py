"""transform(): names, routes, agreement with plain pyproj, and bad input named by index."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from coord_transform import TransformError, cgcs2000_gk3_zone, resolve, transform
from coord_transform.gcj02 import gcj02_to_bd09, wgs84_to_gcj02
from tests.coord_transform.conftest import metres


@pytest.mark.parametrize("code", [4513, 4528, 4534, 4549, 4550, 4554])
def test_gk_zones_agree_with_plain_pyproj_to_1e_9_degrees(shanghai_grid, code):
    lon, lat = shanghai_grid
    ours = transform(lon, lat, "cgcs2000", f"EPSG:{code}")
    plain = Transformer.from_crs("EPSG:4490", f"EPSG:{code}", always_xy=True).transform(lon, lat)
    assert np.array_equal(ours.x, plain[0])
    assert np.array_equal(ours.y, plain[1])
    back = transform(ours.x, ours.y, f"EPSG:{code}", "cgcs2000")
    plain_back = Transformer.from_crs(f"EPSG:{code}", "EPSG:4490", always_xy=True).transform(*plain)
    assert np.abs(back.x - plain_back[0]).max() < 1e-9
    assert np.abs(back.y - plain_back[1]).max() < 1e-9


def test_gk_zone_for_a_longitude():
    assert cgcs2000_gk3_zone(121.4) == "EPSG:4549"  # CM 120 E
    assert cgcs2000_gk3_zone(121.6) == "EPSG:4550"  # CM 123 E
    assert cgcs2000_gk3_zone(121.4, prefixed=True) == "EPSG:4528"
    with pytest.raises(TransformError, match="outside"):
        cgcs2000_gk3_zone(10.0)


def test_web_mercator_matches_pyproj():
    ours = transform([121.47], [31.23], "cgcs2000", "webmercator")
    plain = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True).transform(121.47, 31.23)
    assert (ours.x[0], ours.y[0]) == pytest.approx(plain, abs=1e-6)


def test_gcj02_and_bd09_compose_through_cgcs2000():
    lon, lat = np.array([121.40, 121.50]), np.array([30.78, 31.25])
    g = transform(lon, lat, "cgcs2000", "gcj02")
    assert np.array_equal(np.stack([g.x, g.y]), np.stack(wgs84_to_gcj02(lon, lat)))
    b = transform(lon, lat, "wgs84", "bd09")
    assert np.allclose(np.stack([b.x, b.y]), np.stack(gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))), atol=1e-12)
    sh_via_gcj = transform(g.x, g.y, "gcj02", "sh2000")
    sh_direct = transform(lon, lat, "cgcs2000", "sh2000")
    assert np.hypot(sh_via_gcj.x - sh_direct.x, sh_via_gcj.y - sh_direct.y).max() < 0.001
    back = transform(b.x, b.y, "bd09", "cgcs2000")
    assert metres(back.x - lon, back.y - lat).max() < 0.001


def test_heights_pass_through_a_horizontal_transform():
    r = transform([121.47], [31.23], "cgcs2000", "sh2000", zs=[12.5])
    assert r.z[0] == pytest.approx(12.5)
    g = transform([121.47], [31.23], "cgcs2000", "gcj02", zs=[12.5])
    assert g.z[0] == 12.5


def test_same_crs_returns_copies():
    x = np.array([121.4])
    r = transform(x, [31.2], "cgcs2000", "EPSG:4490")
    assert r.x is not x
    assert r.x[0] == 121.4


def test_info_says_what_was_used():
    r = transform([121.4], [31.2], "gcj02", "sh2000:duckdb-cn-shift")
    assert r.info == {
        "src": "gcj02",
        "dst": "sh2000:duckdb-cn-shift",
        "sh2000_definition": "duckdb-cn-shift",
        "calibration": None,
    }


def test_names_are_case_insensitive():
    assert resolve("CGCS2000") == resolve("cgcs2000")
    assert resolve("epsg:4549").name == "EPSG:4549"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([121.0], [31.0], "mars", "cgcs2000"), "unknown CRS 'mars'; known: cgcs2000"),
        (([121.0], [31.0], "cgcs2000", "EPSG:999999"), "unknown EPSG code 999999"),
        (([121.0], [31.0], "cgcs2000", "EPSG:abc"), "EPSG codes are numbers"),
        (([], [], "cgcs2000", "sh2000"), "no points to transform"),
        (([121.0, 121.1], [31.0], "cgcs2000", "sh2000"), "x has 2 values, y has 1"),
        (([121.0, 121.1, np.nan], [31.0, 31.0, 31.0], "cgcs2000", "sh2000"), r"index 2, x: x is nan"),
        (([121.0, np.inf], [31.0, 31.0], "gcj02", "sh2000"), r"index 1, x: x is inf"),
        (([121.0, 121.0, 181.0], [31.0, 31.0, 31.0], "cgcs2000", "sh2000"), r"index 2, x: longitude 181.0"),
        (([121.0, 121.0], [31.0, -90.5], "wgs84", "gcj02"), r"index 1, y: latitude -90.5 is out of range"),
        (
            ([0.0, 9e6], [0.0, 0.0], "sh2000", "cgcs2000"),
            r"index 1, x: x \(north\) 9000000.0 m is more than 200 km from the Shanghai 2000 origin",
        ),
    ],
)
def test_bad_input_names_the_first_offending_index(args, message):
    with pytest.raises(TransformError, match=message):
        transform(*args)


def test_invalid_lists_every_bad_point():
    from coord_transform.core import invalid

    x = np.array([121.0, np.nan, 181.0, 121.0])
    y = np.array([31.0, 31.0, 31.0, 95.0])
    assert invalid(x, y, None, "gcj02") == {
        1: ("x", "x is nan, not a finite number"),
        2: ("x", "longitude 181.0 is out of range [-180, 180]"),
        3: ("y", "latitude 95.0 is out of range [-90, 90]"),
    }


def test_z_of_the_wrong_length_is_named():
    with pytest.raises(TransformError, match="z has 1"):
        transform([121.0, 121.1], [31.0, 31.1], "cgcs2000", "sh2000", zs=[1.0])


def test_nothing_is_half_converted():
    x = np.array([121.0, 121.1, 121.2])
    y = np.array([31.0, 31.1, 95.0])
    with pytest.raises(TransformError):
        transform(x, y, "cgcs2000", "gcj02")
    assert x.tolist() == [121.0, 121.1, 121.2]  # inputs untouched
