"""Queries for the maps (STO-2, STO-3): name search, nearby (true metres on the geography type), counts per
district (a multi-site enterprise once per district), and a subject's track for a time range with its stops and
trips. Every query takes the caller's enterprise scope."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import orjson
import psycopg
import shapely

from geo_core.errors import BadRequestError, ConflictError, NotFoundError
from geo_core.gisfiles.targets import region_prefix
from geo_core.models import Subject
from geo_core.replica import reader
from geo_core.scope import Scope
from geo_core.ttl import TtlCache
from layers import registry
from layers.registry import Layer

EARTH_M = 6378137.0
COUNTS_TTL_S = 30.0  # as the choropleth tiles of the same counts (registry.counts_layer)
STOP_RADIUS_M = 20.0
STOP_MIN_S = 120.0


def search(text: str, scope: Scope, limit: int = 20) -> list[dict]:
    """Things found by name, code or address, from every layer that declares a search (registry.Search): enterprises,
    sites, people and machines, zones, special equipment, regions; each within the caller's scope."""
    if len(text.strip()) < 2:
        raise BadRequestError("q: at least 2 characters")
    like = f"%{text.strip()}%"
    parts = []
    with reader().cursor() as cur:
        for layer in registry.SEARCHED:
            q = layer.search
            owner = f'src."{q.scope_column}"' if q.scope_column else None
            where, params = layer.visibility.where(scope, owner, "src.geom")
            matches = " OR ".join(f'src."{f}" ILIKE %s' for f in q.fields)
            cur.execute(
                f"""SELECT src.kind, src.id, src.name, src.code,
                           ST_AsGeoJSON(ST_PointOnSurface(ST_Collect(src.geom)), 7, 0)
                    FROM ({q.sql}) src WHERE ({matches}) AND {where}
                    GROUP BY src.kind, src.id, src.name, src.code ORDER BY {q.order} LIMIT %s""",
                [*[like] * len(q.fields), *params, limit],
            )
            for kind, ident, name, code, point in cur.fetchall():
                parts.append(
                    {
                        "kind": kind,
                        "id": ident,
                        "name": name,
                        "code": code,
                        "location": orjson.loads(point) if point else None,
                    }
                )
    return parts[:limit]


def nearby(layer: Layer, lon: float, lat: float, radius_m: float | None, k: int, scope: Scope) -> list[dict]:
    """The k nearest features of a layer (optionally within a radius), with geodesic distances in metres."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BadRequestError("lon/lat out of range")
    if not 1 <= k <= 1000:
        raise BadRequestError("k: 1 to 1000")
    where, params = layer.scope_where(scope)
    point = "ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography"
    within = ""
    if radius_m is not None:
        if not 0 < radius_m <= 100_000:
            raise BadRequestError("radius: 0 to 100,000 metres")
        within = f"AND ST_DWithin(src.geom::geography, {point}, %s)"
    props = ", ".join(f'src."{p}"' for p in layer.properties)
    source, inner = layer.positional_sql(scope)
    sql = f"""SELECT src.id, ST_Distance(src.geom::geography, {point}) AS d,
                     ST_AsGeoJSON(ST_Force2D(src.geom), 8, 0), {props}
              FROM ({source}) src WHERE {where} {within}
              ORDER BY src.geom::geography <-> {point} LIMIT %s"""
    args = [lon, lat, *inner, *params, *([lon, lat, radius_m] if within else []), lon, lat, k]
    with reader().cursor() as cur:
        cur.execute(sql, args)
        rows = cur.fetchall()
    names = list(layer.properties)
    return [
        {
            "id": r[0],
            "distance_m": round(r[1], 2),
            "geometry": orjson.loads(r[2]),
            "properties": dict(zip(names, [_plain(v) for v in r[3:]], strict=True)),
        }
        for r in rows
    ]


def _plain(v):
    return v.isoformat() if isinstance(v, datetime) else v


def district_counts(scope: Scope) -> list[dict]:
    """The `district_counts` layer's rows without their shapes: districts with anything to count, by code."""
    return region_counts(scope, "district")


COUNTS: TtlCache[list[dict]] = TtlCache(COUNTS_TTL_S)


def region_counts(scope: Scope, level: str, parent: str | None = None) -> list[dict]:
    """Regions of one level with anything to count, or under `parent` (a region code) all of them, by code: the
    counts of `registry.region_counts_sql`, within the caller's scope (summed from the rows counted once for every
    caller). Kept COUNTS_TTL_S per scope as well: every open page asks for them (the choropleth tiles of the same
    counts are kept 30 s)."""
    return COUNTS.get((scope.key, level, parent), lambda: _region_counts(scope, level, parent))


