"""Fences drawn by supervisors on the map (issue 13, part 6): create, change and retire zones.

POST /api/zones, PATCH /api/zones/{id}, DELETE /api/zones/{id} (retires: `active` false, kept for the alarms that
name it). JSON with GeoJSON geometry in CGCS2000 lon/lat. Supervisors only; the audit trail records each change (the
model's signals), the tile caches drop the tiles under it (NOTIFY) and the alarm worker reloads its fences."""

from __future__ import annotations

import json

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from geo_core.access import Access
from geo_core.apiview import json_api, json_body, json_response
from geo_core.errors import BadRequestError
from geo_core.models import Enterprise, TimeWindow, Zone
from geo_core.params import members, polygon

FIELDS = {
    "name": "text",
    "kind": "text",
    "geometry": "object",
    "company_code": "text?",
    "authority": "text?",
    "floor": "int?",
    "height_min": "number?",
    "height_max": "number?",
    "capacity_min": "int?",
    "capacity_max": "int?",
    "window_mode": "text",
    "time_windows": "texts",
    "active": "bool",
    "attributes": "object",
}


def _apply(zone: Zone, body: dict) -> list[TimeWindow] | None:
    members(body, FIELDS)
    for name in (
        "name",
        "kind",
        "floor",
        "height_min",
        "height_max",
        "capacity_min",
        "capacity_max",
        "window_mode",
        "authority",
        "active",
        "attributes",
    ):
        if name in body:
            value = body[name]
            setattr(zone, name, "" if name == "authority" and value is None else value)  # a text field: no null
    if "geometry" in body:
        zone.geom = polygon(body["geometry"], "geometry")
    if "company_code" in body:
        code = body["company_code"]
        zone.enterprise = Enterprise.objects.filter(company_code=code).first() if code else None
        if code and zone.enterprise is None:
            raise BadRequestError(f"company_code: no enterprise {code!r}")
    if zone.enterprise is None and not zone.authority:
        raise BadRequestError("company_code or authority: a zone belongs to an enterprise or to an authority")
    windows = None
    if "time_windows" in body:
        windows = list(TimeWindow.objects.filter(name__in=body["time_windows"]))
        missing = sorted(set(body["time_windows"]) - {w.name for w in windows})
        if missing:
            raise BadRequestError(f"time_windows: unknown {missing}")
    zone.full_clean()
    return windows


def _dump(z: Zone) -> dict:
    code = z.enterprise.company_code if z.enterprise else None
    return {
        "id": z.id,
        "name": z.name,
        "kind": z.kind,
        "company_code": code,
        "authority": z.authority,
        "floor": z.floor,
        "height_min": z.height_min,
        "height_max": z.height_max,
        "capacity_min": z.capacity_min,
        "capacity_max": z.capacity_max,
        "window_mode": z.window_mode,
        "time_windows": [w.name for w in z.time_windows.all()],
        "active": z.active,
        "geometry": json.loads(z.geom.geojson),
    }


@json_api(("POST",))
def zones(request: HttpRequest, access: Access) -> HttpResponse:
    access.supervisor_only("draw and edit fences")
    body = json_body(request)
    for required in ("name", "kind", "geometry"):
        if required not in body:
            raise BadRequestError(f"{required}: required")
    zone = Zone()
    with transaction.atomic():
        windows = _apply(zone, body)
        zone.save()
        if windows is not None:
            zone.time_windows.set(windows)
    return json_response(_dump(zone), status=201)


@json_api(("GET", "PATCH", "DELETE"))
def zone_detail(request: HttpRequest, access: Access, zone_id: int) -> HttpResponse:
    access.supervisor_only("draw and edit fences")
    zone = Zone.objects.select_related("enterprise").get(pk=zone_id)
    if request.method == "PATCH":
        with transaction.atomic():
            windows = _apply(zone, json_body(request))
            zone.save()
            if windows is not None:
                zone.time_windows.set(windows)
    elif request.method == "DELETE":
        zone.active = False
        zone.save(update_fields=["active", "updated_at"])
    return json_response(_dump(zone))
