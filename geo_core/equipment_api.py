"""Special equipment kept (seed 001): the card, the list with its export, moving a device and changing its
maintenance unit, the one-click check-in, fault statistics, and the maintenance units with their rescue stations.

    GET   /api/equipment?kind=&monitoring=&upkeep=&unit=&region=&q=&f=csv|xlsx  the list (the seed's columns)
    GET   /api/equipment/{id}                      identity, live reading, faults, upkeep, nearest stations
    PATCH /api/equipment/{id}                      move it (设备迁移), its unit, contract, interval, dates; audited
    GET   /api/equipment/{id}/faults?from=&to=&code=  its fault history (newest first, at most 500)
    GET   /api/equipment/{id}/records              its maintenance, inspection and rescue records
    POST  /api/equipment/{id}/checkins             一键签到: a record made at the device, with the tablet's position
    POST  /api/equipment/reassign                  批量修改维保单位: devices to another unit; audited
    GET   /api/equipment-faults/stats?by=month|quarter&from=&to=&kind=&unit=&region=  fault counts per period
    GET   /api/maintenance-units, POST (supervisors, district officers); GET/PATCH /api/maintenance-units/{id}
    POST  /api/maintenance-units/{id}/stations; PATCH/DELETE /api/rescue-stations/{id}

Within the caller's scope (`SpecialEquipment.VISIBILITY`): an enterprise sees its own equipment only; one it may not
see is as unknown as one that does not exist. Units and stations are public registry data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncQuarter
from django.http import HttpRequest, HttpResponse

from geo_core import audit, equipment_upkeep
from geo_core.access import Access, scoped
from geo_core.apiview import json_api, json_body, json_response
from geo_core.equipment_codes import FAULTS, UPKEEP
from geo_core.errors import BadRequestError, DeniedError, NotFoundError
from geo_core.gisfiles import writing
from geo_core.models import (
    EquipmentDispatch,
    EquipmentFault,
    EquipmentState,
    MaintenanceUnit,
    RescueStation,
    SpecialEquipment,
    UpkeepRecord,
)
from geo_core.params import day, instant, integer, known_codes, members, number, query_integer, text
from geo_core.partitions import PARK_TZ
from geo_core.queries import in_regions
from geo_core.validation import validate_credit_code

RECENT = 10
MAX_REASSIGN = 5000
LIST_COLUMNS = [  # seed 001: 设备名称、设备 id、类型、状态、位置、报警信息、更新时间
    ("name", "设备名称"),
    ("registry_code", "设备注册代码"),
    ("kind_label", "设备类别"),
    ("monitoring_label", "状态"),
    ("address", "位置"),
    ("alarm", "报警信息"),
    ("updated_at", "更新时间"),
    ("using_unit", "使用单位"),
    ("maintenance_unit", "维保单位"),
    ("upkeep_label", "维保检验状态"),
    ("maintained_at", "最近维保"),
    ("inspection_due", "下次检验日期"),
    ("service_years", "服役年限"),
    ("lon", "经度"),
    ("lat", "纬度"),
]
KIND_LABEL = dict(SpecialEquipment.Kind.choices)
MONITORING_LABEL = dict(SpecialEquipment.Monitoring.choices)


def _visible(access: Access, equipment_id: str) -> SpecialEquipment:
    eid = integer(equipment_id, "equipment", 1, 2**63 - 1)
    e = scoped(SpecialEquipment.objects.select_related("enterprise", "maintenance_unit"), access).filter(pk=eid).first()
    if e is None:
        raise NotFoundError(f"equipment: no special equipment {eid} you may see")
    return e


def _fault(f: EquipmentFault) -> dict:
    out = {
        "id": f.id,
        "code": f.code,
        "label": FAULTS[f.code].zh if f.code in FAULTS else f.code,
        "severity": FAULTS[f.code].severity if f.code in FAULTS else None,
        "started_at": f.started_at.isoformat(),
        "ended_at": f.ended_at.isoformat() if f.ended_at else None,
        "reading": f.reading,
    }
    d: EquipmentDispatch | None = getattr(f, "dispatch", None)  # none yet: the reverse one-to-one raises
    if d is not None:
        out["dispatch"] = {
            "station": d.station.name if d.station else None,
            "phone": (d.station.phone or None) if d.station else None,
            "distance_m": round(d.distance_m, 1) if d.distance_m is not None else None,
            "dispatched_at": d.dispatched_at.isoformat(),
            "arrived_at": d.arrived_at.isoformat() if d.arrived_at else None,
            "arrived_by": d.arrived_by or None,
            "arrival": d.arrival or None,
        }
    return out


def _unit(u: MaintenanceUnit | None) -> dict | None:
    if u is None:
        return None
    return {
        "id": u.id,
        "name": u.name,
        "phone": u.phone or None,
        "licence_no": u.licence_no or None,
        "licence_expires": u.licence_expires.isoformat() if u.licence_expires else None,
    }


def _iso(v) -> str | None:
    return v.isoformat() if v is not None else None


def service_years(manufactured_on, today=None) -> float | None:
    """Years since manufacture (服役年限), to a tenth."""
    if manufactured_on is None:
        return None
    today = today or datetime.now(PARK_TZ).date()
    return round((today - manufactured_on).days / 365.25, 1)


@json_api(("GET", "PATCH"))
def equipment(request: HttpRequest, access: Access, equipment_id: str) -> HttpResponse:
    e = _visible(access, equipment_id)
    if request.method == "PATCH":
        e = _patch(access, e, json_body(request))
    state = EquipmentState.objects.filter(equipment=e).first()
    faults = list(
        EquipmentFault.objects.filter(equipment=e).select_related("dispatch__station").order_by("-started_at")[:RECENT]
    )
    return json_response(
        {
            "id": e.id,
            "registry_code": e.registry_code,
            "kind": e.kind,
            "name": e.name,
            "using_unit": e.using_unit,
            "company_code": e.enterprise.company_code if e.enterprise else None,
            "maintenance_unit": e.maintenance_unit.name if e.maintenance_unit else None,
            "unit": _unit(e.maintenance_unit),
            "address": e.address or None,
            "location": {"type": "Point", "coordinates": [e.location.x, e.location.y]},
            "monitoring": e.monitoring,
            "monitoring_since": _iso(e.monitored_at),
            "reading": {k: v for k, v in (state.live if state else {}).items() if k != "faults"},
            "reading_at": state.time.isoformat() if state else None,
            "faults_open": [_fault(f) for f in faults if f.ended_at is None],
            "faults_recent": [_fault(f) for f in faults],
            "upkeep": {
                "state": e.upkeep,
                "maintained_at": _iso(e.maintained_at),
                "maintenance_interval_days": e.maintenance_interval_days,
                "contract_expires": _iso(e.contract_expires),
                "inspected_on": _iso(e.inspected_on),
                "inspection_passed": e.inspection_passed,
                "inspection_due": _iso(e.inspection_due),
                "manufactured_on": _iso(e.manufactured_on),
                "service_years": service_years(e.manufactured_on),
            },
            "stations": equipment_upkeep.nearest_stations(e.id),
            "may_change": access.may_register(e.enterprise_id),
        }
    )


PATCH = {
    "location": "object",
    "address": "text",
    "maintenance_unit": "int?",
    "contract_expires": "text?",
    "maintenance_interval_days": "int",
    "inspection_due": "text?",
    "manufactured_on": "text?",
}


def _point(value: dict, name: str) -> Point:
    if value.get("type") != "Point" or not isinstance(value.get("coordinates"), list):
        raise BadRequestError(f"{name}: a GeoJSON Point in CGCS2000 lon/lat")
    c = value["coordinates"]
    if len(c) < 2:
        raise BadRequestError(f"{name}: coordinates are [lon, lat]")
    lon = number(c[0], f"{name}.coordinates[0]", 73, 136)
    lat = number(c[1], f"{name}.coordinates[1]", 3, 54)
    return Point(lon, lat, srid=4490)


def _unit_of(value: int | None, name: str) -> MaintenanceUnit | None:
    if value is None:
        return None
    u = MaintenanceUnit.objects.filter(pk=integer(value, name, 1, 2**63 - 1)).first()
    if u is None:
        raise BadRequestError(f"{name}: no maintenance unit {value}")
    return u


def _patch(access: Access, e: SpecialEquipment, body: dict) -> SpecialEquipment:
    """设备迁移 (a new place), another unit, contract, interval and dates; each change in the audit trail."""
    if not access.may_register(e.enterprise_id):
        raise DeniedError("only supervisors, district officers and the using unit change a device's registration")
    members(body, PATCH)
    before = {}
    if "location" in body:
        before["location"] = [e.location.x, e.location.y]
        e.location = _point(body["location"], "location")
    if "address" in body:
        before["address"] = e.address
        e.address = text(body["address"], "address", 256)
    if "maintenance_unit" in body:
        before["maintenance_unit"] = e.maintenance_unit.name if e.maintenance_unit else None
        e.maintenance_unit = _unit_of(body["maintenance_unit"], "maintenance_unit")
    if "maintenance_interval_days" in body:
        before["maintenance_interval_days"] = e.maintenance_interval_days
        e.maintenance_interval_days = integer(body["maintenance_interval_days"], "maintenance_interval_days", 1, 366)
    for f in ("contract_expires", "inspection_due", "manufactured_on"):
        if f in body:
            before[f] = _iso(getattr(e, f))
            setattr(e, f, day(body[f], f) if body[f] is not None else None)
    if not before:
        return e
    with transaction.atomic():
        e.save(update_fields=[*before, "updated_at"])  # not the monitor's state, which the ingest writes meanwhile
        equipment_upkeep.sweep([e.id])
        after = {
            "location": [e.location.x, e.location.y],
            "address": e.address,
            "maintenance_unit": e.maintenance_unit.name if e.maintenance_unit else None,
            "maintenance_interval_days": e.maintenance_interval_days,
            **{f: _iso(getattr(e, f)) for f in ("contract_expires", "inspection_due", "manufactured_on")},
        }
        action = "moved" if "location" in before else "changed"
        audit.record(
            action,
            "geo_core.specialequipment",
            e.id,
            {"registry_code": e.registry_code, "before": before, "after": {k: after[k] for k in before}},
        )
    e.refresh_from_db()
    return e


@json_api(("GET",))
def faults(request: HttpRequest, access: Access, equipment_id: str) -> HttpResponse:
    e = _visible(access, equipment_id)
    qs = EquipmentFault.objects.filter(equipment=e).select_related("dispatch__station")
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


def _record(r: UpkeepRecord) -> dict:
    return {
        "id": r.id,
        "kind": r.kind,
        "label": r.get_kind_display(),
        "done_at": r.done_at.isoformat(),
        "by": r.by,
        "unit": r.unit.name if r.unit else None,
        "accuracy_m": r.accuracy_m,
        "distance_m": r.distance_m,
        "passed": r.passed,
        "next_due": _iso(r.next_due),
        "notes": r.notes or None,
        "source": r.source,
    }


@json_api(("GET",))
def records(request: HttpRequest, access: Access, equipment_id: str) -> HttpResponse:
    e = _visible(access, equipment_id)
    rows = [_record(r) for r in UpkeepRecord.objects.filter(equipment=e).select_related("unit")[:200]]
    return json_response({"equipment": e.id, "count": len(rows), "records": rows})


CHECKIN = {
    "kind": "text",
    "by": "text",
    "lon": "number",
    "lat": "number",
    "accuracy_m": "number",
    "passed": "bool?",
    "next_due": "text?",
    "notes": "text",
    "at": "text",
}


@json_api(("POST",))
def checkins(request: HttpRequest, access: Access, equipment_id: str) -> HttpResponse:
    """一键签到: maintenance, an inspection or a rescue crew's arrival, recorded at the device."""
    e = _visible(access, equipment_id)
    if not access.can_act:
        raise DeniedError("readers do not record maintenance or inspections")
    body = members(json_body(request), CHECKIN)
    for f in ("kind", "by", "lon", "lat", "accuracy_m"):
        if f not in body:
            raise BadRequestError(f"{f}: required")
    kind = body["kind"]
    if kind not in UpkeepRecord.Kind.values:
        raise BadRequestError(f"kind: {kind[:40]!r}; one of {', '.join(UpkeepRecord.Kind.values)}")
    at = instant(body["at"], "at") if body.get("at") else datetime.now(UTC)
    if (at - datetime.now(UTC)).total_seconds() > 300:
        raise BadRequestError("at: in the future")
    where = equipment_upkeep.CheckIn(
        number(body["lon"], "lon", 73, 136),
        number(body["lat"], "lat", 3, 54),
        number(body["accuracy_m"], "accuracy_m", 0, 100_000),
        at,
    )
    record = equipment_upkeep.check_in(
        e,
        kind,
        text(body["by"], "by", 128),
        where,
        user=access.user,
        passed=body.get("passed"),
        next_due=day(body["next_due"], "next_due") if body.get("next_due") else None,
        notes=text(body.get("notes", ""), "notes", 500),
    )
    return json_response(_record(record), status=201)


