"""HTTP for the layer registry: vector tiles (XYZ and the OGC path), TileJSON 3.0, OGC API - Features and Tiles.
Views only read the registry, the tile renderer and the feature provider; access comes from geo_core.access."""

from __future__ import annotations

import time

import orjson
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from geo_core import replica
from geo_core.access import authenticate
from geo_core.errors import BadRequestError, NotFoundError, error_response, status_for
from geo_core.gisfiles import writing
from geo_core.params import bbox as parse_bbox
from geo_core.params import instant, integer, query_integer, query_number, text
from geo_core.scope import EVERYTHING, Scope
from layers import cql2, features, registry, tiling
from layers.registry import Layer
from tiles.cache import CACHE, etag
from tiles.mvt import render
from tiles.tms import Grid, grid, grids

MVT = "application/vnd.mapbox-vector-tile"
GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000


def _json(body, status: int = 200, content_type: str = "application/json", headers=None) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY, default=float),
        status=status,
        content_type=content_type,
        headers=headers,
    )


def handled(view):
    def inner(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except LookupError as exc:
            return JsonResponse({"code": "NotFound", "description": str(exc).strip("'\"")}, status=404)
        except Exception as exc:
            if status_for(exc) is None:
                raise
            return error_response(exc)

    inner.__name__ = view.__name__
    inner.__doc__ = view.__doc__
    return require_GET(inner)


def scope_for(request: HttpRequest, layers: list[Layer]) -> Scope:
    """What the caller may see; public layers need no sign-in."""
    if all(layer.public for layer in layers):
        return EVERYTHING
    return authenticate(request).scope


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --- vector tiles ---------------------------------------------------------------------------------------------


def _tile(request: HttpRequest, layer_ids: str, g: Grid, z: int, x: int, y: int) -> HttpResponse:
    layers = [registry.get(lid) for lid in layer_ids.split(",")]
    if not g.valid(z, x, y):
        raise NotFoundError(f"tile {z}/{x}/{y} is outside {g.id}")
    scope = scope_for(request, layers)
    wanted = tiling.in_zoom(layers, z)
    parts = tiling.cached(wanted, g, z, x, y, scope)
    hit = all(p is not None for p in parts)
    for k, layer in enumerate(wanted):
        if parts[k] is None:
            t0 = time.perf_counter()
            data = render(layer.source, g, z, x, y, scope)
            parts[k] = tiling.store(layer, g, z, x, y, scope, data, time.perf_counter() - t0, replica.current())
    data = b"".join(parts)
    tag, headers = tiling.headers(layers, data, "hit" if hit else "miss")
    if request.headers.get("If-None-Match") == tag:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(data, content_type=MVT, headers=headers)


@handled
def xyz_tile(request: HttpRequest, layers: str, z: int, x: int, y: int) -> HttpResponse:
    """/tiles/{layers}/{z}/{x}/{y}.pbf?tms=WebMercatorQuad|CGCS2000Quad; several layers comma-separated."""
    return _tile(request, layers, grid(request.GET.get("tms", "WebMercatorQuad")), z, x, y)


@handled
def ogc_tile(request: HttpRequest, collection: str, tms: str, z: int, y: int, x: int) -> HttpResponse:
    """/ogc/collections/{id}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"""
    return _tile(request, collection, grid(tms), z, x, y)


@handled
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
    return _json(body)


@handled
def tile_stats(request: HttpRequest) -> HttpResponse:
    authenticate(request)
    return _json(CACHE.stats.as_dict(CACHE))


# --- OGC API - Features / Tiles ---------------------------------------------------------------------------------

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]


def _link(href: str, rel: str, type_: str, title: str = "") -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


