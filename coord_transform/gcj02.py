"""GCJ-02 ("Mars coordinates", used by AMap, Tencent and WeChat) to and from WGS84/CGCS2000, vectorised.

The forward formula is the published one (as in googollee/eviltransform and wandergis/coordtransform, Krasovsky
a = 6378245.0, ee = 0.00669342162296594323). The inverse is iterative, converging to < 1e-9 degrees (~0.1 mm),
not the one-step approximation that is off by 1-2 m. Points outside the published China box pass unchanged,
as the published algorithm does. WGS84 and CGCS2000 differ by centimetres here and are treated as one.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

A = 6378245.0
EE = 0.00669342162296594323
# The rough bounding box the published algorithm uses for "inside China".
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 72.004, 137.8347, 0.8293, 55.8271

Array = NDArray[np.float64]


def in_china_box(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    return (lon >= LON_MIN) & (lon <= LON_MAX) & (lat >= LAT_MIN) & (lat <= LAT_MAX)


def _offsets(lon: Array, lat: Array) -> tuple[Array, Array]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    xy = x * y
    abs_x = np.sqrt(np.abs(x))
    x_pi = x * np.pi
    y_pi = y * np.pi
    d = 20.0 * np.sin(6.0 * x_pi) + 20.0 * np.sin(2.0 * x_pi)
    dlat = d + 20.0 * np.sin(y_pi) + 40.0 * np.sin(y_pi / 3.0)
    dlon = d + 20.0 * np.sin(x_pi) + 40.0 * np.sin(x_pi / 3.0)
    dlat += 160.0 * np.sin(y_pi / 12.0) + 320.0 * np.sin(y_pi / 30.0)
    dlon += 150.0 * np.sin(x_pi / 12.0) + 300.0 * np.sin(x_pi / 30.0)
    dlat *= 2.0 / 3.0
    dlon *= 2.0 / 3.0
    dlat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * abs_x
    dlon += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * abs_x

    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offsets(lon, lat)
    inside = in_china_box(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10, max_iter: int = 30) -> tuple[Array, Array]:
    """Invert wgs84_to_gcj02 by fixed-point iteration; the offset field is smooth, so it converges in a few
    steps to the tolerance (1e-10 degrees is about 0.01 mm)."""
    g_lon = np.asarray(lon, dtype=np.float64)
    g_lat = np.asarray(lat, dtype=np.float64)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon = g_lon - f_lon
        e_lat = g_lat - f_lat
        w_lon += e_lon
        w_lat += e_lat
        if max(float(np.nanmax(np.abs(e_lon), initial=0.0)), float(np.nanmax(np.abs(e_lat), initial=0.0))) < tol_deg:
            break
    return w_lon, w_lat
