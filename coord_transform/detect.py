"""Which coordinate system a file's numbers are in, when the file does not say (no .prj, a DXF, a CSV).

Value ranges narrow it down to a few candidates; the caller decides among them by where each one puts the data
(`fits`: the share of sample points a candidate lands inside the regions the service knows). The candidates:

| numbers look like | candidates |
|---|---|
| lon 73-136, lat 3-54 | CGCS2000 degrees (WGS84 is the same within centimetres; GCJ-02 only when the user names it) |
| lat first, lon second | the same, axes swapped |
| eastings with a zone prefix (6-degree 13-23, 3-degree 25-45) | that CGCS2000 Gauss-Krueger zone |
| eastings 100-900 km, northings 300-6,000 km | 3-degree zones without prefix, both axis orders |
| both within 200 km of an origin | the Shanghai 2000 plane, both axis orders |

Shanghai 2000 is north-east (x north) in our registry as surveyors write it; a CAD drawing puts east on X. When both
orders land inside known regions (a plane near its origin can), the format's habit decides: drawings and GIS formats
are east-first, and the choice is reported so a user can say otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyproj
from numpy.typing import ArrayLike

from coord_transform import sh2000
from coord_transform.crs import CRS, SH2000_EXTENT_M

MIN_FIT = 0.9  # share of the sample a candidate must land inside known regions
# A candidate is the file's when most of its rows read as it. The file is judged as a whole: a few rows with a typo
# (lon 521.43) are outliers to refuse, never a reason to read every good row as something else (issue 24).
MAJORITY = 0.5

Bounds = tuple[tuple[float, float], tuple[float, float]]  # (x range, y range), in the file's own axis order


@dataclass(frozen=True)
class Candidate:
    crs: str | CRS  # a name of coord_transform.crs (cgcs2000, sh2000, EPSG:4549 ...) or a file's own definition
    swap: bool  # the file's (x, y) must be swapped before `crs` reads them
    reason: str
    bounds: Bounds | None = None  # the numbers this candidate reads (None: any)

    def holds(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Which of the points (as read) lie in the candidate's range."""
        xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if self.bounds is None:
            return np.isfinite(xs) & np.isfinite(ys)
        (x0, x1), (y0, y1) = self.bounds
        return (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)

    @property
    def label(self) -> str:
        name = self.crs if isinstance(self.crs, str) else self.crs.name
        return f"{name} ({'axes swapped' if self.swap else 'axes as read'})"


def _rows_holding(mask: np.ndarray, rows: np.ndarray) -> float:
    """The share of rows all of whose points the mask holds."""
    every = np.unique(rows)
    return 1.0 - len(np.unique(rows[~mask])) / len(every)


def _gk(zone_count: int, prefix: int) -> str:
    """EPSG code of a CGCS2000 Gauss-Krueger zone given its prefix number (3-degree: 25-45; 6-degree: 13-23)."""
    if zone_count == 3:
        return f"EPSG:{4513 + prefix - 25}"
    return f"EPSG:{4491 + prefix - 13}"


