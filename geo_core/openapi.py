"""The OpenAPI 3.0 document of the service's own JSON APIs (`/api/openapi.json`): what other systems (the city brain,
the web pages) call beside the OGC API (`/ogc/api`). Each room contributes its paths from its `openapi` module
(`paths()`), found the way geo_core.urls finds the rooms' URLs, so geo_core never imports them."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.http import HttpRequest, JsonResponse

from geo_core.equipment_codes import FAULTS, UPKEEP

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


STR = {"type": "string"}
POINT = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}},
    },
}
EQUIPMENT_FILTERS = [
    param("kind", "query", STR),
    param("monitoring", "query", STR),
    param("upkeep", "query", {"type": "string", "enum": list(UPKEEP)}),
    param("unit", "query", STR),
    param("region", "query", STR),
    param("q", "query", STR),
]
LIST_MEDIA = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DAY = {"type": "string", "format": "date", "nullable": True}
EQUIPMENT_PATCH = {
    "type": "object",
    "properties": {
        "location": POINT,
        "address": STR,
        "maintenance_unit": {"type": "integer", "nullable": True},
        "contract_expires": DAY,
        "maintenance_interval_days": {"type": "integer"},
        "inspection_due": DAY,
        "manufactured_on": DAY,
    },
}
CHECKIN = {
    "type": "object",
    "required": ["kind", "by", "lon", "lat", "accuracy_m"],
    "properties": {
        "kind": {"type": "string", "enum": ["maintenance", "inspection", "rescue"]},
        "by": STR,
        "lon": {"type": "number"},
        "lat": {"type": "number"},
        "accuracy_m": {"type": "number"},
        "passed": {"type": "boolean", "nullable": True},
        "next_due": DAY,
        "notes": STR,
        "at": {"type": "string", "format": "date-time"},
    },
}
UNIT = {
    "type": "object",
    "properties": {
        "name": STR,
        "credit_code": STR,
        "licence_no": STR,
        "licence_expires": DAY,
        "phone": STR,
        "address": STR,
        "location": {**POINT, "nullable": True},
    },
}
STATION = {"type": "object", "properties": {"name": STR, "phone": STR, "location": POINT}}
UNIT_ID = param("unit_id", "path", {"type": "integer"}, "a maintenance unit's id", required=True)
STATION_ID = param("station_id", "path", {"type": "integer"}, "a rescue station's id", required=True)


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
                "a special equipment's card: identity, live reading, faults, upkeep, nearest rescue stations",
                "getEquipment",
                [EQUIPMENT],
            ),
            "patch": op(
                "设备迁移 and registration: place, address, unit, contract, interval, dates (audited)",
                "patchEquipment",
                [EQUIPMENT],
                body=EQUIPMENT_PATCH,
            ),
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
        "/api/equipment": {
            "get": op(
                "special equipment: the seed's list (name, code, kind, state, place, alarm, updated), or a file",
                "listEquipment",
                [*EQUIPMENT_FILTERS, *page, param("f", "query", {"type": "string", "enum": ["json", "csv", "xlsx"]})],
                also=LIST_MEDIA,
            )
        },
        "/api/equipment/reassign": {
            "post": op(
                "批量修改维保单位: devices to another maintenance unit (audited)",
                "reassignEquipment",
                body={
                    "type": "object",
                    "properties": {
                        "equipment": {"type": "array", "items": {"type": "integer"}},
                        "maintenance_unit": {"type": "integer", "nullable": True},
                    },
                },
            )
        },
        "/api/equipment/{equipment_id}/records": {
            "get": op("a device's maintenance, inspection and rescue records", "listUpkeepRecords", [EQUIPMENT])
        },
        "/api/equipment/{equipment_id}/checkins": {
            "post": op(
                "一键签到: maintenance, an inspection or a rescue arrival recorded at the device",
                "checkInAtEquipment",
                [EQUIPMENT],
                body=CHECKIN,
                status="201",
            )
        },
        "/api/equipment-faults": {
            "get": op(
                "the fault history across devices, filtered by unit, region, kind, period and code, or a file",
                "listFaults",
                [
                    *EQUIPMENT_FILTERS,
                    *page,
                    param("from", "query", {"type": "string", "format": "date-time"}),
                    param("to", "query", {"type": "string", "format": "date-time"}),
                    param("code", "query", {"type": "string", "enum": list(FAULTS)}),
                    param("f", "query", {"type": "string", "enum": ["json", "csv", "xlsx"]}),
                ],
                also=LIST_MEDIA,
            )
        },
        "/api/equipment/service-age": {
            "get": op(
                "service age (服役年限) per district, in five-year buckets", "equipmentServiceAge", EQUIPMENT_FILTERS
            )
        },
        "/api/equipment-faults/stats": {
            "get": op(
                "faults per month or quarter, by code",
                "equipmentFaultStats",
                [
                    *EQUIPMENT_FILTERS,
                    param("by", "query", {"type": "string", "enum": ["month", "quarter"]}),
                    param("from", "query", {"type": "string", "format": "date-time"}),
                    param("to", "query", {"type": "string", "format": "date-time"}),
                ],
            )
        },
        "/api/maintenance-units": {
            "get": op("maintenance units with their stations", "listMaintenanceUnits", [param("q", "query", STR)]),
            "post": op("register a maintenance unit (authorities)", "createMaintenanceUnit", body=UNIT, status="201"),
        },
        "/api/maintenance-units/{unit_id}": {
            "get": op("a maintenance unit", "getMaintenanceUnit", [UNIT_ID]),
            "patch": op("change a maintenance unit (authorities)", "patchMaintenanceUnit", [UNIT_ID], body=UNIT),
        },
        "/api/maintenance-units/{unit_id}/stations": {
            "post": op(
                "add a rescue station (authorities)", "createRescueStation", [UNIT_ID], body=STATION, status="201"
            )
        },
        "/api/rescue-stations/{station_id}": {
            "patch": op("change a rescue station (authorities)", "patchRescueStation", [STATION_ID], body=STATION),
            "delete": op("remove a rescue station (authorities)", "deleteRescueStation", [STATION_ID], status="204"),
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
        "as": {
            "type": "string",
            "enum": [
                "zones",
                "sites",
                "enterprises",
                "regions",
                "subjects",
                "equipment",
                "maintenance_units",
                "rescue_stations",
            ],
        },
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
