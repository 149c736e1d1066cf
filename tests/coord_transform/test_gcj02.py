"""GCJ-02 <-> WGS84/CGCS2000: the published test vectors, and an inverse exact to well under a centimetre."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_transform.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

M_PER_DEG = 111_320.0


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


def test_points_outside_china_pass_unchanged():
    lon, lat = wgs84_to_gcj02(np.array([2.35, 139.69, 121.5]), np.array([48.85, 35.69, 0.5]))
    assert lon.tolist() == [2.35, 139.69, 121.5]
    assert lat.tolist() == [48.85, 35.69, 0.5]
    back = gcj02_to_wgs84(np.array([2.35]), np.array([48.85]))
    assert float(back[0][0]) == 2.35


def test_inverse_over_a_shanghai_grid_is_exact_to_a_millimetre():
    lon, lat = np.meshgrid(np.linspace(120.85, 122.0, 100), np.linspace(30.67, 31.9, 100))
    g_lon, g_lat = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    err_m = np.hypot((w_lon - lon.ravel()) * M_PER_DEG * np.cos(np.radians(31)), (w_lat - lat.ravel()) * M_PER_DEG)
    assert err_m.max() < 0.001
    # The shift undone is about half a kilometre here.
    shift_m = np.hypot((g_lon - lon.ravel()) * M_PER_DEG * np.cos(np.radians(31)), (g_lat - lat.ravel()) * M_PER_DEG)
    assert shift_m.min() > 300
    assert shift_m.max() < 800


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(73.7, 134.7), lat=st.floats(18.2, 53.5))
def test_round_trip_anywhere_in_china_within_a_centimetre(lon, lat):
    g = wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = gcj02_to_wgs84(*g)
    assert abs(float(w_lon) - lon) * M_PER_DEG < 0.01
    assert abs(float(w_lat) - lat) * M_PER_DEG < 0.01