@json_api(("POST",))
def reassign(request: HttpRequest, access: Access) -> HttpResponse:
    """批量修改维保单位: the devices (ids) to another maintenance unit, all or none; one audit event with the ids."""
    body = members(json_body(request), {"equipment": "ints", "maintenance_unit": "int?"})
    ids = sorted({integer(i, "equipment", 1, 2**63 - 1) for i in body.get("equipment") or []})
    if not ids:
        raise BadRequestError("equipment: the ids of the devices to reassign")
    if len(ids) > MAX_REASSIGN:
        raise BadRequestError(f"equipment: at most {MAX_REASSIGN} devices at once")
    if "maintenance_unit" not in body:
        raise BadRequestError("maintenance_unit: required (null: none)")
    unit = _unit_of(body["maintenance_unit"], "maintenance_unit")
    found = list(scoped(SpecialEquipment.objects.filter(pk__in=ids), access).only("id", "enterprise_id"))
    missing = sorted(set(ids) - {e.id for e in found})
    if missing:
        raise NotFoundError(f"equipment: no special equipment {', '.join(map(str, missing[:10]))} you may see")
    denied = [e.id for e in found if not access.may_register(e.enterprise_id)]
    if denied:
        raise DeniedError(f"equipment: you may not change {', '.join(map(str, denied[:10]))}")
    with transaction.atomic():
        changed = SpecialEquipment.objects.filter(pk__in=ids).exclude(maintenance_unit=unit)
        before = dict(changed.values_list("id", "maintenance_unit__name"))
        n = changed.update(maintenance_unit=unit, updated_at=datetime.now(UTC))
        equipment_upkeep.sweep(ids)
        audit.record(
            "reassigned",
            "geo_core.specialequipment",
            f"{len(ids)} devices",
            {"equipment": ids, "maintenance_unit": unit.name if unit else None, "before": before},
        )
    return json_response({"equipment": len(ids), "changed": n, "maintenance_unit": _unit(unit)})