def candidates(x: ArrayLike, y: ArrayLike, east_first: bool = True, rows: ArrayLike | None = None) -> list[Candidate]:
    """Plausible systems for numbers read as (x, y), most likely first: those that most rows (MAJORITY) read as.
    `rows`: the row each point belongs to (each point its own row when not given). `east_first`: the file's habit
    (GIS and CAD formats put east on x; surveyors' tables put north on x)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    finite = np.isfinite(xs) & np.isfinite(ys)
    owner = np.arange(len(xs)) if rows is None else np.asarray(rows)
    xs, ys, owner = xs[finite], ys[finite], owner[finite]
    if xs.size == 0:
        return []

    def most(c: Candidate) -> bool:
        return _rows_holding(c.holds(xs, ys), owner) >= MAJORITY

    out: list[Candidate] = []
    lon, lat = (73.0, 136.0), (3.0, 54.0)
    for c in (
        Candidate("cgcs2000", False, "longitude and latitude in degrees within China", (lon, lat)),
        Candidate("cgcs2000", True, "latitude first, then longitude, in degrees", (lat, lon)),
    ):
        if most(c):
            out.append(c)
    if out:
        return out
    for swap, east in ((False, xs), (True, ys)):
        prefixes, counts = np.unique(np.floor(east / 1_000_000), return_counts=True)
        p = int(prefixes[np.argmax(counts)])
        order = "northing first" if swap else "easting first"
        span = (p * 1_000_000.0, (p + 1) * 1_000_000.0 - 1e-6)
        bounds = ((300_000.0, 6_000_000.0), span) if swap else (span, (300_000.0, 6_000_000.0))
        if 25 <= p <= 45:
            c = Candidate(
                _gk(3, p), swap, f"Gauss-Krueger 3-degree zone {p} (zone prefix in the easting, {order})", bounds
            )
        elif 13 <= p <= 23:
            c = Candidate(
                _gk(6, p), swap, f"Gauss-Krueger 6-degree zone {p} (zone prefix in the easting, {order})", bounds
            )
        else:
            continue
        if most(c):
            out.append(c)
    if out:
        return out
    sh_orders = [(False, "north, east as surveyors write"), (True, "east, north as drawn")]
    if east_first:
        sh_orders.reverse()
    plane = ((-SH2000_EXTENT_M, SH2000_EXTENT_M), (-SH2000_EXTENT_M, SH2000_EXTENT_M))
    for swap, how in sh_orders:
        c = Candidate(
            "sh2000", swap, f"metres within {SH2000_EXTENT_M / 1000:.0f} km of the Shanghai 2000 origin ({how})", plane
        )
        if most(c):
            out.append(c)
    gk_orders = [False, True] if east_first else [True, False]
    for swap in gk_orders:
        east_range, north_range = (100_000.0, 900_000.0), (300_000.0, 6_000_000.0)
        bounds = (north_range, east_range) if swap else (east_range, north_range)
        order = "northing first" if swap else "easting first"
        for cm in range(75, 136, 3):
            c = Candidate(
                f"EPSG:{4534 + (cm - 75) // 3}",
                swap,
                f"Gauss-Krueger 3-degree zone at {cm} E without prefix ({order})",
                bounds,
            )
            if cm == 75 and not most(c):
                break
            out.append(c)
    return out


def choose(
    x: ArrayLike,
    y: ArrayLike,
    fits: Callable[[Candidate], float],
    east_first: bool = True,
    rows: ArrayLike | None = None,
) -> tuple[Candidate | None, list[tuple[Candidate, float]]]:
    """The first candidate that puts at least MIN_FIT of the sample it reads inside known regions, and every
    candidate tried with its share (for the report). None when none fits. Points outside the chosen candidate's
    range are the caller's to refuse (`Candidate.holds`)."""
    tried: list[tuple[Candidate, float]] = []
    for c in candidates(x, y, east_first, rows):
        share = fits(c)
        tried.append((c, share))
        if share >= MIN_FIT:
            return c, tried
    return None, tried


@cache
def declared(wkt: str) -> Candidate:
    """The system a file declares (.prj, GeoPackage srs, KML's WGS84) as something coord_transform reads. Files store
    east (or longitude) first; Shanghai 2000 is recognised by its definition and read north-first as the registry
    wants, so its calibration applies."""
    crs = pyproj.CRS.from_user_input(wkt)
    for name in sh2000.names():
        if crs.equals(pyproj.CRS.from_proj4(sh2000.definition(name).proj), ignore_axis_order=True):
            return Candidate(f"sh2000:{name}", True, f"declared by the file: Shanghai 2000 ({name})")
    code = crs.to_epsg(min_confidence=90)
    if code is not None:
        name = {4490: "cgcs2000", 4326: "wgs84"}.get(code, f"EPSG:{code}")
        return Candidate(name, False, f"declared by the file: EPSG:{code} ({crs.name})")
    kind = "geographic" if crs.is_geographic else "projected"
    own = CRS(crs.name or "file CRS", kind, crs.to_wkt(), crs.is_geographic)
    return Candidate(own, False, f"declared by the file: {crs.name} (no EPSG code; converted by its definition)")
