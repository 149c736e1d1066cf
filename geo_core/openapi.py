"""The OpenAPI 3.0 document of the service's own JSON APIs (`/api/openapi.json`): what other systems (the city brain,
the web pages) call beside the OGC API (`/ogc/api`). Each room contributes its paths from its `openapi` module
(`paths()`), found the way geo_core.urls finds the rooms' URLs, so geo_core never imports them."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.http import HttpRequest, JsonResponse

from geo_core.equipment_codes import FAULTS

ERRORS = {
    "400": {"description": "invalid request: `field` and `reason` say what"},
    "401": {"description": "sign in, or send Authorization: Bearer <token>"},
    "403": {"description": "not the caller's to do"},
    "404": {"description": "not found, or not in the caller's scope"},
    "429": {"description": "too many failed sign-ins or open streams; Retry-After says when"},
    "503": {"description": "busy; Retry-After says when"},
}


def param(name: str, where: str, schema: dict, description: str = "", required: bool = False) -> dict:
    """An OpenAPI parameter (shared by the rooms' path modules)."""
    out = {"name": name, "in": where, "schema": schema, "required": required or where == "path"}
    if description:
        out["description"] = description
    return out


def op(
    summary: str,
    operation_id: str,
    params: list | None = None,
    body: dict | None = None,
    ok: str = "application/json",
    status: str = "200",
    also: tuple[str, ...] = (),
) -> dict:
    """An operation with the service's error answers; `also`: other media types of the answer (files by f=)."""
    content = {media: {"schema": {}} for media in (ok, *also)}
    out: dict = {
        "summary": summary,
        "operationId": operation_id,
        "parameters": params or [],
        "responses": {status: {"description": "done", "content": content}, **ERRORS},
    }
    if body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return out


EQUIPMENT = param("equipment_id", "path", {"type": "integer"}, "a special equipment's id", required=True)


def paths() -> dict:
    zone_id = param("zone_id", "path", {"type": "integer"})
    since = [
        param("since", "query", {"type": "string", "format": "date-time"}),
        param("until", "query", {"type": "string", "format": "date-time"}),
    ]
    page = [
        param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
        param("offset", "query", {"type": "integer", "minimum": 0}),
    ]
    return {
        "/healthz": {"get": op("up or down (details for supervisors)", "health")},
        "/api/audit/": {
            "get": op(
                "the audit trail, newest first (supervisors)",
                "auditTrail",
                [
                    param("action", "query", {"type": "string"}),
                    param("actor", "query", {"type": "string"}),
                    param("target_type", "query", {"type": "string"}),
                    *since,
                    *page,
                ],
            )
        },
        "/api/transform": {
            "post": op(
                "batch coordinate conversion (docs/coordinates.md)",
                "transform",
                [
                    param("src", "query", {"type": "string"}),
                    param("dst", "query", {"type": "string"}),
                    param("dims", "query", {"type": "string", "enum": ["2", "3"]}),
                    param("park", "query", {"type": "string"}),
                    param("calibration", "query", {"type": "string"}),
                ],
                body={
                    "type": "object",
                    "properties": {
                        "x": {"type": "array", "items": {"type": "number"}},
                        "y": {"type": "array", "items": {"type": "number"}},
                    },
                },
            )
        },
        "/api/zones": {"post": op("draw a fence (supervisors)", "createZone", body=ZONE, status="201")},
        "/api/equipment/{equipment_id}": {
            "get": op(
                "a special equipment's card: identity, live reading, open and recent faults",
                "getEquipment",
                [EQUIPMENT],
            )
        },
        "/api/equipment/{equipment_id}/faults": {
            "get": op(
                "a special equipment's fault history",
                "listEquipmentFaults",
                [
                    EQUIPMENT,
                    param("from", "query", {"type": "string", "format": "date-time"}),
                    param("to", "query", {"type": "string", "format": "date-time"}),
                    param("code", "query", {"type": "string", "enum": list(FAULTS)}),
                ],
            )
        },
        "/api/zones/{zone_id}": {
            "get": op("one fence as drawn (supervisors)", "getZone", [zone_id]),
            "patch": op("change a fence (supervisors)", "patchZone", [zone_id], body=ZONE),
            "delete": op("retire a fence (supervisors): inactive, kept for its alarms", "retireZone", [zone_id]),
        },
        "/api/imports": {
            "get": op("the latest GIS imports (supervisors)", "listImports"),
            "post": {
                **op("import a GIS file in the background (supervisors)", "createImport", status="202"),
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": IMPORT}}},
            },
        },
        "/api/imports/{job_id}": {
            "get": op(
                "an import's status, progress and report", "getImport", [param("job_id", "path", {"type": "integer"})]
            )
        },
    }


IMPORT = {
    "type": "object",
    "required": ["file", "as"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "Shapefile (.shp or zipped), GeoPackage, GeoJSON, FlatGeobuf, KML/KMZ, DXF or CSV",
        },
        "as": {"type": "string", "enum": ["zones", "sites", "enterprises", "regions", "subjects", "equipment"]},
        "layer": {"type": "string"},
        "crs": {"type": "string", "description": "when the file does not say: cgcs2000, wgs84, gcj02, sh2000, EPSG:n"},
        "axes": {"type": "string", "enum": ["as-read", "swapped"]},
        "encoding": {"type": "string"},
        "dry_run": {"type": "boolean"},
        "mapping": {"type": "string", "description": "TOML: [fields], [values.<field>], [defaults]"},
    },
}


ZONE = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 128},
        "kind": {
            "type": "string",
            "enum": ["key_place", "forbidden", "work_area", "post", "muster_point", "site_boundary", "temporary"],
        },
        "geometry": {"type": "object", "description": "GeoJSON Polygon or MultiPolygon, CGCS2000 lon/lat"},
        "company_code": {"type": "string", "nullable": True},
        "authority": {"type": "string", "nullable": True},
        "floor": {"type": "integer", "nullable": True},
        "height_min": {"type": "number", "nullable": True},
        "height_max": {"type": "number", "nullable": True},
        "capacity_min": {"type": "integer", "nullable": True, "minimum": 0},
        "capacity_max": {"type": "integer", "nullable": True, "minimum": 0},
        "window_mode": {"type": "string", "enum": ["always", "inside", "outside"]},
        "time_windows": {"type": "array", "items": {"type": "string"}},
        "active": {"type": "boolean"},
        "attributes": {"type": "object"},
    },
}


def document(base: str) -> dict:
    merged = paths()
    for app in apps.get_app_configs():
        if app.name == "geo_core" or app.name.startswith("django.") or not find_spec(f"{app.name}.openapi"):
            continue
        module = import_module(f"{app.name}.openapi")
        if hasattr(module, "service_paths"):
            merged.update(module.service_paths())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "geoservice APIs",
            "version": "1.0.0",
            "description": "Alarms, work orders, rules, queries, tracks, heat maps and the audit trail. Map "
            "layers as OGC API: /ogc/api. Roles and scopes: docs/security.md.",
        },
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": dict(sorted(merged.items())),
    }


def openapi_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document(request.build_absolute_uri("/").rstrip("/")))