@handled
def landing(request: HttpRequest) -> HttpResponse:
    b = base_url(request)
    return _json(
        {
            "title": "geoservice: industrial-safety layers",
            "description": "Districts, enterprises, sites, fences, permits, live positions and alarms (CGCS2000).",
            "links": [
                _link(f"{b}/ogc/", "self", "application/json", "this document"),
                _link(f"{b}/ogc/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "OpenAPI"),
                _link(f"{b}/ogc/conformance", "conformance", "application/json", "conformance classes"),
                _link(f"{b}/ogc/collections", "data", "application/json", "collections"),
                _link(
                    f"{b}/ogc/tileMatrixSets",
                    "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                    "application/json",
                    "tile matrix sets",
                ),
            ],
        }
    )


@handled
def conformance(request: HttpRequest) -> HttpResponse:
    return _json({"conformsTo": CONFORMANCE})


def _collection(request: HttpRequest, layer: Layer, scope: Scope) -> dict:
    b = f"{base_url(request)}/ogc/collections/{layer.id}"
    out = {
        "id": layer.id,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": features.CRS_LIST,
        "storageCrs": features.EPSG4490,
        "extent": features.extent(layer, scope),
        "links": [
            _link(b, "self", "application/json"),
            _link(f"{b}/items", "items", GEOJSON, "features"),
            *[
                _link(f"{b}/items?f={f.key}", "alternate", f.media_type, f"features as {f.driver}")
                for f in writing.FORMATS.values()
                if f.key in writing.FEATURE_FORMATS
            ],
            _link(f"{b}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json"),
            _link(f"{b}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json"),
        ],
    }
    return out


def _visible_layers(request: HttpRequest) -> tuple[list[Layer], Scope]:
    """Layers the caller may read and its scope: everything when signed in (rows are scoped), the public ones
    otherwise."""
    try:
        return registry.LAYERS, authenticate(request).scope
    except PermissionError:
        return [layer for layer in registry.LAYERS if layer.public], EVERYTHING


@handled
def collections(request: HttpRequest) -> HttpResponse:
    b = base_url(request)
    layers, scope = _visible_layers(request)
    return _json(
        {
            "collections": [_collection(request, layer, scope) for layer in layers],
            "links": [_link(f"{b}/ogc/collections", "self", "application/json")],
        }
    )


@handled
def collection(request: HttpRequest, collection: str) -> HttpResponse:
    layer = registry.get(collection)
    return _json(_collection(request, layer, scope_for(request, [layer])))


@handled
def queryables(request: HttpRequest, collection: str) -> HttpResponse:
    layer = registry.get(collection)
    scope_for(request, [layer])
    types = {
        "integer": {"type": "integer"},
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
        "datetime": {"type": "string", "format": "date-time"},
    }
    props = {name: {"title": name, **types.get(t, {"type": "string"})} for name, t in layer.properties.items()}
    props["geom"] = {"$ref": f"https://geojson.org/schema/{layer.geometry_type}.json", "x-ogc-role": "primary-geometry"}
    return _json(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base_url(request)}/ogc/collections/{layer.id}/queryables",
            "type": "object",
            "title": layer.title,
            "properties": props,
            "additionalProperties": False,
        },
        content_type="application/schema+json",
    )


def _crs(value: str | None, name: str) -> str:
    if not value:
        return features.CRS84
    if value.strip("[]<>") in features.CRS_LIST:
        return value.strip("[]<>")
    raise BadRequestError(f"{name}: {value!r} is not offered; use one of {', '.join(features.CRS_LIST)}")


KNOWN_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "datetime", "filter", "filter-lang", "filter-crs", "crs", "f"}


EXPORT_MAX = 1_000_000


def _format(request: HttpRequest) -> str:
    f = request.GET.get("f", "json")
    if f == "geojson":
        return "json"
    if f not in writing.FEATURE_FORMATS:
        raise BadRequestError(f"f: {f[:40]!r} is not offered; use one of {', '.join(writing.FEATURE_FORMATS)}")
    return f


