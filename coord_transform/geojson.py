"""Transform every position of a GeoJSON object (geometry, Feature or FeatureCollection) in one vectorised call.

Positions are gathered into arrays, converted together, and written back; a bad position is reported as
`features[i]` and its position number within that feature. `bbox` members are dropped, since they would be stale.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from coord_transform.calibration import Calibration
from coord_transform.core import transform
from coord_transform.errors import TransformError

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def _positions(coords: Any, out: list[list[float]]) -> None:
    if coords and isinstance(coords[0], (int, float)):
        out.append(coords)
        return
    for c in coords:
        _positions(c, out)


def _geometry(geom: dict | None, out: list[list[float]], where: str) -> None:
    if geom is None:
        return
    kind = geom.get("type")
    if kind == "GeometryCollection":
        for g in geom.get("geometries", []):
            _geometry(g, out, where)
    elif kind in GEOMETRY_TYPES:
        coords = geom.get("coordinates")
        if not isinstance(coords, list):
            raise TransformError(f"{kind} has no coordinates list", field=where)
        _positions(coords, out)
    else:
        raise TransformError(f"not a GeoJSON geometry type: {kind!r}", field=where)
    geom.pop("bbox", None)


def gather(obj: dict) -> tuple[list[list[float]], list[tuple[str, int]]]:
    """All positions of obj (references into it) and, for each, (where, position number)."""
    positions: list[list[float]] = []
    owners: list[tuple[str, int]] = []
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind == "FeatureCollection":
        parts = [
            (f"features[{i}]", f.get("geometry") if isinstance(f, dict) else None)
            for i, f in enumerate(obj.get("features", []))
        ]
    elif kind == "Feature":
        parts = [("feature", obj.get("geometry"))]
    elif kind in GEOMETRY_TYPES or kind == "GeometryCollection":
        parts = [("geometry", obj)]
    else:
        raise TransformError(f"not a GeoJSON object (type {kind!r})", field="type")
    for where, geom in parts:
        before = len(positions)
        _geometry(geom, positions, where)
        owners.extend((where, j) for j in range(len(positions) - before))
    obj.pop("bbox", None)
    for f in obj.get("features", []) if kind == "FeatureCollection" else []:
        if isinstance(f, dict):
            f.pop("bbox", None)
    return positions, owners


def transform_geojson(
    obj: dict, src: str, dst: str, calibration: Calibration | None = None, inplace: bool = False
) -> tuple[dict, dict[str, object]]:
    """Returns the converted object and the transform info (definition, calibration used)."""
    out = obj if inplace else copy.deepcopy(obj)
    positions, owners = gather(out)
    if not positions:
        raise TransformError("no positions to transform")
    short = next((i for i, p in enumerate(positions) if len(p) < 2), None)
    if short is not None:
        where, j = owners[short]
        raise TransformError(f"position {j} has fewer than 2 numbers", index=short, field=where)
    try:
        xs = np.fromiter((p[0] for p in positions), dtype=np.float64, count=len(positions))
        ys = np.fromiter((p[1] for p in positions), dtype=np.float64, count=len(positions))
        has_z = all(len(p) > 2 for p in positions)
        zs = np.fromiter((p[2] for p in positions), dtype=np.float64, count=len(positions)) if has_z else None
    except (TypeError, ValueError):
        bad = next(i for i, p in enumerate(positions) if not all(isinstance(v, (int, float)) for v in p))
        where, j = owners[bad]
        raise TransformError(f"position {j} holds something that is not a number", index=bad, field=where) from None
    try:
        result = transform(xs, ys, src, dst, zs=zs, calibration=calibration)
    except TransformError as exc:
        if exc.index is None:
            raise
        where, j = owners[exc.index]
        raise TransformError(f"position {j}: {exc.reason}", index=exc.index, field=where) from None
    x, y, z = result.x.tolist(), result.y.tolist(), None if result.z is None else result.z.tolist()
    for i, p in enumerate(positions):
        p[0] = x[i]
        p[1] = y[i]
        if z is not None:
            p[2] = z[i]
    return out, result.info
