"""Coordinates as received -> CGCS2000 lon/lat, per declared CRS, vectorised; bad points are listed, not fatal."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from coord_transform import TransformError, transform
from coord_transform.core import invalid
from coord_transform.crs import resolve

# Generous box around China for "is this plausibly a Chinese position" after conversion.
CHINA = (73.0, 3.0, 136.0, 54.0)


REPORT_FIELDS = {"x": "LONGITUDE", "y": "LATITUDE", "z": "HEIGHT", "crs": "CRS"}


def to_cgcs2000(
    x: np.ndarray, y: np.ndarray, z: np.ndarray | None, crs: list[str], fields: dict[str, str] = REPORT_FIELDS
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict[int, tuple[str, str]]]:
    """Convert each point from its own CRS. Returns lon, lat, z and {index: (field, reason)} for points that could
    not be used (their lon/lat are NaN); `fields` names x, y, z and crs as the source calls them."""
    lon = np.full(x.shape, np.nan)
    lat = np.full(x.shape, np.nan)
    out_z = None if z is None else z.copy()
    errors: dict[int, tuple[str, str]] = {}
    groups: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(crs):
        groups[name].append(i)
    for name, members in groups.items():
        idx = np.asarray(members)
        try:
            resolve(name)
        except TransformError as exc:
            for i in members:
                errors[i] = (fields["crs"], exc.reason)
            continue
        gx, gy = x[idx], y[idx]
        gz = None if z is None else z[idx]
        bad = invalid(gx, gy, gz, name)
        for k, (field, reason) in bad.items():
            errors[int(idx[k])] = (fields[field], reason)
        keep = np.setdiff1d(np.arange(idx.size), np.fromiter(bad, dtype=int, count=len(bad)))
        if keep.size == 0:
            continue
        r = transform(gx[keep], gy[keep], name, "cgcs2000", None if gz is None else gz[keep])
        lon[idx[keep]] = r.x
        lat[idx[keep]] = r.y
        if out_z is not None and r.z is not None:
            out_z[idx[keep]] = r.z
    outside = ~np.isnan(lon) & ((lon < CHINA[0]) | (lon > CHINA[2]) | (lat < CHINA[1]) | (lat > CHINA[3]))
    for i in np.flatnonzero(outside).tolist():
        errors[i] = (fields["x"], f"({x[i]}, {y[i]}) in {crs[i]} lies outside China")
        lon[i] = lat[i] = np.nan
    return lon, lat, out_z, errors
