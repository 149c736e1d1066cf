"""GCJ-02 ("Mars coordinates": AMap, Tencent, WeChat) and BD-09 (Baidu) to and from WGS84/CGCS2000, vectorised.

The forward formulas are the published ones (googollee/eviltransform, wandergis/coordtransform; Krasovsky
a = 6378245.0, ee = 0.00669342162296594323). Inverses are iterative and converge below 1e-10 degrees (about 0.01 mm),
not the one-step approximations that are off by 1-2 m. GCJ-02 leaves points outside the published China box
unchanged, as the published algorithm does; BD-09 is applied everywhere, as published. WGS84 and CGCS2000 differ by
centimetres in China and are treated as one here.

Speed: the twelve sines of the published formula are computed from four sin/cos pairs with multiple-angle
identities, the arrays are processed in cache-sized chunks, and chunks run on all cores (numpy releases the GIL).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import ArrayLike, NDArray

A = 6378245.0
EE = 0.00669342162296594323
# The rough bounding box the published algorithm uses for "inside China".
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 72.004, 137.8347, 0.8293, 55.8271
X_PI = np.pi * 3000.0 / 180.0

CHUNK = 32_768  # points per chunk: a dozen float64 temporaries stay within L2
TOLERANCE_DEG = 1e-10
MAX_ITERATIONS = 30

Array = NDArray[np.float64]
_pool: ThreadPoolExecutor | None = None


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _map_chunks(kernel: Callable[[Array, Array, Array, Array], None], lon: Array, lat: Array) -> tuple[Array, Array]:
    """Run kernel(lon_chunk, lat_chunk, out_lon_chunk, out_lat_chunk) over chunks, on all cores."""
    out_lon = np.empty_like(lon)
    out_lat = np.empty_like(lat)
    n = lon.shape[0]
    bounds = [(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]

    def run(b: tuple[int, int]) -> None:
        s, e = b
        kernel(lon[s:e], lat[s:e], out_lon[s:e], out_lat[s:e])

    if len(bounds) <= 1 or _workers() == 1:
        for b in bounds:
            run(b)
    else:
        global _pool
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="gcj02")
        list(_pool.map(run, bounds))
    return out_lon, out_lat


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array, tuple[int, ...]]:
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if lon.shape != lat.shape:
        raise ValueError(f"lon has shape {lon.shape}, lat has shape {lat.shape}")
    return np.ascontiguousarray(lon).reshape(-1), np.ascontiguousarray(lat).reshape(-1), lon.shape


def _apply(kernel: Callable[[Array, Array, Array, Array], None], lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    x, y, shape = _as_arrays(lon, lat)
    out_lon, out_lat = _map_chunks(kernel, x, y)
    return out_lon.reshape(shape), out_lat.reshape(shape)


def in_china_box(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    return (lon >= LON_MIN) & (lon <= LON_MAX) & (lat >= LAT_MIN) & (lat <= LAT_MAX)


def _series(t: Array) -> tuple[Array, Array, Array, Array, Array, Array]:
    """sin(6u), sin(2u), sin(u), sin(u/3), sin(u/12), sin(u/30) for u = pi*t, from two sin/cos pairs."""
    u12 = t * (np.pi / 12.0)
    s12 = np.sin(u12)
    c12 = np.cos(u12)
    s6 = 2.0 * s12 * c12  # u/6
    c6 = 1.0 - 2.0 * s12 * s12
    s3 = 2.0 * s6 * c6  # u/3
    c3 = 1.0 - 2.0 * s6 * s6
    s1 = s3 * (3.0 - 4.0 * s3 * s3)  # u
    c1 = c3 * (4.0 * c3 * c3 - 3.0)
    s2 = 2.0 * s1 * c1  # 2u
    s6u = s2 * (3.0 - 4.0 * s2 * s2)  # 6u
    s30 = np.sin(t * (np.pi / 30.0))
    return s6u, s2, s1, s3, s12, s30


def _offset_kernel(lon: Array, lat: Array, dlon: Array, dlat: Array) -> None:
    """The GCJ-02 offset (degrees) at WGS84 (lon, lat), written into dlon/dlat (zero outside the China box)."""
    x = lon - 105.0
    y = lat - 35.0
    xs6, xs2, xs1, xs3, xs12, xs30 = _series(x)
    _, _, ys1, ys3, ys12, ys30 = _series(y)
    common = 20.0 * xs6 + 20.0 * xs2
    xy = x * y
    abs_x = np.sqrt(np.abs(x))
    t_lat = common + 20.0 * ys1 + 40.0 * ys3 + 160.0 * ys12 + 320.0 * ys30
    t_lon = common + 20.0 * xs1 + 40.0 * xs3 + 150.0 * xs12 + 300.0 * xs30
    t_lat *= 2.0 / 3.0
    t_lon *= 2.0 / 3.0
    t_lat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * abs_x
    t_lon += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * abs_x
    rad_lat = lat * (np.pi / 180.0)
    sin_lat = np.sin(rad_lat)
    magic = 1.0 - EE * sin_lat * sin_lat
    sqrt_magic = np.sqrt(magic)
    np.multiply(t_lat, (180.0 / np.pi / (A * (1.0 - EE))) * magic * sqrt_magic, out=dlat)
    np.multiply(t_lon, (180.0 / np.pi / A) * sqrt_magic / np.cos(rad_lat), out=dlon)
    outside = (lon < LON_MIN) | (lon > LON_MAX) | (lat < LAT_MIN) | (lat > LAT_MAX)
    if outside.any():
        dlon[outside] = 0.0
        dlat[outside] = 0.0


def _forward_kernel(lon: Array, lat: Array, out_lon: Array, out_lat: Array) -> None:
    _offset_kernel(lon, lat, out_lon, out_lat)
    out_lon += lon
    out_lat += lat


def _inverse_kernel(g_lon: Array, g_lat: Array, w_lon: Array, w_lat: Array) -> None:
    """Fixed-point iteration w <- w + (g - F(w)); the offset field is smooth (its slope is ~1e-3), so each step
    gains about three digits: four steps from w = g - offset(g) reach the tolerance."""
    d_lon = np.empty_like(g_lon)
    d_lat = np.empty_like(g_lat)
    _offset_kernel(g_lon, g_lat, d_lon, d_lat)
    np.subtract(g_lon, d_lon, out=w_lon)
    np.subtract(g_lat, d_lat, out=w_lat)
    for _ in range(MAX_ITERATIONS):
        _offset_kernel(w_lon, w_lat, d_lon, d_lat)
        # residual = g - (w + d)
        d_lon += w_lon
        d_lat += w_lat
        np.subtract(g_lon, d_lon, out=d_lon)
        np.subtract(g_lat, d_lat, out=d_lat)
        w_lon += d_lon
        w_lat += d_lat
        if np.all(np.abs(d_lon) < TOLERANCE_DEG) and np.all(np.abs(d_lat) < TOLERANCE_DEG):
            return
    bad = int(np.argmax((np.abs(d_lon) >= TOLERANCE_DEG) | (np.abs(d_lat) >= TOLERANCE_DEG)))
    raise ArithmeticError(f"GCJ-02 inverse did not converge at ({g_lon[bad]}, {g_lat[bad]})")


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return _apply(_forward_kernel, lon, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return _apply(_inverse_kernel, lon, lat)


def _bd_forward_kernel(lon: Array, lat: Array, out_lon: Array, out_lat: Array) -> None:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * X_PI)
    np.multiply(z, np.cos(theta), out=out_lon)
    np.multiply(z, np.sin(theta), out=out_lat)
    out_lon += 0.0065
    out_lat += 0.006


def _bd_inverse_kernel(b_lon: Array, b_lat: Array, g_lon: Array, g_lat: Array) -> None:
    """Start from the published one-step inverse, then iterate on the forward formula."""
    x = b_lon - 0.0065
    y = b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    np.multiply(z, np.cos(theta), out=g_lon)
    np.multiply(z, np.sin(theta), out=g_lat)
    f_lon = np.empty_like(g_lon)
    f_lat = np.empty_like(g_lat)
    for _ in range(MAX_ITERATIONS):
        _bd_forward_kernel(g_lon, g_lat, f_lon, f_lat)
        np.subtract(b_lon, f_lon, out=f_lon)
        np.subtract(b_lat, f_lat, out=f_lat)
        g_lon += f_lon
        g_lat += f_lat
        if np.all(np.abs(f_lon) < TOLERANCE_DEG) and np.all(np.abs(f_lat) < TOLERANCE_DEG):
            return
    raise ArithmeticError("BD-09 inverse did not converge")


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return _apply(_bd_forward_kernel, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return _apply(_bd_inverse_kernel, lon, lat)
