"""Request parameters every API parses the same way (numbers, integers, texts, instants, bounding boxes), with errors
that name the field: finite numbers within a range, integers within a range, no NUL characters, bounded lengths."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime

from dateutil.parser import isoparse
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon

from geo_core.errors import BadRequestError
from geo_core.validation import MAX_FENCE_VERTICES, as_multipolygon

INT = re.compile(r"[+-]?[0-9]{1,18}")
MAX_TEXT = 2000


def text(value: str, name: str, max_length: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise BadRequestError(f"{name}: must be a text, not {type(value).__name__}")
    if "\x00" in value:
        raise BadRequestError(f"{name}: contains a NUL character")
    if len(value) > max_length:
        raise BadRequestError(f"{name}: {len(value)} characters, at most {max_length}")
    return value


def integer(value: str | int, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (ASCII digits only: '²' is a digit to Python, not to us)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRequestError(f"{name}: must be an integer")
    if isinstance(value, str) and not INT.fullmatch(value.strip()):
        raise BadRequestError(f"{name}: {value[:40]!r} is not an integer")
    v = int(value)
    if not lo <= v <= hi:
        raise BadRequestError(f"{name}: {v} is outside [{lo}, {hi}]")
    return v


def number(value: str | float, name: str, lo: float, hi: float) -> float:
    """A finite number in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadRequestError(f"{name}: must be a number")
    try:
        v = float(text(value, name, 64) if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        raise BadRequestError(f"{name}: {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(v):
        raise BadRequestError(f"{name}: must be a finite number")
    if not lo <= v <= hi:
        raise BadRequestError(f"{name}: {v} is outside [{lo}, {hi}]")
    return v


def query_number(request, name: str, default: float | None, lo: float, hi: float) -> float | None:
    """An optional query parameter as a number (None/default when absent)."""
    raw = request.GET.get(name)
    return default if raw is None else number(raw, name, lo, hi)


def query_integer(request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.GET.get(name)
    return default if raw is None else integer(raw, name, lo, hi)


def instant(value: str, name: str) -> datetime:
    """An ISO 8601 / RFC 3339 time with a UTC offset (a time without one is ambiguous across time zones)."""
    text(value, name, 64)
    try:
        t = isoparse(value)
    except (ValueError, OverflowError):
        raise BadRequestError(f"{name}: {value!r} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        raise BadRequestError(f"{name}: {value!r} needs a UTC offset (e.g. +08:00 or Z)")
    return t


DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day(value: str, name: str) -> date:
    """A calendar day, YYYY-MM-DD (a day of the park's calendar, Asia/Shanghai, wherever the caller is)."""
    text(value, name, 64)
    if not DAY.fullmatch(value):
        raise BadRequestError(f"{name}: {value[:40]!r} is not a day (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequestError(f"{name}: {value!r} is not a day of the calendar") from None


def bbox(value: str, name: str = "bbox", strict: bool = False) -> tuple[float, float, float, float]:
    """minx,miny,maxx,maxy (a 6-number 3D box keeps its 2D part); `strict` refuses a box of no area."""
    text(value, name, 200)
    try:
        v = [float(x) for x in value.split(",")]
    except ValueError:
        raise BadRequestError(f"{name}: {value!r} is not minx,miny,maxx,maxy") from None
    if not all(math.isfinite(x) for x in v):
        raise BadRequestError(f"{name}: numbers must be finite")
    if len(v) == 6:
        v = [v[0], v[1], v[3], v[4]]
    if len(v) != 4:
        raise BadRequestError(f"{name}: {value!r} is not minx,miny,maxx,maxy")
    if (v[0] >= v[2] or v[1] >= v[3]) if strict else (v[0] > v[2] or v[1] > v[3]):
        raise BadRequestError(f"{name}: min must be below max")
    return v[0], v[1], v[2], v[3]


# JSON body members: the type each must have ("text", "bool", "int", "number", "object", "texts", "ints", "objects"; a
# trailing "?"
# allows null). One checker for every JSON body an API takes, so a wrong type is a 400 that names the member.
def _is_text(v: object) -> bool:
    return isinstance(v, str) and "\x00" not in v and len(v) <= MAX_TEXT


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and -(2**62) <= v <= 2**62


_KINDS = {
    "text": (_is_text, "a text"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (_is_int, "an integer"),
    "number": (lambda v: _is_int(v) or (isinstance(v, float) and math.isfinite(v)), "a number"),
    "object": (lambda v: isinstance(v, dict), "an object"),
    "texts": (lambda v: isinstance(v, list) and all(_is_text(x) for x in v), "a list of texts"),
    "ints": (lambda v: isinstance(v, list) and all(_is_int(x) for x in v), "a list of integers"),
    "objects": (lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v), "a list of objects"),
}


def known_codes(value: str, name: str, known) -> list[str]:
    """A comma-separated list of codes, each one of `known` (an unknown one refused with the known ones)."""
    codes = [c for c in text(value, name, 1000).split(",") if c]
    bad = sorted(set(codes) - set(known))
    if bad:
        raise BadRequestError(f"{name}: unknown {[b[:40] for b in bad[:3]]}; known: {', '.join(known)}")
    return codes


def members(body: dict, types: dict[str, str]) -> dict:
    """The body's members checked against `types` (unknown members refused); returns the body."""
    unknown = sorted(set(body) - set(types))
    if unknown:
        raise BadRequestError(f"{unknown[0][:60]}: not a member of this body; known: {', '.join(sorted(types))}")
    for name, value in body.items():
        kind = types[name]
        if value is None and kind.endswith("?"):
            continue
        ok, what = _KINDS[kind.rstrip("?")]
        if not ok(value):
            raise BadRequestError(f"{name}: must be {what}" + (" or null" if kind.endswith("?") else ""))
    return body


def polygon(value: object, name: str) -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon of a JSON body (a fence, a map selection), in CGCS2000 lon/lat, with at most
    MAX_FENCE_VERTICES vertices: as a MultiPolygon."""
    if not isinstance(value, dict):
        raise BadRequestError(f"{name}: must be a GeoJSON Polygon or MultiPolygon object")
    if json.dumps(value.get("coordinates", [])).count(",") > 2 * MAX_FENCE_VERTICES:
        raise BadRequestError(f"{name}: at most {MAX_FENCE_VERTICES} vertices")
    try:
        geom = GEOSGeometry(json.dumps(value))  # GeoJSON says 4326; these are CGCS2000 degrees (set below)
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise BadRequestError(f"{name}: not a GeoJSON geometry ({exc})") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise BadRequestError(f"{name}: a Polygon or MultiPolygon, not a {geom.geom_type}")
    geom.srid = 4490
    return as_multipolygon(geom)
