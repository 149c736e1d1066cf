"""transform(xs, ys, src, dst, zs=None): arrays in, arrays out, through the canonical CGCS2000 lon/lat.

Input is checked whole before anything is converted (finite numbers, lon/lat ranges, plausible Shanghai 2000
extent), so a bad point fails the call with its index and nothing is half-converted. When neither side needs a
formula (GCJ-02, BD-09) or a calibration, one cached pyproj Transformer does the work directly.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from coord_transform import gcj02
from coord_transform.calibration import Calibration
from coord_transform.crs import CRS, NAMED, SH2000_EXTENT_M, resolve
from coord_transform.errors import TransformError

Array = NDArray[np.float64]
CANONICAL = "EPSG:4490"
_local = threading.local()  # pyproj Transformers are not thread-safe: one cache per thread


class Transformed(NamedTuple):
    x: Array
    y: Array
    z: Array | None
    info: dict[str, object]  # src, dst, sh2000 definition and calibration version used


def _transformer(src: str, dst: str) -> Transformer:
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (src, dst)
    t = cache.get(key)
    if t is None:
        t = cache[key] = Transformer.from_crs(src, dst, always_xy=True)
    return t


def _run(t: Transformer, x: Array, y: Array, z: Array | None) -> tuple[Array, Array, Array | None]:
    if z is None:
        ox, oy = t.transform(x, y)
        return ox, oy, None
    return t.transform(x, y, z)


def _arrays(xs: ArrayLike, ys: ArrayLike, zs: ArrayLike | None) -> tuple[Array, Array, Array | None]:
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    z = None if zs is None else np.asarray(zs, dtype=np.float64)
    if x.ndim != 1:
        x, y = np.atleast_1d(x).ravel(), np.atleast_1d(y).ravel()
        z = None if z is None else np.atleast_1d(z).ravel()
    if x.size == 0:
        raise TransformError("no points to transform")
    if y.shape != x.shape:
        raise TransformError(f"x has {x.size} values, y has {y.size}", field="y")
    if z is not None and z.shape != x.shape:
        raise TransformError(f"x has {x.size} values, z has {z.size}", field="z")
    return x, y, z


def _first(mask: NDArray[np.bool_]) -> int | None:
    if not mask.any():
        return None
    return int(np.argmax(mask))


def problems(x: Array, y: Array, z: Array | None, crs: CRS) -> list[tuple[NDArray[np.bool_], str, str]]:
    """Every check as (mask of offending points, field, reason template with {v}); vectorised, one pass each."""
    checks: list[tuple[NDArray[np.bool_], str, str]] = []
    for name, arr in (("x", x), ("y", y), ("z", z)):
        if arr is not None:
            checks.append((~np.isfinite(arr), name, name + " is {v}, not a finite number"))
    if crs.geographic:
        checks.append(((x < -180.0) | (x > 180.0), "x", "longitude {v} is out of range [-180, 180]"))
        checks.append(((y < -90.0) | (y > 90.0), "y", "latitude {v} is out of range [-90, 90]"))
    elif crs.kind == "sh2000":
        limit = f"more than {SH2000_EXTENT_M / 1000:.0f} km from the Shanghai 2000 origin"
        checks.append((np.abs(x) > SH2000_EXTENT_M, "x", "x (north) {v} m is " + limit))
        checks.append((np.abs(y) > SH2000_EXTENT_M, "y", "y (east) {v} m is " + limit))
    return checks


def invalid(x: Array, y: Array, z: Array | None, crs: str | CRS) -> dict[int, tuple[str, str]]:
    """All offending points: {index: (field, reason)}, the first failed check per point. For batch ingest, which
    must report every bad record and keep the good ones."""
    c = resolve(crs)
    out: dict[int, tuple[str, str]] = {}
    arrays = {"x": x, "y": y, "z": z}
    for mask, name, template in problems(x, y, z, c):
        for i in np.flatnonzero(mask).tolist():
            if i not in out:
                out[i] = (name, template.format(v=float(arrays[name][i])))
    return out


def validate(x: Array, y: Array, z: Array | None, crs: CRS) -> None:
    """Raise TransformError naming the first offending index; checks that cost one pass each."""
    arrays = {"x": x, "y": y, "z": z}
    for mask, name, template in problems(x, y, z, crs):
        i = _first(mask)
        if i is not None:
            raise TransformError(template.format(v=float(arrays[name][i])), index=i, field=name)


def _check_output(x: Array, y: Array, src: CRS, dst: CRS) -> None:
    i = _first(~(np.isfinite(x) & np.isfinite(y)))
    if i is not None:
        raise TransformError(f"cannot be transformed from {src.label} to {dst.label}", index=i)


def _to_canonical(x: Array, y: Array, z: Array | None, src: CRS, cal: Calibration | None):
    """(x, y) in src -> CGCS2000 lon/lat."""
    if src.kind == "gcj02":
        lon, lat = gcj02.gcj02_to_wgs84(x, y)
        return lon, lat, z
    if src.kind == "bd09":
        lon, lat = gcj02.gcj02_to_wgs84(*gcj02.bd09_to_gcj02(x, y))
        return lon, lat, z
    if src.kind == "sh2000":
        east, north = y, x
        if cal is not None:
            east, north, z = cal.invert(east, north, z)
        x, y = east, north
    if src.proj == CANONICAL:
        return x, y, z
    return _run(_transformer(src.proj, CANONICAL), x, y, z)


def _from_canonical(lon: Array, lat: Array, z: Array | None, dst: CRS, cal: Calibration | None):
    """CGCS2000 lon/lat -> (x, y) in dst."""
    if dst.kind == "gcj02":
        x, y = gcj02.wgs84_to_gcj02(lon, lat)
        return x, y, z
    if dst.kind == "bd09":
        x, y = gcj02.gcj02_to_bd09(*gcj02.wgs84_to_gcj02(lon, lat))
        return x, y, z
    if dst.proj == CANONICAL:
        return lon, lat, z
    x, y, z = _run(_transformer(CANONICAL, dst.proj), lon, lat, z)
    if dst.kind == "sh2000":
        east, north = x, y
        if cal is not None:
            east, north, z = cal.apply(east, north, z)
        return north, east, z
    return x, y, z


def transform(
    xs: ArrayLike,
    ys: ArrayLike,
    src: str | CRS,
    dst: str | CRS,
    zs: ArrayLike | None = None,
    calibration: Calibration | None = None,
) -> Transformed:
    """Convert coordinates from `src` to `dst` (names as in coord_transform.crs). `calibration` corrects the
    Shanghai 2000 side and must have been fitted on the same definition."""
    s, d = resolve(src), resolve(dst)
    x, y, z = _arrays(xs, ys, zs)
    validate(x, y, z, s)
    sh = s if s.kind == "sh2000" else d if d.kind == "sh2000" else None
    if calibration is not None:
        if sh is None:
            raise TransformError("a calibration applies only to transforms to or from sh2000", field="calibration")
        if calibration.definition != sh.definition:
            raise TransformError(
                f"the calibration was fitted on the {calibration.definition!r} definition, not {sh.definition!r}",
                field="calibration",
            )
    info: dict[str, object] = {
        "src": s.label,
        "dst": d.label,
        "sh2000_definition": sh.definition if sh else None,
        "calibration": calibration.version if calibration is not None else None,
    }
    if s == d and calibration is None:
        return Transformed(x.copy(), y.copy(), None if z is None else z.copy(), info)

    direct = calibration is None and s.proj is not None and d.proj is not None
    if direct:
        # One PROJ pipeline, with Shanghai 2000's north/east order handled around it.
        if s.kind == "sh2000":
            x, y = y, x
        ox, oy, oz = _run(_transformer(s.proj, d.proj), x, y, z)
        if d.kind == "sh2000":
            ox, oy = oy, ox
    else:
        lon, lat, zc = _to_canonical(x, y, z, s, calibration if s.kind == "sh2000" else None)
        ox, oy, oz = _from_canonical(lon, lat, zc, d, calibration if d.kind == "sh2000" else None)
    ox = np.asarray(ox, dtype=np.float64)
    oy = np.asarray(oy, dtype=np.float64)
    _check_output(ox, oy, s, d)
    return Transformed(ox, oy, None if oz is None else np.asarray(oz, dtype=np.float64), info)


__all__ = ["NAMED", "Transformed", "invalid", "transform", "validate"]
