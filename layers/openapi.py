"""The OpenAPI 3.0 document of the OGC API (`/ogc/api`), generated from the registry so it never drifts from it."""

from __future__ import annotations

from geo_core.gisfiles import writing
from layers.registry import LAYERS
from tiles.tms import grids


def _param(name: str, where: str, schema: dict, description: str = "", required: bool = False) -> dict:
    out = {"name": name, "in": where, "schema": schema, "required": required or where == "path"}
    if description:
        out["description"] = description
    return out


def _ok(description: str, media: str = "application/json", *also: str) -> dict:
    return {
        "200": {"description": description, "content": {m: {"schema": {"type": "object"}} for m in (media, *also)}},
        "400": {"description": "invalid request"},
        "401": {"description": "sign in or send a bearer token"},
        "404": {"description": "not found"},
    }


def document(base: str) -> dict:
    collection = _param("collectionId", "path", {"type": "string", "enum": [layer.id for layer in LAYERS]})
    tms = _param("tileMatrixSetId", "path", {"type": "string", "enum": list(grids())})
    item_params = [
        collection,
        _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}),
        _param("offset", "query", {"type": "integer", "minimum": 0, "default": 0}),
        _param(
            "bbox",
            "query",
            {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
            "minx,miny,maxx,maxy",
        ),
        _param("bbox-crs", "query", {"type": "string", "format": "uri"}),
        _param("datetime", "query", {"type": "string"}, "RFC 3339 instant or interval (a/b, ../b, a/..)"),
        _param("filter", "query", {"type": "string"}, "CQL2 text or JSON"),
        _param("filter-lang", "query", {"type": "string", "enum": ["cql2-text", "cql2-json"]}),
        _param("crs", "query", {"type": "string"}, "CRS84 or EPSG:4490 URI; for files also wgs84, cgcs2000, sh2000"),
        _param("f", "query", {"type": "string", "enum": list(writing.FEATURE_FORMATS)}, "GeoJSON, or a GIS file"),
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "geoservice OGC API",
            "version": "1.0.0",
            "description": "OGC API - Features (Parts 1-3) and Tiles for industrial-safety layers",
        },
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}, {}],
        "paths": {
            "/ogc/": {"get": {"summary": "landing page", "operationId": "getLandingPage", "responses": _ok("links")}},
            "/ogc/conformance": {
                "get": {
                    "summary": "conformance classes",
                    "operationId": "getConformance",
                    "responses": _ok("conformance"),
                }
            },
            "/ogc/collections": {
                "get": {"summary": "collections", "operationId": "getCollections", "responses": _ok("collections")}
            },
            "/ogc/collections/{collectionId}": {
                "get": {
                    "summary": "one collection",
                    "operationId": "getCollection",
                    "parameters": [collection],
                    "responses": _ok("collection"),
                }
            },
            "/ogc/collections/{collectionId}/queryables": {
                "get": {
                    "summary": "queryables",
                    "operationId": "getQueryables",
                    "parameters": [collection],
                    "responses": _ok("JSON schema", "application/schema+json"),
                }
            },
            "/ogc/collections/{collectionId}/items": {
                "get": {
                    "summary": "features",
                    "operationId": "getFeatures",
                    "parameters": item_params,
                    "responses": _ok(
                        "GeoJSON FeatureCollection, or a file by f=",
                        "application/geo+json",
                        *(writing.FORMATS[f].media_type for f in writing.FEATURE_FORMATS if f != "json"),
                    ),
                }
            },
            "/ogc/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "summary": "one feature",
                    "operationId": "getFeature",
                    "parameters": [collection, _param("featureId", "path", {"type": "integer"})],
                    "responses": _ok("GeoJSON Feature", "application/geo+json"),
                }
            },
            "/ogc/tileMatrixSets": {
                "get": {
                    "summary": "tile matrix sets",
                    "operationId": "getTileMatrixSets",
                    "responses": _ok("tile matrix sets"),
                }
            },
            "/ogc/tileMatrixSets/{tileMatrixSetId}": {
                "get": {
                    "summary": "one tile matrix set",
                    "operationId": "getTileMatrixSet",
                    "parameters": [tms],
                    "responses": _ok("tile matrix set"),
                }
            },
            "/ogc/collections/{collectionId}/tiles": {
                "get": {
                    "summary": "tilesets",
                    "operationId": "getTilesets",
                    "parameters": [collection],
                    "responses": _ok("tilesets"),
                }
            },
            "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}": {
                "get": {
                    "summary": "tileset",
                    "operationId": "getTileset",
                    "parameters": [collection, tms],
                    "responses": _ok("tileset"),
                }
            },
            "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": {
                "get": {
                    "summary": "a vector tile",
                    "operationId": "getTile",
                    "parameters": [
                        collection,
                        tms,
                        _param("tileMatrix", "path", {"type": "integer"}),
                        _param("tileRow", "path", {"type": "integer"}),
                        _param("tileCol", "path", {"type": "integer"}),
                    ],
                    "responses": {
                        "200": {
                            "description": "MVT",
                            "content": {
                                "application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}
                            },
                        },
                        "304": {"description": "not modified"},
                        "404": {"description": "outside the tile matrix set"},
                    },
                }
            },
        },
    }


