"""The CRS registry: stable names for the coordinate systems our users live in.

| name | what | axis order of (x, y) |
|---|---|---|
| `cgcs2000` | EPSG:4490, canonical storage | lon, lat |
| `wgs84` | EPSG:4326 | lon, lat |
| `webmercator` | EPSG:3857 | east, north (m) |
| `gcj02` | GCJ-02 (AMap, Tencent, WeChat) | lon, lat |
| `bd09` | BD-09 (Baidu) | lon, lat |
| `sh2000`, `sh2000:<definition>` | Shanghai 2000 plane | **north, east** (m), as surveyors write x and y |
| `EPSG:NNNN` | anything PROJ knows, e.g. the CGCS2000 3-degree GK zones EPSG:4513-4554 | lon/lat or east/north |

Names are case-insensitive. Geographic systems always take and give longitude first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import pyproj
from pyproj.exceptions import CRSError

from coord_transform import sh2000
from coord_transform.errors import TransformError

Kind = Literal["geographic", "projected", "gcj02", "bd09", "sh2000"]
NAMED = {"cgcs2000": "EPSG:4490", "wgs84": "EPSG:4326", "webmercator": "EPSG:3857"}
# Plausible extent of the Shanghai 2000 plane around its origin (metres): the city spans about +-80 km.
SH2000_EXTENT_M = 200_000.0


@dataclass(frozen=True)
class CRS:
    name: str
    kind: Kind
    proj: str | None  # what pyproj gets; None for gcj02/bd09 (defined on WGS84 by formula)
    geographic: bool  # x/y are lon/lat degrees
    definition: str | None = None  # Shanghai 2000 definition name

    @property
    def label(self) -> str:
        return self.name if self.definition is None else f"sh2000:{self.definition}"


def known_names() -> list[str]:
    return [*NAMED, "gcj02", "bd09", "sh2000", *(f"sh2000:{n}" for n in sh2000.names()), "EPSG:<code>"]


@cache
def _epsg(code: int) -> CRS:
    try:
        crs = pyproj.CRS.from_epsg(code)
    except CRSError:
        raise TransformError(f"unknown EPSG code {code}") from None
    return CRS(f"EPSG:{code}", "geographic" if crs.is_geographic else "projected", f"EPSG:{code}", crs.is_geographic)


def resolve(name: str | CRS) -> CRS:
    """Look a CRS up by name; unknown names raise TransformError listing the known ones."""
    if isinstance(name, CRS):
        return name
    key = str(name).strip().lower()
    if key in NAMED:
        return CRS(key, "geographic" if key != "webmercator" else "projected", NAMED[key], key != "webmercator")
    if key in ("gcj02", "bd09"):
        return CRS(key, key, None, True)  # type: ignore[arg-type]
    if key == "sh2000" or key.startswith("sh2000:"):
        definition = sh2000.definition(key.partition(":")[2] or None)
        return CRS("sh2000", "sh2000", definition.proj, False, definition.name)
    if key.startswith("epsg:"):
        code = key[5:]
        if not (code.isascii() and code.isdigit() and len(code) <= 6):
            raise TransformError(f"unknown CRS {name!r}: EPSG codes are numbers, e.g. EPSG:4549")
        return _epsg(int(code))
    raise TransformError(f"unknown CRS {name!r}; known: {', '.join(known_names())}")


def cgcs2000_gk3_zone(lon: float, prefixed: bool = False) -> str:
    """The CGCS2000 3-degree Gauss-Krueger zone for a longitude: EPSG:4534-4554 (CM 75-135 E, no zone prefix in
    the easting), or EPSG:4513-4533 with the prefix. For metric work in a district."""
    cm = round(lon / 3.0) * 3
    if not 75 <= cm <= 135:
        raise TransformError(f"longitude {lon} is outside the CGCS2000 3-degree zones (73.5-136.5 E)")
    index = (cm - 75) // 3
    return f"EPSG:{(4513 if prefixed else 4534) + index}"