def _region_counts(scope: Scope, level: str, parent: str | None) -> list[dict]:
    source, params = registry.Layer(
        "region_counts", "", "", registry.region_counts_sql(level), registry.COUNT_PROPS, "MultiPolygon", ()
    ).positional_sql(scope)
    numbers = [n for n, t in registry.COUNT_PROPS.items() if t == "integer"]
    texts = [n for n, t in registry.COUNT_PROPS.items() if t != "integer"]
    where = " OR ".join(f"{n} > 0" for n in numbers)  # the whole country: the regions with anything to count
    if parent:  # under a region: every one of its regions, those with nothing (that the caller may see) as zeros
        where = "code LIKE %s"
        params = [*params, region_prefix(parent) + "%"]
    with reader().cursor() as cur:
        cur.execute(f"SELECT {', '.join(texts + numbers)} FROM ({source}) src WHERE {where} ORDER BY code", params)
        return [dict(zip(texts + numbers, row, strict=True)) for row in cur.fetchall()]


def track(
    external_id: str,
    start: datetime,
    end: datetime,
    scope: Scope,
    tolerance_m: float = 2.0,
    enterprise: str | None = None,
) -> dict:
    """A subject's fixes in [start, end): the line simplified for display (by a tolerance in metres), and its stops
    (>= 2 min within 20 m) and the trips between them."""
    kind, fixes = track_fixes(external_id, start, end, scope, enterprise)
    line, times = _line(fixes, tolerance_m)
    stops = _stops(fixes)
    return {
        "subject": external_id,
        "kind": kind,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "fixes": len(fixes),
        "line": line,
        "times": times,
        "stops": stops,
        "trips": _trips(fixes, stops),
    }


def track_fixes(
    external_id: str, start: datetime, end: datetime, scope: Scope, enterprise: str | None = None
) -> tuple[str, np.ndarray]:
    """(kind, fixes as rows of epoch seconds, lon, lat) of a subject the caller may see, in time order. Ids are each
    enterprise's own (two enterprises may both have a P-001): an id that names subjects of several enterprises the
    caller sees needs `enterprise` (a company code) and is a 409 without it, never the older one silently."""
    if end <= start:
        raise BadRequestError("to must be after from")
    if (end - start).total_seconds() > 7 * 86400:
        raise BadRequestError("at most 7 days per request")
    s_sql, s_params = Subject.VISIBILITY.where(scope, "s.enterprise_id", "st.geom")
    with reader().cursor() as cur:
        cur.execute(
            "SELECT s.id, s.kind, e.company_code FROM geo_core_subject s "
            "LEFT JOIN geo_core_subjectstate st ON st.subject_id = s.id "
            "LEFT JOIN geo_core_enterprise e ON e.id = s.enterprise_id "
            f"WHERE s.external_id = %s AND (%s::text IS NULL OR e.company_code = %s) AND {s_sql} ORDER BY s.id LIMIT 5",
            [external_id, enterprise, enterprise, *s_params],
        )
        rows = cur.fetchall()
        if not rows:
            of = f" of enterprise {enterprise!r}" if enterprise else ""
            raise NotFoundError(f"no subject {external_id!r}{of}")
        if len(rows) > 1:
            codes = ", ".join(sorted({c or "(none)" for *_, c in rows}))
            raise ConflictError(
                f"{external_id!r} names subjects of several enterprises ({codes}); add enterprise=<company code>"
            )
        sid, kind, _ = rows[0]
    # The fixes as three float8 arrays in one row, in binary (a row per fix, or arrays as text, cost more to fetch
    # than the query takes; Django's client-side cursors cannot ask for binary results, a plain one on the same
    # connection can). date_part, not extract: extract's numeric costs 10 ms on a day of fixes.
    with psycopg.Cursor(reader().connection) as raw:
        raw.execute(
            """SELECT array_agg(date_part('epoch', time)), array_agg(ST_X(geom)), array_agg(ST_Y(geom)) FROM (
                 SELECT time, geom FROM geo_core_positionfix
                 WHERE subject_id = %s AND time >= %s AND time < %s ORDER BY time) f""",
            [sid, start, end],
            binary=True,
        )
        t, x, y = raw.fetchone()
    return kind, np.column_stack([t or [], x or [], y or []]).astype(float).reshape(-1, 3)


def _line(fixes: np.ndarray, tolerance_m: float) -> tuple[dict | None, list[float]]:
    """The track as a GeoJSON LineString simplified by `tolerance_m` metres (Douglas-Peucker by shapely, in local
    equirectangular metres: over a track's few kilometres their scale errs by under 0.1 %, a few millimetres of a 2 m
    tolerance, at a hundredth of the cost of a projection), and the time of each of its vertices (epoch seconds:
    what playback moves along)."""
    if len(fixes) < 2:
        return None, []
    x, y = _metres(fixes[:, 1], fixes[:, 2])
    simple = shapely.simplify(shapely.linestrings(np.column_stack([x, y])), tolerance_m, preserve_topology=False)
    sx, sy = shapely.get_coordinates(simple).T
    lon, lat = _degrees(sx, sy, fixes[:, 2])
    # Douglas-Peucker keeps a subsequence of the fixes: find each kept vertex in order to take its time.
    times, j = [], 0
    for vx, vy in zip(sx, sy, strict=True):
        while j < len(x) - 1 and (x[j] != vx or y[j] != vy):
            j += 1
        times.append(float(fixes[j, 0]))
    times[-1] = float(fixes[-1, 0])  # the line ends with the last fix (a stop at the end holds several)
    return {"type": "LineString", "coordinates": np.round(np.column_stack([lon, lat]), 7).tolist()}, times


