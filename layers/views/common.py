"""What every layer view shares: the JSON answer, who may see which layers, absolute links and the query
numbers with their ranges. Errors are not answered here: views raise, geo_core.boundary answers."""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse

from geo_core.access import authenticate
from geo_core.errors import BadRequestError
from geo_core.params import query_integer, query_number
from geo_core.scope import EVERYTHING, Scope
from layers.registry import Layer

MVT = "application/vnd.mapbox-vector-tile"
GEOJSON = "application/geo+json"


def json(body, status: int = 200, content_type: str = "application/json", headers=None) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY, default=float),
        status=status,
        content_type=content_type,
        headers=headers,
    )


def scope_for(request: HttpRequest, layers: list[Layer]) -> Scope:
    """What the caller may see; public layers need no sign-in."""
    if all(layer.public for layer in layers):
        return EVERYTHING
    return authenticate(request).scope


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def link(href: str, rel: str, type_: str, title: str = "") -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


# Every number a query API takes, with the range it must lie in (geo_core.params refuses NaN, infinities, NUL).
RANGES = {
    "lon": (-180.0, 180.0),
    "lat": (-90.0, 90.0),
    "radius": (0.0, 100_000.0),
    "k": (1, 1000),
    "limit": (1, 1000),
    "tolerance": (0.0, 1000.0),
    "bandwidth": (10.0, 500.0),  # metres: the kernel's cost grows about cubically with it
    "days": (1, 365),
    "resolution": (0.00001, 0.1),  # degrees per pixel of a density GeoTIFF
}


def number(request: HttpRequest, name: str, default: float | None = None) -> float | None:
    """A query number named in RANGES, checked against its range; lon and lat are required when not defaulted."""
    if request.GET.get(name) is None and default is None and name in ("lon", "lat"):
        raise BadRequestError(f"{name}: required")
    lo, hi = RANGES[name]
    if isinstance(lo, int):
        return query_integer(request, name, None if default is None else int(default), lo, hi)
    return query_number(request, name, default, lo, hi)
