"""MVT built in PostGIS (ST_AsMVTGeom / ST_AsMVT, as Martin, tipg and pg_tileserv do). The SQL of a (source, grid)
pair is composed once; a request binds only the tile envelope, the simplification tolerance and the access scope."""

from __future__ import annotations

from django.db import connection

from tiles.source import TileSource, quote_ident
from tiles.tms import Grid

EXTENT = 4096
BUFFER = 64


_SQL: dict[tuple[str, str], str] = {}


def tile_sql(source: TileSource, grid: Grid) -> str:
    """Composed once per (source, grid) and kept."""
    key = (source.id, grid.id)
    if key not in _SQL:
        _SQL[key] = _compose(source, grid)
    return _SQL[key]


def _compose(source: TileSource, grid: Grid) -> str:
    g = f"src.{quote_ident(source.geom_column)}"
    geom = g if grid.srid == 4490 else f"ST_Transform({g}, {grid.srid})"
    if source.simplify:
        geom = f"ST_SimplifyPreserveTopology({geom}, %(tolerance)s)"
    props = ", ".join(f"src.{quote_ident(p)}" for p in source.properties)
    scope = "TRUE"
    if source.scope_column:
        col = f"src.{quote_ident(source.scope_column)}"
        nulls = f" OR {col} IS NULL" if source.shared_nulls else ""
        scope = f"(%(all)s OR {col} = ANY(%(scope)s){nulls})"
    env = f"ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, {grid.srid})"
    env4490 = env if grid.srid == 4490 else f"ST_Transform({env}, 4490)"
    return f"""
WITH bounds AS (SELECT {env} AS env, {env4490} AS env4490)
SELECT ST_AsMVT(t, {_literal(source.id)}, {EXTENT}, 'geom', 'fid') FROM (
  SELECT src.{quote_ident(source.id_column)} AS fid{", " + props if props else ""},
         ST_AsMVTGeom({geom}, bounds.env, {EXTENT}, {BUFFER}, true) AS geom
  FROM ({source.sql}) src, bounds
  WHERE {g} && bounds.env4490 AND {scope}
  LIMIT {int(source.max_features)}
) t WHERE t.geom IS NOT NULL
"""


def _literal(name: str) -> str:
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"layer id {name!r}: letters, digits, '-' and '_' only")
    return f"'{name}'"


def tile_params(grid: Grid, z: int, x: int, y: int, scope: frozenset[int] | None) -> dict:
    """What a request binds: the envelope, the simplification tolerance, the access scope."""
    xmin, ymin, xmax, ymax = grid.bounds(z, x, y)
    return {
        "xmin": xmin,
        "ymin": ymin,
        "xmax": xmax,
        "ymax": ymax,
        "tolerance": grid.pixel(z) / 2,
        "all": scope is None,
        "scope": sorted(scope or ()),
    }


def render(source: TileSource, grid: Grid, z: int, x: int, y: int, scope: frozenset[int] | None) -> bytes:
    """The tile's MVT bytes (empty bytes for an empty tile). `scope` None = every row; otherwise enterprise ids."""
    with connection.cursor() as cur:
        cur.execute(tile_sql(source, grid), tile_params(grid, z, x, y, scope))
        row = cur.fetchone()
    return bytes(row[0]) if row and row[0] else b""
