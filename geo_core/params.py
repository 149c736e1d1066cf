"""Request parameters every API parses the same way: instants and bounding boxes, with errors that name the field."""

from __future__ import annotations

from datetime import datetime

from dateutil.parser import isoparse

from geo_core.errors import BadRequestError


def instant(value: str, name: str) -> datetime:
    """An ISO 8601 / RFC 3339 time with a UTC offset (a time without one is ambiguous across time zones)."""
    try:
        t = isoparse(value)
    except ValueError:
        raise BadRequestError(f"{name}: {value!r} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        raise BadRequestError(f"{name}: {value!r} needs a UTC offset (e.g. +08:00 or Z)")
    return t


def bbox(value: str, name: str = "bbox", strict: bool = False) -> tuple[float, float, float, float]:
    """minx,miny,maxx,maxy (a 6-number 3D box keeps its 2D part); `strict` refuses a box of no area."""
    try:
        v = [float(x) for x in value.split(",")]
    except ValueError:
        raise BadRequestError(f"{name}: {value!r} is not minx,miny,maxx,maxy") from None
    if len(v) == 6:
        v = [v[0], v[1], v[3], v[4]]
    if len(v) != 4:
        raise BadRequestError(f"{name}: {value!r} is not minx,miny,maxx,maxy")
    if (v[0] >= v[2] or v[1] >= v[3]) if strict else (v[0] > v[2] or v[1] > v[3]):
        raise BadRequestError(f"{name}: min must be below max")
    return v[0], v[1], v[2], v[3]