def _filtered(request: HttpRequest, access: Access):
    qs = scoped(SpecialEquipment.objects.all(), access)
    g = request.GET
    if v := g.get("kind"):
        qs = qs.filter(kind__in=known_codes(v, "kind", KIND_LABEL))
    if v := g.get("monitoring"):
        qs = qs.filter(monitoring__in=known_codes(v, "monitoring", MONITORING_LABEL))
    if v := g.get("upkeep"):
        qs = qs.filter(upkeep__in=known_codes(v, "upkeep", UPKEEP))
    if v := g.get("unit"):
        qs = qs.filter(maintenance_unit_id__in=[integer(u, "unit", 1, 2**63 - 1) for u in v.split(",") if u][:50])
    if v := g.get("region"):
        qs = qs.filter(in_regions(v, "location"))
    if v := g.get("q"):
        t = text(v, "q", 100)
        qs = qs.filter(
            Q(name__icontains=t) | Q(registry_code__icontains=t) | Q(address__icontains=t) | Q(using_unit__icontains=t)
        )
    return qs


def _page(request: HttpRequest, qs, fmt: str | None) -> tuple[int, list]:
    """(how many match, the rows asked for): a file takes them all (up to 200,000), a JSON page limit/offset."""
    if fmt:
        return qs.count(), list(qs[:200_000])
    limit = query_integer(request, "limit", 100, 1, 1000)
    offset = query_integer(request, "offset", 0, 0, 10_000_000)
    return qs.count(), list(qs[offset : offset + limit])


