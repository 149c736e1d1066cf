"""OGC API - Features (with Part 3 filters and file exports) and OGC API - Tiles over the layer registry;
errors under /ogc/ in OGC's exception body (geo_core.boundary)."""

from __future__ import annotations

import time

import orjson
from django.http import HttpRequest, HttpResponse

from geo_core.access import authenticate
from geo_core.apiview import get_only
from geo_core.errors import BadRequestError, NotFoundError
from geo_core.gisfiles import writing
from geo_core.params import bbox as parse_bbox
from geo_core.params import integer, query_integer
from geo_core.scope import EVERYTHING, Scope
from layers import cql2, features, registry
from layers.registry import Layer
from layers.views.common import GEOJSON, MVT, base_url, json, link, scope_for
from tiles.tms import grid, grids

MAX_LIMIT = 10_000


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


@get_only
def landing(request: HttpRequest) -> HttpResponse:
    b = base_url(request)
    return json(
        {
            "title": "geoservice: industrial-safety layers",
            "description": "Districts, enterprises, sites, fences, permits, live positions and alarms (CGCS2000).",
            "links": [
                link(f"{b}/ogc/", "self", "application/json", "this document"),
                link(f"{b}/ogc/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "OpenAPI"),
                link(f"{b}/ogc/conformance", "conformance", "application/json", "conformance classes"),
                link(f"{b}/ogc/collections", "data", "application/json", "collections"),
                link(
                    f"{b}/ogc/tileMatrixSets",
                    "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                    "application/json",
                    "tile matrix sets",
                ),
            ],
        }
    )


@get_only
def conformance(request: HttpRequest) -> HttpResponse:
    return json({"conformsTo": CONFORMANCE})


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
            link(b, "self", "application/json"),
            link(f"{b}/items", "items", GEOJSON, "features"),
            *[
                link(f"{b}/items?f={f.key}", "alternate", f.media_type, f"features as {f.driver}")
                for f in writing.FORMATS.values()
                if f.key in writing.FEATURE_FORMATS
            ],
            link(f"{b}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json"),
            link(f"{b}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json"),
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


@get_only
def collections(request: HttpRequest) -> HttpResponse:
    b = base_url(request)
    layers, scope = _visible_layers(request)
    return json(
        {
            "collections": [_collection(request, layer, scope) for layer in layers],
            "links": [link(f"{b}/ogc/collections", "self", "application/json")],
        }
    )


@get_only
def collection(request: HttpRequest, collection: str) -> HttpResponse:
    layer = registry.get(collection)
    return json(_collection(request, layer, scope_for(request, [layer])))


@get_only
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
    return json(
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


@get_only
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
    links = [link(self_url, "self", GEOJSON)]
    if q.offset + q.limit < matched:
        nxt = g.copy()
        nxt["offset"], nxt["limit"] = str(q.offset + q.limit), str(q.limit)
        links.append(link(f"{base_url(request)}{request.path}?{nxt.urlencode()}", "next", GEOJSON))
    if q.offset > 0:
        prev = g.copy()
        prev["offset"] = str(max(0, q.offset - q.limit))
        links.append(link(f"{base_url(request)}{request.path}?{prev.urlencode()}", "prev", GEOJSON))
    body = {
        "type": "FeatureCollection",
        "features": feats,
        "numberMatched": matched,
        "numberReturned": len(feats),
        "timeStamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "links": links,
    }
    return json(body, content_type=GEOJSON, headers={"Content-Crs": f"<{q.crs}>"})


@get_only
def item(request: HttpRequest, collection: str, fid: int) -> HttpResponse:
    layer = registry.get(collection)
    fid = integer(fid, "featureId", -(2**63), 2**63 - 1)  # a bigint, or no feature id at all
    scope = scope_for(request, [layer])
    crs = _crs(request.GET.get("crs"), "crs")
    feats, _ = features.fetch(layer, features.Query(fid=fid, limit=1, crs=crs), scope)
    if not feats:
        raise NotFoundError(f"no feature {fid} in {collection}")
    f = feats[0]
    f["links"] = [
        link(request.build_absolute_uri(), "self", GEOJSON),
        link(f"{base_url(request)}/ogc/collections/{collection}", "collection", "application/json"),
    ]
    return json(f, content_type=GEOJSON, headers={"Content-Crs": f"<{crs}>"})


@get_only
def tile_matrix_sets(request: HttpRequest) -> HttpResponse:
    b = base_url(request)
    return json(
        {
            "tileMatrixSets": [
                {
                    "id": g.id,
                    "title": g.tms.title or g.id,
                    "links": [link(f"{b}/ogc/tileMatrixSets/{g.id}", "self", "application/json")],
                }
                for g in grids().values()
            ]
        }
    )


@get_only
def tile_matrix_set(request: HttpRequest, tms: str) -> HttpResponse:
    return json(orjson.loads(grid(tms).tms.model_dump_json(exclude_none=True)))


@get_only
def tilesets(request: HttpRequest, collection: str) -> HttpResponse:
    layer = registry.get(collection)
    scope_for(request, [layer])
    b = f"{base_url(request)}/ogc/collections/{collection}/tiles"
    return json(
        {
            "tilesets": [
                {
                    "title": f"{layer.title} ({g.id})",
                    "dataType": "vector",
                    "crs": g.tms.crs.srs if hasattr(g.tms.crs, "srs") else str(g.tms.crs),
                    "tileMatrixSetURI": f"{base_url(request)}/ogc/tileMatrixSets/{g.id}",
                    "links": [
                        link(f"{b}/{g.id}", "self", "application/json"),
                        link(f"{b}/{g.id}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", "item", MVT),
                    ],
                }
                for g in grids().values()
            ]
        }
    )


@get_only
def tileset(request: HttpRequest, collection: str, tms: str) -> HttpResponse:
    layer = registry.get(collection)
    scope_for(request, [layer])
    g = grid(tms)
    b = f"{base_url(request)}/ogc/collections/{collection}/tiles/{tms}"
    return json(
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
                link(b, "self", "application/json"),
                link(f"{b}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", "item", MVT),
            ],
        }
    )


@get_only
def openapi(request: HttpRequest) -> HttpResponse:
    from layers.openapi import document

    return json(document(base_url(request)), content_type="application/vnd.oai.openapi+json;version=3.0")
