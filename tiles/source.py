"""What a tile source is (Martin's `Source`, pygeoapi's provider): a SELECT with an id, a CGCS2000 geometry and
properties, and what may filter it. Built by the layer registry; tiles/ never knows which tables are behind it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TileSource:
    id: str
    sql: str  # a SELECT whose columns include `id_column`, `geom_column` (SRID 4490) and every property
    properties: tuple[str, ...]
    geom_column: str = "geom"
    id_column: str = "id"
    scope_column: str | None = None  # enterprise id column for access filtering (geo_core.scope); None: no owner
    shared_nulls: bool = False  # rows of no enterprise are the park's, shared with every user (fences)
    minzoom: int = 0
    maxzoom: int = 22
    max_features: int = 20_000  # per tile
    simplify: bool = False  # polygons/lines: simplify to the pixel size below the layer's detail zoom
    tables: tuple[str, ...] = ()  # the tables the source reads, for cache invalidation
    live_ttl_s: float | None = None  # live layers: cached this long instead of until a change
    cluster_maxzoom: int | None = None  # points: clustered at this zoom and below (tiles.mvt._compose_clusters)
    cluster_sums: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # name -> aggregate SQL
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def quote_ident(name: str) -> str:
    """One identifier, quoted (tipg's _quote_ident); only names we declare reach SQL, never user input."""
    return '"' + name.replace('"', '""') + '"'