def _row(e: SpecialEquipment, open_faults: dict[int, list[str]], labels: dict[str, str]) -> dict:
    return {
        "id": e.id,
        "name": e.name,
        "registry_code": e.registry_code,
        "kind": e.kind,
        "kind_label": KIND_LABEL.get(e.kind, e.kind),
        "monitoring": e.monitoring,
        "monitoring_label": MONITORING_LABEL.get(e.monitoring, e.monitoring),
        "address": e.address,
        "alarm": "、".join(open_faults.get(e.id, [])) or None,
        "updated_at": e.monitored_at or e.updated_at,
        "using_unit": e.using_unit,
        "maintenance_unit": e.maintenance_unit.name if e.maintenance_unit else None,
        "upkeep": e.upkeep,
        "upkeep_label": labels.get(e.upkeep, e.upkeep),
        "maintained_at": e.maintained_at,
        "inspection_due": e.inspection_due,
        "service_years": service_years(e.manufactured_on),
        "lon": e.location.x,
        "lat": e.location.y,
    }


@json_api(("GET",))
def equipment_list(request: HttpRequest, access: Access) -> HttpResponse:
    """The list of seed 001 (设备名称、设备 id、类型、状态、位置、报警信息、更新时间, with units and upkeep), filtered,
    as JSON pages or a CSV/XLSX file (f=)."""
    from geo_core.equipment_codes import UPKEEP_STATES

    fmt = writing.list_format(request.GET.get("f"))
    qs = _filtered(request, access).select_related("maintenance_unit").order_by("registry_code")
    total, page = _page(request, qs, fmt)
    open_faults: dict[int, list[str]] = {}
    for eid, code in EquipmentFault.objects.filter(
        equipment_id__in=[e.id for e in page], ended_at__isnull=True
    ).values_list("equipment_id", "code"):
        open_faults.setdefault(eid, []).append(FAULTS[code].zh if code in FAULTS else code)
    labels = {u.code: u.zh for u in UPKEEP_STATES}
    rows = [_row(e, open_faults, labels) for e in page]
    if fmt:
        table = writing.rows_table("equipment", LIST_COLUMNS, rows, request.GET.get("lang") == "en")
        return writing.response(writing.write([table], fmt), fmt, "equipment")
    for r in rows:
        for f in ("updated_at", "maintained_at", "inspection_due"):
            r[f] = _iso(r[f])
    return json_response({"total": total, "count": len(rows), "equipment": rows})


