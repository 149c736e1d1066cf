"""The metric plane: the CGCS2000 Gauss-Krueger zone of a longitude, one per zone per process, true metres."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from coord_transform.plane import MetricPlane


def test_one_plane_per_zone():
    a, b, c = MetricPlane.around(121.2), MetricPlane.around(121.45), MetricPlane.around(121.6)
    assert a is b
    assert (a.crs, c.crs) == ("EPSG:4549", "EPSG:4550")  # the zones of 120 and 123 degrees east
    assert a.central_lon == 120.0


def test_plane_distances_are_metres():
    plane = MetricPlane.around(121.45)
    lon, lat = np.array([121.45, 121.46]), np.array([30.78, 30.79])
    x, y = plane.forward(lon, lat)
    geodesic = Geod(ellps="GRS80").line_length(lon, lat)
    assert np.hypot(np.diff(x), np.diff(y))[0] == pytest.approx(geodesic, rel=5e-4)
    back = plane.inverse(x, y)
    assert np.allclose(back, (lon, lat), atol=1e-9)
