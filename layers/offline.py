"""LAY-7 offline packages: an area and zoom range of chosen layers as one PMTiles file for a tablet (Web Mercator
MVT, gzip), written with the `pmtiles` library; the tiles come from the same renderer and access scope as online."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from pathlib import Path

import morecantile
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from geo_core.scope import Scope
from layers import registry
from tiles.mvt import render
from tiles.tms import grid

MAX_TILES = 200_000


def tiles_in(bbox: tuple[float, float, float, float], minzoom: int, maxzoom: int) -> list[morecantile.Tile]:
    tms = morecantile.tms.get("WebMercatorQuad")
    return sorted(tms.tiles(*bbox, zooms=list(range(minzoom, maxzoom + 1))), key=lambda t: zxy_to_tileid(t.z, t.x, t.y))


def package(
    path: Path,
    layer_ids: list[str],
    bbox: tuple[float, float, float, float],
    minzoom: int,
    maxzoom: int,
    scope: Scope,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Write the package; returns what went in. Empty tiles are left out (a reader treats them as empty)."""
    layers = [registry.get(lid) for lid in layer_ids]
    if not 0 <= minzoom <= maxzoom <= 18:
        raise ValueError("zooms: 0 <= minzoom <= maxzoom <= 18")
    tiles = tiles_in(bbox, minzoom, maxzoom)
    if len(tiles) > MAX_TILES:
        raise ValueError(f"{len(tiles)} tiles; at most {MAX_TILES}: a smaller area or fewer zooms")
    g = grid("WebMercatorQuad")
    started, written, size = time.perf_counter(), 0, 0
    with path.open("wb") as f:
        w = Writer(f)
        for t in tiles:
            data = b"".join(
                render(layer.source, g, t.z, t.x, t.y, scope)
                for layer in layers
                if layer.minzoom <= t.z <= layer.maxzoom
            )
            if data:
                body = gzip.compress(data)
                w.write_tile(zxy_to_tileid(t.z, t.x, t.y), body)
                written += 1
                size += len(body)
            if progress:
                progress(1)
        header = {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_lon_e7": int(bbox[0] * 1e7),
            "min_lat_e7": int(bbox[1] * 1e7),
            "max_lon_e7": int(bbox[2] * 1e7),
            "max_lat_e7": int(bbox[3] * 1e7),
            "center_zoom": (minzoom + maxzoom) // 2,
            "center_lon_e7": int((bbox[0] + bbox[2]) / 2 * 1e7),
            "center_lat_e7": int((bbox[1] + bbox[3]) / 2 * 1e7),
        }
        metadata = {
            "name": "geoservice offline package",
            "vector_layers": registry.vector_layers(layers),
            "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if not written:
            raise ValueError("no data in that area at those zooms for these layers")
        w.finalize(header, metadata)
    return {
        "path": str(path),
        "tiles_considered": len(tiles),
        "tiles_written": written,
        "bytes": size,
        "seconds": round(time.perf_counter() - started, 2),
    }