@json_api(("GET",))
def fault_stats(request: HttpRequest, access: Access) -> HttpResponse:
    """Faults per month or quarter (seed 001: 按月或季度统计故障数量变化趋势), by fault code, within scope and the
    equipment filters (kind, unit, region, q); periods in the park's calendar."""
    by = request.GET.get("by", "month")
    if by not in ("month", "quarter"):
        raise BadRequestError(f"by: {by[:20]!r}; month or quarter")
    now = datetime.now(UTC)
    start = instant(request.GET["from"], "from") if request.GET.get("from") else now - timedelta(days=365)
    end = instant(request.GET["to"], "to") if request.GET.get("to") else now
    if (end - start).days > 3660:
        raise BadRequestError("from: at most ten years")
    devices = _filtered(request, access)
    trunc = (TruncMonth if by == "month" else TruncQuarter)("started_at", tzinfo=PARK_TZ)
    rows = (
        EquipmentFault.objects.filter(equipment__in=devices, started_at__gte=start, started_at__lt=end)
        .annotate(period=trunc)
        .values("period", "code")
        .annotate(n=Count("id"))
        .order_by("period", "code")
    )
    periods: dict[str, dict] = {}
    for r in rows:
        p = r["period"].astimezone(PARK_TZ)
        label = f"{p.year}-{p.month:02d}" if by == "month" else f"{p.year}-Q{(p.month - 1) // 3 + 1}"
        slot = periods.setdefault(label, {"period": label, "total": 0, "by_code": {}})
        slot["total"] += r["n"]
        slot["by_code"][r["code"]] = r["n"]
    return json_response(
        {"by": by, "from": start.isoformat(), "to": end.isoformat(), "periods": list(periods.values())}
    )


