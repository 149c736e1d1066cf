"""Heat maps: PNG tiles for the map, a Cloud-Optimized GeoTIFF to take away."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from geo_core.access import authenticate
from geo_core.apiview import get_only
from geo_core.errors import BadRequestError, NotFoundError
from geo_core.params import bbox as parse_bbox
from layers.views.common import number
from tiles.cache import etag
from tiles.tms import grid


@get_only
def heat_tile(request: HttpRequest, source: str, z: int, x: int, y: int) -> HttpResponse:
    """/tiles/heat/{welding|alarms}/{z}/{x}/{y}.png (Web Mercator), ?bandwidth=metres&days=N (alarms)."""
    from layers.heat import png_tile

    scope = authenticate(request).scope
    g = grid("WebMercatorQuad")
    if not g.valid(z, x, y):
        raise NotFoundError(f"tile {z}/{x}/{y} is outside WebMercatorQuad")
    data = png_tile(
        source, g.bounds(z, x, y), scope, number(request, "bandwidth", 150.0), int(number(request, "days", 7))
    )
    tag = etag(data)
    headers = {"ETag": tag, "Cache-Control": "private, max-age=10"}
    if request.headers.get("If-None-Match") == tag:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(data, content_type="image/png", headers=headers)


@get_only
def heat_geotiff(request: HttpRequest, source: str) -> HttpResponse:
    """/api/heat/{welding|alarms}.tif?bbox=minlon,minlat,maxlon,maxlat&resolution=deg: a COG in EPSG:4490."""
    from layers.heat import geotiff

    scope = authenticate(request).scope
    if not request.GET.get("bbox"):
        raise BadRequestError("bbox: required")
    bounds = parse_bbox(request.GET["bbox"])
    try:
        data = geotiff(
            source,
            bounds,
            number(request, "resolution", 0.001),
            scope,
            number(request, "bandwidth", 150.0),
            int(number(request, "days", 7)),
        )
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    return HttpResponse(
        data,
        content_type="image/tiff; application=geotiff; profile=cloud-optimized",
        headers={"Content-Disposition": f'attachment; filename="{source}-density.tif"'},
    )