@handled
def items(request: HttpRequest, collection: str) -> HttpResponse:
    layer = registry.get(collection)
    scope = scope_for(request, [layer])
    g = request.GET
    fmt = _format(request)
    if fmt == "json":
        q = features.Query(crs=_crs(g.get("crs"), "crs"), bbox_crs=_crs(g.get("bbox-crs"), "bbox-crs"))
        q.limit = min(query_integer(request, "limit", 10, 1, 10**9), MAX_LIMIT)
    else:  # a file holds every matching row unless a limit is given
        try:
            out_crs = writing.system(g.get("crs"))
        except ValueError as exc:
            raise BadRequestError(f"crs: {exc}") from None
        q = features.Query(bbox_crs=_crs(g.get("bbox-crs"), "bbox-crs"))
        q.limit = query_integer(request, "limit", EXPORT_MAX, 1, EXPORT_MAX)
    q.offset = query_integer(request, "offset", 0, 0, 10**12)
    if g.get("bbox"):
        q.bbox = parse_bbox(g["bbox"])
    if g.get("datetime"):
        q.interval = features.parse_datetime(g["datetime"])
    node = cql2.parse(g.get("filter"), g.get("filter-lang"))
    conditions, params = [], []
    if node is not None:
        sql, p = cql2.to_sql(node, layer.properties)
        conditions.append(sql)
        params += p
    for name, value in g.items():  # queryables as query parameters: ?kind=forbidden
        if name in KNOWN_PARAMS:
            continue
        if name not in layer.properties:
            raise BadRequestError(f"unknown parameter {name!r}; queryables: {', '.join(layer.properties)}")
        conditions.append(f'src."{name}"::text = %s')
        params.append(value)
    if conditions:
        q.filter_sql, q.filter_params = " AND ".join(conditions), params
    if fmt != "json":
        columns, wkb = features.fetch_columns(layer, q, scope)
        table = writing.Table(layer.id, columns, wkb, layer.geometry_type)
        return writing.response(writing.write([table], fmt, out_crs), fmt, layer.id)
    feats, matched = features.fetch(layer, q, scope)
    self_url = request.build_absolute_uri()
    links = [_link(self_url, "self", GEOJSON)]
    if q.offset + q.limit < matched:
        nxt = g.copy()
        nxt["offset"], nxt["limit"] = str(q.offset + q.limit), str(q.limit)
        links.append(_link(f"{base_url(request)}{request.path}?{nxt.urlencode()}", "next", GEOJSON))
    if q.offset > 0:
        prev = g.copy()
        prev["offset"] = str(max(0, q.offset - q.limit))
        links.append(_link(f"{base_url(request)}{request.path}?{prev.urlencode()}", "prev", GEOJSON))
    body = {
        "type": "FeatureCollection",
        "features": feats,
        "numberMatched": matched,
        "numberReturned": len(feats),
        "timeStamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "links": links,
    }
    return _json(body, content_type=GEOJSON, headers={"Content-Crs": f"<{q.crs}>"})


@handled
def item(request: HttpRequest, collection: str, fid: int) -> HttpResponse:
    layer = registry.get(collection)
    scope = scope_for(request, [layer])
    crs = _crs(request.GET.get("crs"), "crs")
    feats, _ = features.fetch(layer, features.Query(fid=fid, limit=1, crs=crs), scope)
    if not feats:
        raise NotFoundError(f"no feature {fid} in {collection}")
    f = feats[0]
    f["links"] = [
        _link(request.build_absolute_uri(), "self", GEOJSON),
        _link(f"{base_url(request)}/ogc/collections/{collection}", "collection", "application/json"),
    ]
    return _json(f, content_type=GEOJSON, headers={"Content-Crs": f"<{crs}>"})


@handled
def tile_matrix_sets(request: HttpRequest) -> HttpResponse:
    b = base_url(request)
    return _json(
        {
            "tileMatrixSets": [
                {
                    "id": g.id,
                    "title": g.tms.title or g.id,
                    "links": [_link(f"{b}/ogc/tileMatrixSets/{g.id}", "self", "application/json")],
                }
                for g in grids().values()
            ]
        }
    )


@handled
def tile_matrix_set(request: HttpRequest, tms: str) -> HttpResponse:
    return _json(orjson.loads(grid(tms).tms.model_dump_json(exclude_none=True)))


@handled
def tilesets(request: HttpRequest, collection: str) -> HttpResponse:
    layer = registry.get(collection)
    scope_for(request, [layer])
    b = f"{base_url(request)}/ogc/collections/{collection}/tiles"
    return _json(
        {
            "tilesets": [
                {
                    "title": f"{layer.title} ({g.id})",
                    "dataType": "vector",
                    "crs": g.tms.crs.srs if hasattr(g.tms.crs, "srs") else str(g.tms.crs),
                    "tileMatrixSetURI": f"{base_url(request)}/ogc/tileMatrixSets/{g.id}",
                    "links": [
                        _link(f"{b}/{g.id}", "self", "application/json"),
                        _link(f"{b}/{g.id}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", "item", MVT),
                    ],
                }
                for g in grids().values()
            ]
        }
    )


