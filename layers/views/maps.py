"""What a map page loads besides the layers' tiles: the style, sprite and glyphs, the base map passed
through, the park's 3D Tiles, and an offline package of an area."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from geo_core.access import authenticate
from geo_core.apiview import get_only
from geo_core.errors import BadRequestError
from geo_core.params import bbox as parse_bbox
from geo_core.params import integer, query_integer
from layers import registry
from layers.views.common import base_url, json


@get_only
def style_json(request: HttpRequest) -> HttpResponse:
    from layers.style import style

    return json(style(base_url(request)))


@get_only
def sprite_file(request: HttpRequest, ext: str, ratio: str | None = None) -> HttpResponse:
    from layers.style import sprite

    png, index = sprite(2 if ratio == "@2x" else 1)
    if ext == "json":
        return json(index)
    return HttpResponse(png, content_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@get_only
def glyphs(request: HttpRequest, fontstack: str, start: str, end: str) -> HttpResponse:
    """A glyph range for the style's labels; fonts hold no data, so no sign-in is asked."""
    from layers import glyphs as g

    first, last = integer(start, "start", 0, 65280), integer(end, "end", 255, 65535)
    if last != first + 255:
        raise BadRequestError(f"a glyph range is 256 code points (start-start+255), not {start}-{end}")
    try:
        names = g.stack(fontstack)
        data = g.glyph_range(names, first)
    except ValueError as e:
        raise BadRequestError(str(e)) from None
    return HttpResponse(data, content_type="application/x-protobuf", headers={"Cache-Control": "public, max-age=86400"})


OFFLINE_MAX_TILES = 5_000  # over HTTP; larger packages: manage.py offline_package


@get_only
def offline_package(request: HttpRequest) -> HttpResponse:
    """/api/offline/package.pmtiles?bbox=&minzoom=&maxzoom=&layers=: the area an officer takes along, as PMTiles, cut
    to what the caller may see (LAY-7; the same renderer as the online tiles)."""
    import tempfile
    from pathlib import Path

    from layers.offline import package, tiles_in

    scope = authenticate(request).scope
    if not request.GET.get("bbox"):
        raise BadRequestError("bbox: required (minlon,minlat,maxlon,maxlat)")
    bounds = parse_bbox(request.GET["bbox"], strict=True)
    lo = query_integer(request, "minzoom", 10, 0, 18)
    hi = query_integer(request, "maxzoom", 16, 0, 18)
    if lo > hi:
        raise BadRequestError("minzoom: not above maxzoom")
    names = request.GET.get("layers", "district_counts,districts,enterprises,sites,zones,permits").split(",")
    for name in names:
        registry.get(name)  # an unknown layer is a 404 naming it
    count = len(tiles_in(bounds, lo, hi))
    if count > OFFLINE_MAX_TILES:
        raise BadRequestError(f"{count} tiles; at most {OFFLINE_MAX_TILES} here: a smaller area or fewer zooms")
    with tempfile.TemporaryDirectory(prefix="offline-") as folder:
        path = Path(folder) / "package.pmtiles"
        try:
            package(path, names, bounds, lo, hi, scope)
        except ValueError as exc:
            raise BadRequestError(str(exc)) from None
        data = path.read_bytes()
    return HttpResponse(
        data,
        content_type="application/vnd.pmtiles",
        headers={"Content-Disposition": 'attachment; filename="offline.pmtiles"', "X-Tiles": str(count)},
    )


@get_only
def basemap_tile(request: HttpRequest, index: int, z: int, x: int, y: int) -> HttpResponse:
    """/maps/basemap/{layer}/{z}/{x}/{y}: the configured base map's tile, passed through (signed-in users)."""
    from layers.basemap import tile

    authenticate(request)
    body, kind = tile(index, z, x, y)  # a base map server that fails is a 502 (BasemapError)
    return HttpResponse(body, content_type=kind, headers={"Cache-Control": "private, max-age=86400"})


@get_only
def tiles3d_file(request: HttpRequest, path: str) -> HttpResponse:
    """/maps/3dtiles/{path}: the park's generated 3D Tiles (tileset.json, site-<id>.glb), cut to the caller's scope."""
    import gzip

    from layers.tiles3d import served

    body, kind, tag, gzipped = served(path, authenticate(request).scope)
    quoted = f'"{tag}"'
    headers = {"ETag": quoted, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("If-None-Match") == quoted:
        return HttpResponse(status=304, headers=headers)
    if gzipped and "gzip" in request.headers.get("Accept-Encoding", ""):  # glTF meshes stored at a quarter
        headers["Content-Encoding"] = "gzip"
    elif gzipped:
        body = gzip.decompress(body)
    return HttpResponse(body, content_type=kind, headers=headers)
