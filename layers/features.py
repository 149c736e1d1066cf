"""Features of a layer as GeoJSON (the provider behind OGC API - Features): bbox, datetime, CQL2 filter, access
scope, paging with a total. One SELECT over the layer's source; every value bound as a parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import orjson

from geo_core.params import instant
from geo_core.replica import reader
from geo_core.scope import Scope
from geo_core.ttl import TtlCache
from layers.registry import Layer
from tiles.source import quote_ident

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS_LIST = [CRS84, EPSG4490]


@dataclass
class Query:
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: str = CRS84
    interval: tuple[datetime | None, datetime | None] | None = None
    filter_sql: str | None = None
    filter_params: list | None = None
    limit: int = 10
    offset: int = 0
    crs: str = CRS84
    fid: int | None = None


def parse_datetime(value: str) -> tuple[datetime | None, datetime | None]:
    """An instant or an interval (a/b, ../b, a/..), as OGC API datetime."""

    def one(s: str) -> datetime | None:
        return None if s in ("..", "") else instant(s, "datetime")

    if "/" in value:
        a, b = value.split("/", 1)
        return one(a), one(b)
    t = one(value)
    return t, t


def _select(layer: Layer, q: Query, scope: Scope) -> tuple[str, list]:
    box = q.bbox
    if box is not None and q.bbox_crs == EPSG4490:  # lat/lon axis order
        box = (box[1], box[0], box[3], box[2])
    source, params = layer.positional_sql(scope, box)
    where = ["TRUE"]
    g = f"src.{quote_ident('geom')}"
    if q.fid is not None:
        where.append("src.id = %s")
        params.append(q.fid)
    if box is not None:
        x0, y0, x1, y1 = box
        where.append(
            f"{g} && ST_MakeEnvelope(%s, %s, %s, %s, 4490) AND ST_Intersects({g}, "
            "ST_MakeEnvelope(%s, %s, %s, %s, 4490))"
        )
        params += [x0, y0, x1, y1] * 2
    if q.interval is not None and layer.time_field:
        start, end = q.interval
        t0 = f"src.{quote_ident(layer.time_field)}"
        t1 = f"src.{quote_ident(layer.time_end_field)}" if layer.time_end_field else t0
        if end is not None:
            where.append(f"{t0} <= %s")
            params.append(end)
        if start is not None:
            where.append(f"{t1} >= %s")
            params.append(start)
    if q.filter_sql:
        where.append(q.filter_sql)
        params += q.filter_params or []
    if not scope.everything:
        sql, values = layer.scope_where(scope)
        where.append(sql)
        params += values
    return f"FROM ({source}) src WHERE " + " AND ".join(where), params


def fetch(layer: Layer, q: Query, scope: Scope) -> tuple[list[dict], int]:
    """(features, numberMatched)."""
    body, params = _select(layer, q, scope)
    geom = "src.geom" if q.crs == CRS84 else "ST_FlipCoordinates(src.geom)"
    props = ", ".join(f"src.{quote_ident(p)}" for p in layer.properties)
    with reader().cursor() as cur:
        cur.execute(f"SELECT count(*) {body}", params)
        matched = cur.fetchone()[0]
        cur.execute(
            f"SELECT src.id, ST_AsGeoJSON(ST_Force2D({geom}), 8, 0), {props} {body} ORDER BY src.id LIMIT %s OFFSET %s",
            [*params, q.limit, q.offset],
        )
        rows = cur.fetchall()
    names = list(layer.properties)
    features = []
    for fid, geometry, *values in rows:
        features.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": orjson.loads(geometry) if geometry else None,
                "properties": {
                    n: (v.isoformat() if isinstance(v, datetime) else v) for n, v in zip(names, values, strict=True)
                },
            }
        )
    return features, matched


def fetch_columns(layer: Layer, q: Query, scope: Scope) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The same rows as `fetch`, as columns and WKB (CGCS2000 lon/lat) for file exports: one query, no GeoJSON."""
    body, params = _select(layer, q, scope)
    props = ", ".join(f"src.{quote_ident(p)}" for p in layer.properties)
    with reader().cursor() as cur:
        cur.execute(
            f"SELECT src.id, ST_AsBinary(ST_Force2D(src.geom)), {props} {body} ORDER BY src.id LIMIT %s OFFSET %s",
            [*params, q.limit, q.offset],
        )
        rows = cur.fetchall()
    names = ["id", "geom", *layer.properties]
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    out = {n: np.array(list(c), dtype=object) for n, c in zip(names, cols, strict=True)}
    wkb = np.array([None if g is None else bytes(g) for g in out.pop("geom")], dtype=object)
    return out, wkb


CHINA = [73.5, 3.8, 135.1, 53.6]
_EXTENTS: TtlCache[dict] = TtlCache(60.0)  # per layer and scope


def forget_extents() -> None:
    _EXTENTS.clear()


def extent(layer: Layer, scope: Scope) -> dict:
    """The collection's extent as the caller sees it (OGC API `extent`): the bbox of its rows in CRS84 (China's when
    it sees none) and, for layers with a time, the first and last instant. Kept a minute per layer and scope."""
    return _EXTENTS.get((layer.id, scope.key), lambda: _extent(layer, scope))


def _extent(layer: Layer, scope: Scope) -> dict:
    body, params = _select(layer, Query(), scope)
    times = "NULL AS t0, NULL AS t1"
    if layer.time_field:
        t1 = layer.time_end_field or layer.time_field
        times = f"min(src.{quote_ident(layer.time_field)}) AS t0, max(src.{quote_ident(t1)}) AS t1"
    with reader().cursor() as cur:
        cur.execute(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM "
            f"(SELECT ST_Extent(src.geom) AS e, {times} {body}) x",
            params,
        )
        *box, first, last = cur.fetchone()
    bbox = CHINA if box[0] is None else [round(v, 6) for v in box]
    out = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    if layer.time_field:
        out["temporal"] = {"interval": [[t.isoformat() if t else None for t in (first, last)]]}
    return out
