"""A fixed camera's field of view as a geometry: the sector it sees from its position, along its heading (degrees
clockwise from north), over its horizontal angle, out to its range, drawn on the ellipsoid (pyproj's Geod, CGCS2000
is GRS80 for this purpose) so a sector of 200 m is 200 m wherever it lies. Bounds checked by geo_core.params."""

from __future__ import annotations

import math

import numpy as np
from pyproj import Geod
from shapely.geometry import Polygon

from geo_core.params import number

GEOD = Geod(ellps="GRS80")
MAX_RANGE_M = 5_000.0  # beyond this no park camera resolves a person
ARC_STEP_DEG = 2.0  # an arc vertex every 2 degrees: under 4 cm off the true arc at 200 m


def check(heading: float, angle: float, range_m: float) -> None:
    """A ValueError (geo_core.params': "field: reason") naming the field that is out of bounds."""
    number(heading, "heading", 0.0, 360.0)
    number(angle, "angle", 1.0, 360.0)
    number(range_m, "range_m", 1.0, MAX_RANGE_M)


def problems(fixed: bool, placed: bool, heading, angle, range_m) -> dict[str, str]:
    """What is wrong with a camera's placing, by field (none: fine): a fixed camera (or PTZ) needs its position,
    and its aim is heading, angle and range given together, within bounds, from a position. One rule for the
    model, the GIS importer and the report API's feed."""
    errors: dict[str, str] = {}
    aims = (heading, angle, range_m)
    if any(v is not None for v in aims):
        if not placed:
            errors["location"] = "a camera with a field of view needs its position"
        elif any(v is None for v in aims):
            missing = [n for n, v in zip(("heading", "angle", "range_m"), aims, strict=True) if v is None]
            errors[missing[0]] = "heading, angle and range_m are given together"
        else:
            try:
                check(heading, angle, range_m)
            except ValueError as exc:
                field, _, reason = str(exc).partition(": ")
                errors[field] = reason
    if fixed and not placed:
        errors["location"] = "a fixed camera needs its position"
    return errors


def sector(lon: float, lat: float, heading: float, angle: float, range_m: float) -> Polygon:
    """The field of view: a sector (a disc when the angle is 360) in lon/lat."""
    check(heading, angle, range_m)
    steps = max(2, math.ceil(angle / ARC_STEP_DEG) + 1)
    azimuths = np.linspace(heading - angle / 2, heading + angle / 2, steps)
    lons, lats, _ = GEOD.fwd(np.full(steps, lon), np.full(steps, lat), azimuths, np.full(steps, range_m))
    arc = list(zip(lons.tolist(), lats.tolist(), strict=True))
    ring = arc if angle >= 360 else [(lon, lat), *arc]
    return Polygon(ring)