@handled
def tileset(request: HttpRequest, collection: str, tms: str) -> HttpResponse:
    layer = registry.get(collection)
    scope_for(request, [layer])
    g = grid(tms)
    b = f"{base_url(request)}/ogc/collections/{collection}/tiles/{tms}"
    return _json(
        {
            "title": f"{layer.title} ({g.id})",
            "dataType": "vector",
            "tileMatrixSetURI": f"{base_url(request)}/ogc/tileMatrixSets/{g.id}",
            "layers": [
                {
                    "id": layer.id,
                    "dataType": "vector",
                    "geometryDimension": 0 if layer.geometry_type == "Point" else 2,
                    "minTileMatrix": str(max(layer.minzoom, g.minzoom)),
                    "maxTileMatrix": str(min(layer.maxzoom, g.maxzoom)),
                }
            ],
            "links": [
                _link(b, "self", "application/json"),
                _link(f"{b}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", "item", MVT),
            ],
        }
    )


@handled
def openapi(request: HttpRequest) -> HttpResponse:
    from layers.openapi import document

    return _json(document(base_url(request)), content_type="application/vnd.oai.openapi+json;version=3.0")


# --- queries ----------------------------------------------------------------------------------------------------


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


def _number(request: HttpRequest, name: str, default: float | None = None) -> float | None:
    if request.GET.get(name) is None and default is None and name in ("lon", "lat"):
        raise BadRequestError(f"{name}: required")
    lo, hi = RANGES[name]
    if isinstance(lo, int):
        return query_integer(request, name, None if default is None else int(default), lo, hi)
    return query_number(request, name, default, lo, hi)


@handled
def search(request: HttpRequest) -> HttpResponse:
    from layers.queries import search as run

    scope = authenticate(request).scope
    return _json({"results": run(request.GET.get("q", ""), scope, int(_number(request, "limit", 20)))})


@handled
def nearby(request: HttpRequest, layer: str) -> HttpResponse:
    from layers.queries import nearby as run

    lay = registry.get(layer)
    scope = scope_for(request, [lay])
    rows = run(
        lay,
        _number(request, "lon"),
        _number(request, "lat"),
        _number(request, "radius"),
        int(_number(request, "k", 10)),
        scope,
    )
    return _json({"layer": layer, "results": rows})


@handled
def district_counts(request: HttpRequest) -> HttpResponse:
    from layers.queries import district_counts as run

    return _json({"districts": run(authenticate(request).scope)})


def _region_params(request: HttpRequest) -> tuple[str | None, str | None]:
    level = request.GET.get("level") or None
    parent = request.GET.get("parent") or None
    if parent is not None and not (parent.isascii() and parent.isdigit() and len(parent) in (6, 9, 12)):
        raise BadRequestError(f"parent: {parent[:20]!r} is not a region code (6, 9 or 12 digits)")
    return level, parent


@handled
def regions(request: HttpRequest) -> HttpResponse:
    """/api/regions?level=&parent=&q=: the region tree (public, as the district boundaries are); without arguments
    its top."""
    from layers.stats import regions as run

    level, parent = _region_params(request)
    q = request.GET.get("q")
    if q is not None and not 1 <= len(q) <= 50:
        raise BadRequestError("q: 1 to 50 characters")
    rows = run(level, parent, q)
    return _json({"level": level, "parent": parent, "count": len(rows), "regions": rows})


@handled
def region_counts(request: HttpRequest) -> HttpResponse:
    """/api/counts/regions?level=district|township|...&parent=CODE: counts per region within the caller's scope."""
    from layers.queries import region_counts as run
    from layers.stats import LEVELS, distinct_enterprises

    scope = authenticate(request).scope
    level, parent = _region_params(request)
    level = level or "district"
    if level not in LEVELS:
        raise BadRequestError(f"level: {level[:20]!r} is not one of {', '.join(LEVELS)}")
    rows = run(scope, level, parent)
    return _json({
        "level": level, "parent": parent, "regions": rows,
        "totals": {"enterprises": distinct_enterprises(scope, level, parent),
                   "enterprises_summed": sum(r["enterprises"] for r in rows)},
        "note": "an enterprise with sites in several regions is counted once in each of them: summed over regions "
                "the count can exceed the enterprises there (totals.enterprises counts each once)",
    })  # fmt: skip


@handled
def key_area_stats(request: HttpRequest) -> HttpResponse:
    """/api/stats/key-areas?since=&until=&level=&parent=: welding work, hot work and alarms inside and outside key
    areas (seed 003), by key area and, with a level, by region."""
    from layers.stats import key_areas

    scope = authenticate(request).scope
    g = request.GET
    if not g.get("since") or not g.get("until"):
        raise BadRequestError("since and until (RFC 3339) are required")
    level, parent = _region_params(request)
    return _json(key_areas(scope, instant(g["since"], "since"), instant(g["until"], "until"), level, parent))


