"""MVT built in PostGIS (ST_AsMVTGeom / ST_AsMVT, as Martin, tipg and pg_tileserv do). The SQL of a (source, grid)
pair is composed once; a request binds only the tile envelope, the simplification tolerance and the access scope."""

from __future__ import annotations

from geo_core.replica import reader
from geo_core.scope import Scope
from tiles.source import TileSource, quote_ident
from tiles.tms import Grid

EXTENT = 4096
BUFFER = 64
CLUSTER_CELLS = 8  # clusters: the tile cut into 8 x 8 cells (64 screen pixels on a 512-pixel tile)


_SQL: dict[tuple[str, str, bool], str] = {}


def clustered(source: TileSource, z: int) -> bool:
    return source.cluster_maxzoom is not None and z <= source.cluster_maxzoom


def tile_sql(source: TileSource, grid: Grid, z: int) -> str:
    """Composed once per (source, grid, clustered or not) and kept."""
    key = (source.id, grid.id, clustered(source, z))
    if key not in _SQL:
        _SQL[key] = _compose_clusters(source, grid) if key[2] else _compose(source, grid)
    return _SQL[key]


def _parts(source: TileSource, grid: Grid) -> tuple[str, str, str, str]:
    """(bounds CTE, the geometry in tile coordinates, the FROM ... WHERE over the source, the property columns)."""
    g = f"src.{quote_ident(source.geom_column)}"
    geom = g if grid.srid == 4490 else f"ST_Transform({g}, {grid.srid})"
    if source.simplify:
        geom = f"ST_SimplifyPreserveTopology({geom}, %(tolerance)s)"
    col = f"src.{quote_ident(source.scope_column)}" if source.scope_column else None
    scope = Scope.sql(col, g, source.shared_nulls)
    env = f"ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, {grid.srid})"
    env4490 = env if grid.srid == 4490 else f"ST_Transform({env}, 4490)"
    bounds = f"bounds AS (SELECT {env} AS env, {env4490} AS env4490)"
    mvt_geom = f"ST_AsMVTGeom({geom}, bounds.env, {EXTENT}, {BUFFER}, true)"
    # LATERAL: a source may narrow itself to the tile (`bounds.env4490`) before it aggregates
    where = f"FROM bounds, LATERAL ({source.sql}) src WHERE {g} && bounds.env4490 AND {scope}"
    props = "".join(f", src.{quote_ident(p)}" for p in source.properties)
    return bounds, mvt_geom, where, props


def _compose(source: TileSource, grid: Grid) -> str:
    bounds, mvt_geom, where, props = _parts(source, grid)
    return f"""
WITH {bounds}
SELECT ST_AsMVT(t, {_literal(source.id)}, {EXTENT}, 'geom', 'fid') FROM (
  SELECT src.{quote_ident(source.id_column)} AS fid{props}, {mvt_geom} AS geom
  {where}
  LIMIT {int(source.max_features)}
) t WHERE t.geom IS NOT NULL
"""


def _compose_clusters(source: TileSource, grid: Grid) -> str:
    """Points of a dense layer at low zooms (Supercluster's output, built in PostGIS on a grid): the tile is cut into
    cells; a cell holding one point gives that point with its properties, a cell holding more gives one feature at
    the members' mean position with `point_count` and the source's cluster sums (e.g. how many are powered).
    Cells never cross tile edges, so neighbouring tiles never show the same cluster twice."""
    bounds, mvt_geom, where, props = _parts(source, grid)
    cell = EXTENT // CLUSTER_CELLS
    names = [quote_ident(p) for p in source.properties]
    sums = "".join(f", {expr} AS {quote_ident(name)}" for name, expr in source.cluster_sums.items())
    no_sums = "".join(f", NULL::bigint AS {quote_ident(name)}" for name in source.cluster_sums)
    return f"""
WITH {bounds},
pts AS MATERIALIZED (  -- the cells' filters must not reach the scan: they ruin its row estimate
  SELECT src.{quote_ident(source.id_column)} AS fid{props}, {mvt_geom} AS geom {where}
),
cells AS (
  SELECT pts.*, floor(ST_X(geom) / {cell}) AS cx, floor(ST_Y(geom) / {cell}) AS cy,
         count(*) OVER (PARTITION BY floor(ST_X(geom) / {cell}), floor(ST_Y(geom) / {cell})) AS n
  FROM pts WHERE geom IS NOT NULL AND ST_X(geom) BETWEEN 0 AND {EXTENT - 1} AND ST_Y(geom) BETWEEN 0 AND {EXTENT - 1}
)
SELECT ST_AsMVT(t, {_literal(source.id)}, {EXTENT}, 'geom', 'fid') FROM (
  SELECT fid{"".join(", " + n for n in names)}, NULL::integer AS point_count{no_sums}, geom FROM cells WHERE n = 1
  UNION ALL
  SELECT NULL{", NULL" * len(names)}, count(*)::integer{sums},
         ST_Point(round(avg(ST_X(geom))), round(avg(ST_Y(geom))))
  FROM cells WHERE n > 1 GROUP BY cx, cy
) t
"""


def _literal(name: str) -> str:
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"layer id {name!r}: letters, digits, '-' and '_' only")
    return f"'{name}'"


def tile_params(grid: Grid, z: int, x: int, y: int, scope: Scope) -> dict:
    """What a request binds: the envelope, the simplification tolerance, the access scope."""
    xmin, ymin, xmax, ymax = grid.bounds(z, x, y)
    return {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax, "tolerance": grid.pixel(z) / 2, **scope.params()}


def render(source: TileSource, grid: Grid, z: int, x: int, y: int, scope: Scope) -> bytes:
    """The tile's MVT bytes (empty bytes for an empty tile), of the rows `scope` may see."""
    with reader().cursor() as cur:
        cur.execute(tile_sql(source, grid, z), tile_params(grid, z, x, y, scope))
        row = cur.fetchone()
    return bytes(row[0]) if row and row[0] else b""