def _metres(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local equirectangular metres: enough for 20 m stop radii and metre tolerances inside one track."""
    lat0 = np.radians(np.mean(lat))
    return np.radians(lon) * EARTH_M * np.cos(lat0), np.radians(lat) * EARTH_M


def _degrees(x: np.ndarray, y: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of _metres for the same track (`lat`: the track's latitudes, which fix its scale)."""
    lat0 = np.radians(np.mean(lat))
    return np.degrees(x / (EARTH_M * np.cos(lat0))), np.degrees(y / EARTH_M)


def _stops(fixes: np.ndarray) -> list[dict]:
    """Stay points (Li et al. 2008): a run of fixes all within STOP_RADIUS_M of its first for >= STOP_MIN_S."""
    if len(fixes) < 2:
        return []
    xs, ys = _metres(fixes[:, 1], fixes[:, 2])
    t, x, y = fixes[:, 0].tolist(), xs.tolist(), ys.tolist()  # plain floats: ~50x faster than numpy scalars here
    r2 = STOP_RADIUS_M**2
    out, i, n = [], 0, len(t)
    while i < n - 1:
        x0, y0 = x[i], y[i]
        j = i + 1
        while j < n:
            dx, dy = x[j] - x0, y[j] - y0
            if dx * dx + dy * dy > r2:
                break
            j += 1
        if t[j - 1] - t[i] >= STOP_MIN_S:
            out.append(
                {
                    "from": _iso(t[i]),
                    "to": _iso(t[j - 1]),
                    "seconds": round(t[j - 1] - t[i], 1),
                    "lon": round(float(fixes[i:j, 1].mean()), 7),
                    "lat": round(float(fixes[i:j, 2].mean()), 7),
                    "first": i,
                    "last": j - 1,
                }
            )
            i = j
        else:
            i += 1
    return out


def _trips(fixes: np.ndarray, stops: list[dict]) -> list[dict]:
    if len(fixes) < 2:
        return []
    x, y = _metres(fixes[:, 1], fixes[:, 2])
    step = np.hypot(np.diff(x), np.diff(y))
    bounds, prev = [], 0
    for s in stops:
        if s["first"] > prev:
            bounds.append((prev, s["first"]))
        prev = s["last"]
    if prev < len(fixes) - 1:
        bounds.append((prev, len(fixes) - 1))
    return [
        {"from": _iso(fixes[a, 0]), "to": _iso(fixes[b, 0]), "metres": round(float(step[a:b].sum()), 1)}
        for a, b in bounds
        if b > a
    ]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(float(t), UTC).isoformat()


def track_tables(
    external_id: str, start: datetime, end: datetime, scope: Scope, fmt: str, enterprise: str | None = None
) -> list:
    """A track as files want it: its points with times, and the line. GPX takes the points as one track segment
    (GDAL's track_points layer); KML one folder with the line first; GeoPackage a layer of each."""
    from geo_core.gisfiles.writing import Table

    kind, fixes = track_fixes(external_id, start, end, scope, enterprise)
    if len(fixes) == 0:
        raise NotFoundError(f"no fixes of {external_id!r} between {start.isoformat()} and {end.isoformat()}")
    n = len(fixes)
    times = (fixes[:, 0] * 1000).astype("int64").astype("datetime64[ms]")
    points = shapely.to_wkb(shapely.points(fixes[:, 1:3]))
    if fmt == "gpx":
        cols = {"track_fid": np.zeros(n, np.int32), "track_seg_id": np.zeros(n, np.int32), "time": times}
        return [Table("track_points", cols, points, "Point")]
    line = shapely.to_wkb(shapely.linestrings(fixes[:, 1:3])) if n >= 2 else None
    summary = {
        "subject": np.array([external_id], dtype=object),
        "kind": np.array([kind], dtype=object),
        "fixes": np.array([n]),
        "start": times[:1],
        "end": times[-1:],
    }
    point_cols = {"subject": np.full(n, external_id, dtype=object), "time": times}
    if fmt == "kml":  # one placemark for the line, then the fixes with their times
        clock = [str(t)[11:19] for t in times + np.timedelta64(8, "h")]  # Shanghai time of day
        name = np.array([f"{external_id} {start:%Y-%m-%d %H:%M}", *clock], dtype=object)
        geoms = np.array([line if line is not None else points[0], *points], dtype=object)
        t = np.concatenate([times[:1], times])
        return [Table(f"track-{external_id}", {"name": name, "timestamp": t}, geoms, "Unknown")]
    tables = [Table("track_points", point_cols, points, "Point")]
    if line is not None:
        tables.append(Table("track", summary, np.array([line], dtype=object), "LineString"))
    return tables