FAULT_COLUMNS = [
    ("registry_code", "设备注册代码"),
    ("name", "设备名称"),
    ("kind_label", "设备类别"),
    ("label", "故障"),
    ("started_at", "开始时间"),
    ("ended_at", "结束时间"),
    ("minutes", "持续(分钟)"),
    ("maintenance_unit", "维保单位"),
    ("station", "派往救援站"),
    ("distance_m", "距离(米)"),
    ("arrived_at", "到场时间"),
    ("address", "位置"),
]


@json_api(("GET",))
def fault_list(request: HttpRequest, access: Access) -> HttpResponse:
    """The fault history across devices (seed 001: 展示设备历史监测到的故障信息,通过维保单位、区域等筛选条件进行
    查询查看): the equipment filters (kind, unit, region, q) with the period (from, to) and fault code, newest
    first; JSON pages or a CSV/XLSX file (f=)."""
    fmt = writing.list_format(request.GET.get("f"))
    qs = EquipmentFault.objects.filter(equipment__in=_filtered(request, access))
    if request.GET.get("from"):
        qs = qs.filter(started_at__gte=instant(request.GET["from"], "from"))
    if request.GET.get("to"):
        qs = qs.filter(started_at__lt=instant(request.GET["to"], "to"))
    if code := request.GET.get("code"):
        if code not in FAULTS:
            raise BadRequestError(f"code: {code[:40]!r} is not a fault code; codes: {', '.join(FAULTS)}")
        qs = qs.filter(code=code)
    qs = qs.select_related("equipment__maintenance_unit", "dispatch__station").order_by("-started_at", "-id")
    total, page = _page(request, qs, fmt)
    rows = []
    for f in page:
        e, row = f.equipment, _fault(f)
        d = row.get("dispatch") or {}
        rows.append(
            {
                **row,
                "equipment": e.id,
                "registry_code": e.registry_code,
                "name": e.name,
                "kind": e.kind,
                "kind_label": KIND_LABEL.get(e.kind, e.kind),
                "address": e.address,
                "maintenance_unit": e.maintenance_unit.name if e.maintenance_unit else None,
                "minutes": round((f.ended_at - f.started_at).total_seconds() / 60, 1) if f.ended_at else None,
                "station": d.get("station"),
                "distance_m": d.get("distance_m"),
                "arrived_at": d.get("arrived_at"),
            }
        )
    if fmt:
        for r in rows:
            for k in ("started_at", "ended_at", "arrived_at"):
                r[k] = datetime.fromisoformat(r[k]) if r[k] else None
        table = writing.rows_table("faults", FAULT_COLUMNS, rows, request.GET.get("lang") == "en")
        return writing.response(writing.write([table], fmt), fmt, "equipment-faults")
    return json_response({"total": total, "count": len(rows), "faults": rows})


AGE_BUCKETS = (0, 5, 10, 15, 20, 25)  # years: 0-5, 5-10 ... 25 and more


