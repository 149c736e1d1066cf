"""Shared grids over Shanghai for coordinate tests."""

from __future__ import annotations

import numpy as np
import pytest

# Shanghai's extent, CGCS2000 lon/lat.
SH_LON = (120.86, 122.0)
SH_LAT = (30.68, 31.88)
M_PER_DEG_LAT = 111_000.0


def metres(dlon, dlat, lat=31.2):
    """Rough metric size of small lon/lat differences (for tolerances)."""
    return np.hypot(np.asarray(dlon) * M_PER_DEG_LAT * np.cos(np.radians(lat)), np.asarray(dlat) * M_PER_DEG_LAT)


@pytest.fixture(scope="session")
def shanghai_grid():
    lon, lat = np.meshgrid(np.linspace(*SH_LON, 100), np.linspace(*SH_LAT, 100))
    return lon.ravel(), lat.ravel()
