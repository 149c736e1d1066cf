"""The tile matrix sets: WebMercatorQuad (OGC 2DTMS, from morecantile) and CGCS2000Quad, the CGCS2000 geographic
grid of Tianditu's `c` tiles (EPSG:4490, origin -180/90, 256-pixel tiles, level 1 = 2 x 1 tiles of 180 degrees,
each level halving: level z has 2^z x 2^(z-1) tiles). The tile ids z/x/y are Tianditu's, so its clients and ours
address the same tiles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import morecantile
from morecantile import TileMatrixSet

from geo_core.errors import NotFoundError

CGCS2000_MAX_LEVEL = 20


@dataclass(frozen=True)
class Grid:
    id: str
    srid: int
    tms: TileMatrixSet
    minzoom: int
    maxzoom: int

    def bounds(self, z: int, x: int, y: int) -> tuple[float, float, float, float]:
        """The tile's envelope in the grid's CRS (metres or degrees)."""
        b = self.tms.xy_bounds(morecantile.Tile(x, y, z))
        return b.left, b.bottom, b.right, b.top

    def valid(self, z: int, x: int, y: int) -> bool:
        if not self.minzoom <= z <= self.maxzoom:
            return False
        m = self.tms.matrix(z)
        return 0 <= x < m.matrixWidth and 0 <= y < m.matrixHeight

    def pixel(self, z: int) -> float:
        """Size of one pixel of a 256-pixel tile at zoom z, in CRS units."""
        return self.tms.matrix(z).cellSize


def _cgcs2000() -> TileMatrixSet:
    matrices = []
    for z in range(1, CGCS2000_MAX_LEVEL + 1):
        cell = 180.0 / 256 / 2 ** (z - 1)  # degrees per pixel
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": cell * (6378137.0 * 2 * 3.141592653589793 / 360) / 0.00028,
                "cellSize": cell,
                "pointOfOrigin": [90.0, -180.0],  # EPSG:4490 axis order is latitude, longitude
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 2**z,
                "matrixHeight": 2 ** (z - 1),
            }
        )
    return TileMatrixSet.model_validate(
        {
            "id": "CGCS2000Quad",
            "title": "CGCS2000 geographic quad (Tianditu c)",
            "crs": "http://www.opengis.net/def/crs/EPSG/0/4490",
            "orderedAxes": ["Lat", "Lon"],
            "tileMatrices": matrices,
        }
    )


@cache
def grids() -> dict[str, Grid]:
    return {
        "WebMercatorQuad": Grid("WebMercatorQuad", 3857, morecantile.tms.get("WebMercatorQuad"), 0, 22),
        "CGCS2000Quad": Grid("CGCS2000Quad", 4490, _cgcs2000(), 1, CGCS2000_MAX_LEVEL),
    }


def grid(tms_id: str) -> Grid:
    try:
        return grids()[tms_id]
    except KeyError:
        raise NotFoundError(f"unknown tile matrix set {tms_id!r}; known: {', '.join(grids())}") from None