@json_api(("GET",))
def service_age(request: HttpRequest, access: Access) -> HttpResponse:
    """Service age (服役年限, from the manufacturing date) as a distribution per district (seed 001: 自动计算服役年限
    并生成分布图谱), with the equipment filters; devices without a manufacturing date counted apart."""
    from django.db import connection

    ids = list(_filtered(request, access).values_list("id", flat=True)[:500_000])
    edges = list(AGE_BUCKETS[1:])
    with connection.cursor() as cur:
        cur.execute(
            """SELECT r.code, r.name, width_bucket(extract(epoch FROM age(now(), q.manufactured_on::timestamp))
                          / 31557600.0, %s::float8[]) AS bucket, count(*)
               FROM geo_core_specialequipment q
               LEFT JOIN geo_core_region r ON r.level = 'district' AND ST_Intersects(r.geom, q.location)
               WHERE q.id = ANY(%s) AND q.manufactured_on IS NOT NULL
               GROUP BY 1, 2, 3 ORDER BY 1, 3""",
            [edges, ids],
        )
        rows = cur.fetchall()
        cur.execute(
            "SELECT count(*) FROM geo_core_specialequipment WHERE id = ANY(%s) AND manufactured_on IS NULL", [ids]
        )
        unknown = cur.fetchone()[0]
    labels = [f"{a}-{b}" for a, b in pairwise(AGE_BUCKETS)] + [f"{AGE_BUCKETS[-1]}+"]
    regions: dict[str, dict] = {}
    for code, name, bucket, n in rows:
        slot = regions.setdefault(code or "", {"code": code, "name": name, "counts": [0] * len(labels)})
        slot["counts"][bucket] += n
    return json_response({"buckets": labels, "regions": list(regions.values()), "no_date": unknown})


# --- maintenance units and rescue stations ---------------------------------------------------------------------------

UNIT = {
    "name": "text",
    "credit_code": "text",
    "licence_no": "text",
    "licence_expires": "text?",
    "phone": "text",
    "address": "text",
    "location": "object?",
}
STATION = {"name": "text", "phone": "text", "location": "object"}


def _keeper(access: Access) -> None:
    if access.role not in ("supervisor", "district"):
        raise DeniedError("only supervisors and district officers keep the register of maintenance units")


def _devices(access: Access) -> dict[int, int]:
    """How many devices each unit keeps, of those the caller may see (an enterprise counts its own only)."""
    rows = scoped(SpecialEquipment.objects.filter(maintenance_unit__isnull=False), access)
    return dict(rows.values("maintenance_unit").annotate(n=Count("id")).values_list("maintenance_unit", "n"))


def _unit_full(u: MaintenanceUnit, devices: dict[int, int] | None = None) -> dict:
    return {
        **_unit(u),
        "credit_code": u.credit_code or None,
        "address": u.address or None,
        "location": {"type": "Point", "coordinates": [u.location.x, u.location.y]} if u.location else None,
        "stations": [
            {
                "id": s.id,
                "name": s.name,
                "phone": s.phone or None,
                "location": {"type": "Point", "coordinates": [s.location.x, s.location.y]},
            }
            for s in u.stations.all()
        ],
        "devices": (devices or {}).get(u.id, 0),
    }


def _apply_unit(u: MaintenanceUnit, body: dict) -> None:
    members(body, UNIT)
    for f, limit in (("name", 200), ("licence_no", 64), ("phone", 32), ("address", 256)):
        if f in body:
            setattr(u, f, text(body[f], f, limit).strip())
    if "credit_code" in body:
        code = text(body["credit_code"], "credit_code", 18).strip().upper()
        if code:
            try:
                validate_credit_code(code)
            except Exception as exc:  # django's ValidationError carries the reason
                raise BadRequestError(f"credit_code: {'; '.join(getattr(exc, 'messages', [str(exc)]))}") from None
        u.credit_code = code
    if "licence_expires" in body:
        u.licence_expires = day(body["licence_expires"], "licence_expires") if body["licence_expires"] else None
    if "location" in body:
        u.location = _point(body["location"], "location") if body["location"] is not None else None
    if not u.name:
        raise BadRequestError("name: required")
    if MaintenanceUnit.objects.filter(name=u.name).exclude(pk=u.pk).exists():
        raise BadRequestError(f"name: a unit named {u.name!r} exists")