def service_paths() -> dict:
    """The map query APIs' paths for the service's OpenAPI document (geo_core.openapi)."""
    from geo_core.openapi import op, param

    layer_ids = [layer.id for layer in LAYERS]
    num = {"type": "number"}
    z, x, y = (param(n, "path", {"type": "integer", "minimum": 0}) for n in ("z", "x", "y"))
    heat = param("source", "path", {"type": "string", "enum": ["welding", "alarms"]})
    level = param(
        "level", "query", {"type": "string", "enum": ["province", "city", "district", "township", "community"]}
    )
    parent = param("parent", "query", {"type": "string", "pattern": "^[0-9]{6}([0-9]{3}){0,2}$"}, "a region code")
    kde = [
        param("bandwidth", "query", {"type": "number", "minimum": 10, "maximum": 500}),
        param("days", "query", {"type": "integer", "minimum": 1, "maximum": 365}),
    ]
    return {
        "/api/search": {
            "get": op(
                "find enterprises, people, machines, zones by name, id, chip or QR",
                "search",
                [
                    param("q", "query", {"type": "string", "minLength": 2}, required=True),
                    param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
                ],
            )
        },
        "/api/nearby/{layer}": {
            "get": op(
                "the k nearest features with geodesic metres",
                "nearby",
                [
                    param("layer", "path", {"type": "string", "enum": layer_ids}),
                    param("lon", "query", num, required=True),
                    param("lat", "query", num, required=True),
                    param("radius", "query", num),
                    param("k", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
                ],
            )
        },
        "/api/counts/districts": {"get": op("counts per district", "districtCounts")},
        "/api/counts/regions": {
            "get": op("counts per region of a level, under a parent", "regionCounts", [level, parent])
        },
        "/api/regions": {
            "get": op(
                "the region tree (public)",
                "regions",
                [level, parent, param("q", "query", {"type": "string", "minLength": 1, "maxLength": 50})],
            )
        },
        "/api/stats/key-areas": {
            "get": op(
                "welding work, hot work and alarms inside and outside key areas",
                "keyAreaStats",
                [
                    param("since", "query", {"type": "string", "format": "date-time"}, required=True),
                    param("until", "query", {"type": "string", "format": "date-time"}, required=True),
                    level,
                    parent,
                ],
            )
        },
        "/api/tracks/{external_id}": {
            "get": op(
                "a subject's track with stops and trips",
                "track",
                [
                    param("external_id", "path", {"type": "string"}),
                    param("from", "query", {"type": "string", "format": "date-time"}, required=True),
                    param("to", "query", {"type": "string", "format": "date-time"}, required=True),
                    param("tolerance", "query", num),
                    param("enterprise", "query", {"type": "string"}, "the company code, when the id is ambiguous"),
                    param("f", "query", {"type": "string", "enum": ["json", *writing.TRACK_FORMATS]}, "or a file"),
                ],
                also=tuple(writing.FORMATS[f].media_type for f in writing.TRACK_FORMATS),
            )
        },
        "/tiles/heat/{source}/{z}/{x}/{y}.png": {
            "get": op("a density tile", "heatTile", [heat, z, x, y, *kde], ok="image/png")
        },
        "/api/heat/{source}.tif": {
            "get": op(
                "a density GeoTIFF (COG, EPSG:4490)",
                "heatGeoTiff",
                [
                    heat,
                    param("bbox", "query", {"type": "string"}, "minlon,minlat,maxlon,maxlat", required=True),
                    param("resolution", "query", num),
                    *kde,
                ],
                ok="image/tiff",
            )
        },
        "/tiles/{layers}.json": {
            "get": op(
                "TileJSON 3.0 of one or several layers",
                "tilejson",
                [
                    param("layers", "path", {"type": "string"}, "comma-separated layer ids"),
                    param("tms", "query", {"type": "string", "enum": list(grids())}),
                ],
            )
        },
        "/tiles/{layers}/{z}/{x}/{y}.pbf": {
            "get": op(
                "a vector tile of one or several layers",
                "xyzTile",
                [
                    param("layers", "path", {"type": "string"}),
                    z,
                    x,
                    y,
                    param("tms", "query", {"type": "string", "enum": list(grids())}),
                ],
                ok="application/vnd.mapbox-vector-tile",
            )
        },
    }
