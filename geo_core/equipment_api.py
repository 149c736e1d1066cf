"""A special equipment's card (seed 001: "展示设备名称、设备 id、类型、状态、位置、报警信息、更新时间";
"实时查看最新的运行数据,楼层,上下行,运行时间,运行次数"): who it is, its monitor's latest reading and active faults, and
its fault history.

    GET /api/equipment/{id}                          identity, monitoring, live reading, open faults, recent faults
    GET /api/equipment/{id}/faults?from=&to=&code=   its fault history (newest first, at most 500)

Within the caller's scope (`SpecialEquipment.VISIBILITY`): an enterprise sees its own equipment only; one it may not
see is as unknown as one that does not exist."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from geo_core.access import Access, scoped
from geo_core.apiview import json_api, json_response
from geo_core.equipment_codes import FAULTS
from geo_core.errors import BadRequestError, NotFoundError
from geo_core.models import EquipmentFault, EquipmentState, SpecialEquipment
from geo_core.params import instant, integer

RECENT = 10


def _visible(access: Access, equipment_id: str) -> SpecialEquipment:
    eid = integer(equipment_id, "equipment", 1, 2**63 - 1)
    e = scoped(SpecialEquipment.objects.select_related("enterprise"), access).filter(pk=eid).first()
    if e is None:
        raise NotFoundError(f"equipment: no special equipment {eid} you may see")
    return e


def _fault(f: EquipmentFault) -> dict:
    return {
        "id": f.id,
        "code": f.code,
        "label": FAULTS[f.code].zh if f.code in FAULTS else f.code,
        "severity": FAULTS[f.code].severity if f.code in FAULTS else None,
        "started_at": f.started_at.isoformat(),
        "ended_at": f.ended_at.isoformat() if f.ended_at else None,
        "reading": f.reading,
    }


@json_api(("GET",))
def equipment(request: HttpRequest, access: Access, equipment_id: str) -> HttpResponse:
    e = _visible(access, equipment_id)
    state = EquipmentState.objects.filter(equipment=e).first()
    faults = list(EquipmentFault.objects.filter(equipment=e).order_by("-started_at")[:RECENT])
    return json_response(
        {
            "id": e.id,
            "registry_code": e.registry_code,
            "kind": e.kind,
            "name": e.name,
            "using_unit": e.using_unit,
            "company_code": e.enterprise.company_code if e.enterprise else None,
            "maintenance_unit": e.maintenance_unit or None,
            "address": e.address or None,
            "location": {"type": "Point", "coordinates": [e.location.x, e.location.y]},
            "monitoring": e.monitoring,
            "monitoring_since": e.monitored_at.isoformat() if e.monitored_at else None,
            "reading": {k: v for k, v in (state.live if state else {}).items() if k != "faults"},
            "reading_at": state.time.isoformat() if state else None,
            "faults_open": [_fault(f) for f in faults if f.ended_at is None],
            "faults_recent": [_fault(f) for f in faults],
        }
    )


@json_api(("GET",))
def faults(request: HttpRequest, access: Access, equipment_id: str) -> HttpResponse:
    e = _visible(access, equipment_id)
    qs = EquipmentFault.objects.filter(equipment=e)
    if request.GET.get("from"):
        qs = qs.filter(started_at__gte=instant(request.GET["from"], "from"))
    if request.GET.get("to"):
        qs = qs.filter(started_at__lt=instant(request.GET["to"], "to"))
    code = request.GET.get("code")
    if code:
        if code not in FAULTS:
            raise BadRequestError(f"code: {code[:40]!r} is not a fault code; codes: {', '.join(FAULTS)}")
        qs = qs.filter(code=code)
    rows = [_fault(f) for f in qs.order_by("-started_at")[:500]]
    return json_response({"equipment": e.id, "count": len(rows), "faults": rows})
