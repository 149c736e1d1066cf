"""Shanghai 2000 (上海2000坐标系): named definitions.

The official parameters are only partly public, and public implementations disagree by 20-260 m (see
shared/reference/shanghai2000.md). Each definition here is a Gauss-Krueger projection on the CGCS2000 ellipsoid
with a local origin; the coordinates are written x = north, y = east, as Shanghai surveyors write them. A park that
has control points fits a calibration (coord_transform.calibration) on top of the definition it uses.

- `announced` (default): the parameters of the announcement quoted publicly: central meridian 121°27'52" E,
  projection surface 16.32 m above the ellipsoid (scale 1 + 16.32/a), origin (0, 0) at 121°28'01" E, 31°14'07" N;
  no false easting, no rotation.
- `duckdb-cn-shift`: the definition in tshelianthus/duckdb-cn-shift (ellipsoid enlarged to a = 6378153.3398, its
  own offsets); about 20 m from `announced` in central Shanghai.

GEO_SH2000_DEFINITION selects the default for the name `sh2000`; `sh2000:<definition>` names one explicitly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from pyproj import Transformer

from coord_transform.errors import TransformError

A_CGCS2000 = 6378137.0
ENV_DEFAULT = "GEO_SH2000_DEFINITION"


def _dms(d: int, m: int, s: float) -> float:
    return d + m / 60.0 + s / 3600.0


CENTRAL_MERIDIAN = _dms(121, 27, 52)
ORIGIN_LON, ORIGIN_LAT = _dms(121, 28, 1), _dms(31, 14, 7)
SURFACE_HEIGHT_M = 16.32


@dataclass(frozen=True)
class Sh2000Definition:
    name: str
    proj: str  # PROJ string; easting, northing in metres
    description: str


@cache
def _announced() -> Sh2000Definition:
    k = 1.0 + SURFACE_HEIGHT_M / A_CGCS2000
    base = f"+proj=tmerc +lat_0=0 +lon_0={CENTRAL_MERIDIAN!r} +k={k!r} +ellps=GRS80 +units=m +no_defs"
    east0, north0 = Transformer.from_crs("EPSG:4490", base, always_xy=True).transform(ORIGIN_LON, ORIGIN_LAT)
    return Sh2000Definition(
        name="announced",
        proj=f"{base} +x_0={-east0!r} +y_0={-north0!r}",
        description="GK on CGCS2000, CM 121°27'52\", surface 16.32 m, origin 121°28'01\" E 31°14'07\" N (announced)",
    )


_DUCKDB = Sh2000Definition(
    name="duckdb-cn-shift",
    proj=(
        "+proj=tmerc +lat_0=0 +lon_0=121.464444444444 +k=1 +x_0=-257.85859273 +y_0=-3457087.73141366 "
        "+a=6378153.3398 +rf=298.257222101 +units=m +no_defs"
    ),
    description="tshelianthus/duckdb-cn-shift: a = 6378137 + 16.34, offsets X0 = 3457087.73141366, Y0 = 257.85859273",
)


def names() -> list[str]:
    return ["announced", _DUCKDB.name]


def default_name() -> str:
    name = os.environ.get(ENV_DEFAULT) or "announced"
    if name not in names():
        raise TransformError(f"{ENV_DEFAULT}={name!r} is not a Shanghai 2000 definition; known: {names()}")
    return name


def definition(name: str | None = None) -> Sh2000Definition:
    name = name or default_name()
    if name == "announced":
        return _announced()
    if name == _DUCKDB.name:
        return _DUCKDB
    raise TransformError(f"unknown Shanghai 2000 definition {name!r}; known: {names()}")
