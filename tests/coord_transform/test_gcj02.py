"""GCJ-02 and BD-09: the published test vectors, and inverses exact to well under a centimetre."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_transform import gcj02
from coord_transform.gcj02 import bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02
from tests.coord_transform.conftest import metres


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # eviltransform
        ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # wandergis/coordtransform
    ],
)
def test_published_forward_vectors(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert float(lon) == pytest.approx(gcj[0], abs=1e-9)
    assert float(lat) == pytest.approx(gcj[1], abs=1e-9)


def test_published_bd09_vectors():
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
    # The published inverse is the one-step approximation; ours iterates and lands within 0.1 m of it ...
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert metres(float(lon) - 116.39762729119315, float(lat) - 39.90865673957631) < 0.1
    # ... and exactly back on the forward formula.
    back = gcj02_to_bd09(lon, lat)
    assert metres(float(back[0]) - 116.404, float(back[1]) - 39.915) < 1e-6


def test_points_outside_china_pass_unchanged_through_gcj02():
    lon, lat = wgs84_to_gcj02(np.array([2.35, 139.69, 121.5]), np.array([48.85, 35.69, 0.5]))
    assert lon.tolist() == [2.35, 139.69, 121.5]
    assert lat.tolist() == [48.85, 35.69, 0.5]
    back_lon, back_lat = gcj02_to_wgs84(np.array([2.35]), np.array([48.85]))
    assert (back_lon[0], back_lat[0]) == (2.35, 48.85)


def test_inverse_over_a_shanghai_grid_is_exact_to_a_millimetre(shanghai_grid):
    lon, lat = shanghai_grid
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert metres(w_lon - lon, w_lat - lat).max() < 0.001
    shift = metres(g_lon - lon, g_lat - lat)
    assert shift.min() > 300  # the shift undone is about half a kilometre here
    assert shift.max() < 800


def test_chunked_parallel_result_equals_point_by_point(shanghai_grid):
    """Chunking and threads must not change a single bit."""
    lon, lat = (np.tile(a, 12) for a in shanghai_grid)  # 120,000 points: several chunks
    assert lon.size > 3 * gcj02.CHUNK
    many = wgs84_to_gcj02(lon, lat)
    some = [wgs84_to_gcj02(lon[i : i + 1], lat[i : i + 1]) for i in (0, gcj02.CHUNK - 1, gcj02.CHUNK, lon.size - 1)]
    for (x, y), i in zip(some, (0, gcj02.CHUNK - 1, gcj02.CHUNK, lon.size - 1), strict=True):
        assert (many[0][i], many[1][i]) == (x[0], y[0])


def test_shapes_are_kept():
    lon, lat = wgs84_to_gcj02(np.full((3, 4), 121.4), np.full((3, 4), 31.2))
    assert lon.shape == (3, 4)
    assert lat.shape == (3, 4)
    with pytest.raises(ValueError, match="shape"):
        wgs84_to_gcj02(np.zeros(3), np.zeros(4))


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(120.86, 122.0), lat=st.floats(30.68, 31.88))
def test_gcj02_round_trip_over_shanghai_within_a_centimetre(lon, lat):
    g = wgs84_to_gcj02(lon, lat)
    back = gcj02_to_wgs84(*g)
    assert metres(float(back[0]) - lon, float(back[1]) - lat) < 0.01
    # and the other way round: GCJ-02 -> WGS84 -> GCJ-02
    w = gcj02_to_wgs84(lon, lat)
    again = wgs84_to_gcj02(*w)
    assert metres(float(again[0]) - lon, float(again[1]) - lat) < 0.01


@settings(max_examples=200, deadline=None)
@given(lon=st.floats(73.7, 134.7), lat=st.floats(18.2, 53.5))
def test_bd09_round_trip_anywhere_in_china_within_a_centimetre(lon, lat):
    b = gcj02_to_bd09(lon, lat)
    back = bd09_to_gcj02(*b)
    assert metres(float(back[0]) - lon, float(back[1]) - lat, lat) < 0.01