@handled
def track(request: HttpRequest, external_id: str) -> HttpResponse:
    from layers.queries import track as run

    scope = authenticate(request).scope
    if not request.GET.get("from") or not request.GET.get("to"):
        raise BadRequestError("from and to (RFC 3339) are required")
    start = instant(request.GET["from"], "from")
    end = instant(request.GET["to"], "to")
    fmt = request.GET.get("f", "json")
    enterprise = text(request.GET["enterprise"], "enterprise", 32) if request.GET.get("enterprise") else None
    if fmt in writing.TRACK_FORMATS:
        from layers.queries import track_tables

        tables = track_tables(external_id, start, end, scope, fmt, enterprise)
        stem = f"track-{external_id}-{start:%Y%m%d%H%M}"
        return writing.response(writing.write(tables, fmt, "wgs84" if fmt != "gpkg" else "cgcs2000"), fmt, stem)
    if fmt != "json":
        raise BadRequestError(f"f: {fmt[:40]!r} is not offered; use json, {', '.join(writing.TRACK_FORMATS)}")
    return _json(run(external_id, start, end, scope, _number(request, "tolerance", 2.0), enterprise))


# --- heat maps --------------------------------------------------------------------------------------------------


@handled
def heat_tile(request: HttpRequest, source: str, z: int, x: int, y: int) -> HttpResponse:
    """/tiles/heat/{welding|alarms}/{z}/{x}/{y}.png (Web Mercator), ?bandwidth=metres&days=N (alarms)."""
    from layers.heat import png_tile

    scope = authenticate(request).scope
    g = grid("WebMercatorQuad")
    if not g.valid(z, x, y):
        raise NotFoundError(f"tile {z}/{x}/{y} is outside WebMercatorQuad")
    data = png_tile(
        source, g.bounds(z, x, y), scope, _number(request, "bandwidth", 150.0), int(_number(request, "days", 7))
    )
    tag = etag(data)
    headers = {"ETag": tag, "Cache-Control": "private, max-age=10"}
    if request.headers.get("If-None-Match") == tag:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(data, content_type="image/png", headers=headers)


@handled
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
            _number(request, "resolution", 0.001),
            scope,
            _number(request, "bandwidth", 150.0),
            int(_number(request, "days", 7)),
        )
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    return HttpResponse(
        data,
        content_type="image/tiff; application=geotiff; profile=cloud-optimized",
        headers={"Content-Disposition": f'attachment; filename="{source}-density.tif"'},
    )


# --- styles -----------------------------------------------------------------------------------------------------


@handled
def style_json(request: HttpRequest) -> HttpResponse:
    from layers.style import style

    return _json(style(base_url(request)))


@handled
def sprite_file(request: HttpRequest, ext: str, ratio: str | None = None) -> HttpResponse:
    from layers.style import sprite

    png, index = sprite(2 if ratio == "@2x" else 1)
    if ext == "json":
        return _json(index)
    return HttpResponse(png, content_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@handled
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
    except LookupError as e:
        raise NotFoundError(str(e)) from None
    return HttpResponse(data, content_type="application/x-protobuf", headers={"Cache-Control": "public, max-age=86400"})


OFFLINE_MAX_TILES = 5_000  # over HTTP; larger packages: manage.py offline_package


@handled
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
    return HttpResponse(data, content_type="application/vnd.pmtiles",
                        headers={"Content-Disposition": 'attachment; filename="offline.pmtiles"',
                                 "X-Tiles": str(count)})  # fmt: skip


@handled
def basemap_tile(request: HttpRequest, index: int, z: int, x: int, y: int) -> HttpResponse:
    """/maps/basemap/{layer}/{z}/{x}/{y}: the configured base map's tile, passed through (signed-in users)."""
    from layers.basemap import BasemapError, tile

    authenticate(request)
    try:
        body, kind = tile(index, z, x, y)
    except BasemapError as exc:
        return JsonResponse({"error": str(exc)}, status=502)
    return HttpResponse(body, content_type=kind, headers={"Cache-Control": "private, max-age=86400"})


@handled
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
