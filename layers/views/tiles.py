"""Vector tiles (XYZ and the OGC path, one loop in layers.tiling shared with the ASGI fast path), TileJSON
3.0 and the tile cache's statistics."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from geo_core import replica
from geo_core.access import authenticate
from geo_core.apiview import get_only
from geo_core.errors import NotFoundError
from layers import features, registry, tiling
from layers.views.common import base_url, json, scope_for
from tiles.cache import CACHE
from tiles.mvt import render
from tiles.tms import Grid, grid


def _tile(request: HttpRequest, layer_ids: str, g: Grid, z: int, x: int, y: int) -> HttpResponse:
    layers = [registry.get(lid) for lid in layer_ids.split(",")]
    if not g.valid(z, x, y):
        raise NotFoundError(f"tile {z}/{x}/{y} is outside {g.id}")
    scope = scope_for(request, layers)
    plan = tiling.TilePlan(layers, g, z, x, y, scope)
    read = replica.current()
    for layer in plan.missing():
        plan.fill(layer, render(layer.source, g, z, x, y, scope), read)
    status, headers, data = plan.answer(request.headers.get("If-None-Match", ""), "")
    return HttpResponse(data, status=status, headers=headers)


@get_only
def xyz_tile(request: HttpRequest, layers: str, z: int, x: int, y: int) -> HttpResponse:
    """/tiles/{layers}/{z}/{x}/{y}.pbf?tms=WebMercatorQuad|CGCS2000Quad; several layers comma-separated."""
    return _tile(request, layers, grid(request.GET.get("tms", "WebMercatorQuad")), z, x, y)


@get_only
def ogc_tile(request: HttpRequest, collection: str, tms: str, z: int, y: int, x: int) -> HttpResponse:
    """/ogc/collections/{id}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"""
    return _tile(request, collection, grid(tms), z, x, y)


@get_only
def tilejson(request: HttpRequest, layers: str) -> HttpResponse:
    """TileJSON 3.0.0 for one or several layers, with absolute tile URLs."""
    ls = [registry.get(lid) for lid in layers.split(",")]
    scope = scope_for(request, ls)
    tms = request.GET.get("tms", "WebMercatorQuad")
    g = grid(tms)
    query = "" if tms == "WebMercatorQuad" else f"?tms={tms}"
    boxes = [features.extent(layer, scope)["spatial"]["bbox"][0] for layer in ls]  # what the caller may see
    bounds = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]
    body = {
        "tilejson": "3.0.0",
        "name": ",".join(layer.id for layer in ls),
        "description": " / ".join(layer.title for layer in ls),
        "tiles": [f"{base_url(request)}/tiles/{layers}/{{z}}/{{x}}/{{y}}.pbf{query}"],
        "minzoom": max(g.minzoom, min(layer.minzoom for layer in ls)),
        "maxzoom": min(g.maxzoom, max(layer.maxzoom for layer in ls)),
        "bounds": bounds,
        "center": [121.45, 30.78, 12],
        "scheme": "xyz",
        "vector_layers": registry.vector_layers(ls),
    }
    if tms != "WebMercatorQuad":
        body["crs"] = "EPSG:4490"
        body["tile_matrix_set"] = tms
    return json(body)


@get_only
def tile_stats(request: HttpRequest) -> HttpResponse:
    authenticate(request)
    return json(CACHE.stats.as_dict(CACHE))