@json_api(("GET", "POST"))
def units(request: HttpRequest, access: Access) -> HttpResponse:
    if request.method == "POST":
        _keeper(access)
        u = MaintenanceUnit()
        _apply_unit(u, json_body(request))
        with transaction.atomic():
            u.save()
            audit.record("created", "geo_core.maintenanceunit", u.id, {"name": u.name})
        return json_response(_unit_full(u), status=201)
    qs = MaintenanceUnit.objects.prefetch_related("stations")
    if v := request.GET.get("q"):
        qs = qs.filter(name__icontains=text(v, "q", 100))
    devices = _devices(access)
    return json_response({"units": [_unit_full(u, devices) for u in qs.order_by("name")[:1000]]})


def _unit_by_id(unit_id: str) -> MaintenanceUnit:
    uid = integer(unit_id, "unit", 1, 2**63 - 1)
    u = MaintenanceUnit.objects.filter(pk=uid).first()
    if u is None:
        raise NotFoundError(f"unit: no maintenance unit {uid}")
    return u


@json_api(("GET", "PATCH"))
def unit(request: HttpRequest, access: Access, unit_id: str) -> HttpResponse:
    u = _unit_by_id(unit_id)
    if request.method == "PATCH":
        _keeper(access)
        body = json_body(request)
        _apply_unit(u, body)
        with transaction.atomic():
            u.save()
            equipment_upkeep.sweep(list(u.equipment.values_list("id", flat=True)))
            audit.record("changed", "geo_core.maintenanceunit", u.id, {"name": u.name, "fields": sorted(body)})
        u = _unit_by_id(unit_id)
    return json_response(_unit_full(u, _devices(access)))


def _apply_station(s: RescueStation, body: dict) -> None:
    members(body, STATION)
    if "name" in body:
        s.name = text(body["name"], "name", 128).strip()
    if "phone" in body:
        s.phone = text(body["phone"], "phone", 32)
    if "location" in body:
        s.location = _point(body["location"], "location")
    if not s.name or s.location is None:
        raise BadRequestError("name, location: required")
    if RescueStation.objects.filter(unit_id=s.unit_id, name=s.name).exclude(pk=s.pk).exists():
        raise BadRequestError(f"name: the unit has a station named {s.name!r}")


@json_api(("POST",))
def stations(request: HttpRequest, access: Access, unit_id: str) -> HttpResponse:
    _keeper(access)
    u = _unit_by_id(unit_id)
    s = RescueStation(unit=u, location=None)
    _apply_station(s, json_body(request))
    with transaction.atomic():
        s.save()
        audit.record("created", "geo_core.rescuestation", s.id, {"name": s.name, "unit": u.name})
    return json_response(_unit_full(_unit_by_id(unit_id), _devices(access)), status=201)


@json_api(("PATCH", "DELETE"))
def station(request: HttpRequest, access: Access, station_id: str) -> HttpResponse:
    _keeper(access)
    sid = integer(station_id, "station", 1, 2**63 - 1)
    s = RescueStation.objects.filter(pk=sid).first()
    if s is None:
        raise NotFoundError(f"station: no rescue station {sid}")
    with transaction.atomic():
        if request.method == "DELETE":
            audit.record("deleted", "geo_core.rescuestation", s.id, {"name": s.name, "unit": s.unit.name})
            s.delete()
            return HttpResponse(status=204)
        _apply_station(s, json_body(request))
        s.save()
        audit.record("changed", "geo_core.rescuestation", s.id, {"name": s.name, "unit": s.unit.name})
    return json_response(_unit_full(_unit_by_id(str(s.unit_id)), _devices(access)))
