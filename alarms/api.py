"""The alarm APIs (ALM-5, ALM-6, the public contract): alarms with filters and paging, lifecycle actions, work
orders, rules and suppression windows. JSON over plain Django views; access from geo_core.access; errors from
geo_core.errors' one table."""

from __future__ import annotations

import json

from django.contrib.gis.geos import Polygon
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from alarms import lifecycle, reports
from alarms.catalogue import TYPES
from alarms.keys import FenceKey
from alarms.models import Alarm, AlarmRule, AlarmStatus, ProtectedRuleError, Suppression, WorkOrder
from alarms.redact import redact, visible_assignees, visible_zones
from alarms.store import district_code, serialize
from alarms.words import evidence_words
from geo_core.access import Access, DeniedError, scoped
from geo_core.apiview import json_api, json_body, json_response
from geo_core.errors import BadRequestError, NotFoundError
from geo_core.gisfiles import writing
from geo_core.models import AuditEvent, Enterprise, Subject, TimeWindow, Zone
from geo_core.params import bbox as parse_bbox
from geo_core.params import instant, integer, known_codes, members, query_integer, text
from geo_core.queries import in_regions

MAX_LIMIT = 1000


def _bbox(value: str) -> Polygon:
    return Polygon.from_bbox(parse_bbox(value, strict=True))


def alarms_queryset(access: Access):
    qs = Alarm.objects.select_related("subject", "zone", "permit", "work_order")
    return scoped(qs, access).exclude(status=AlarmStatus.SUPPRESSED)


def filter_alarms(qs, params) -> object:
    """The filters of the public contract; an unknown value is a 400 that names it."""
    if v := params.get("status"):
        wanted = v.split(",")
        unknown = set(wanted) - set(AlarmStatus.values)
        if unknown:
            raise BadRequestError(f"status: unknown {sorted(unknown)}; known: {', '.join(AlarmStatus.values)}")
        qs = qs.filter(status__in=wanted)
    if v := params.get("category"):
        qs = qs.filter(category__in=v.split(","))
    if v := params.get("code"):
        qs = qs.filter(code__in=v.split(","))
    if v := params.get("type"):
        qs = qs.filter(type__in=known_codes(v, "type", TYPES))
    if v := params.get("enterprise"):
        qs = qs.filter(company_code__in=v.split(","))
    if v := params.get("district"):  # jurisdiction (属地): GB/T 2260 district codes
        qs = qs.filter(district__code__in=v.split(","))
    if v := params.get("region"):  # jurisdiction at any level (province ... township, community): where it was raised
        qs = qs.filter(in_regions(v, "location"))
    if v := params.get("park"):
        qs = qs.filter(park__code__in=v.split(","))
    if v := params.get("zone"):
        qs = qs.filter(zone_id__in=[integer(z, "zone", 1, 2**62) for z in v.split(",") if z])
    if v := params.get("subject"):
        qs = qs.filter(subject__external_id=v)
    if v := params.get("since"):
        qs = qs.filter(raised_at__gte=instant(v, "since"))
    if v := params.get("until"):
        qs = qs.filter(raised_at__lt=instant(v, "until"))
    if v := params.get("open"):
        qs = qs.filter(ended_at__isnull=v.lower() in ("1", "true", "yes"))
    if v := params.get("bbox"):
        qs = qs.filter(location__intersects=_bbox(v))
    return qs


@json_api(("GET",))
def alarm_list(request: HttpRequest, access: Access) -> HttpResponse:
    fmt = writing.list_format(request.GET.get("f"))
    limit = query_integer(request, "limit", 100, 0, MAX_LIMIT)
    offset = query_integer(request, "offset", 0, 0, 10_000_000)
    qs = filter_alarms(alarms_queryset(access), request.GET)
    if fmt:
        return reports.alarms_file(qs, access.scope, fmt, request.GET.get("lang") == "en")
    total = qs.count()
    rows = list(qs.order_by("-raised_at", "-id")[offset : offset + limit])
    nxt = None
    if offset + limit < total:
        q = request.GET.copy()
        q["offset"], q["limit"] = str(offset + limit), str(limit)
        nxt = request.build_absolute_uri(f"{request.path}?{q.urlencode()}")
    return json_response(
        {
            "count": total,
            "limit": limit,
            "offset": offset,
            "next": nxt,
            "results": redact([serialize(a) for a in rows], access.scope),
        }
    )


@json_api(("GET",))
def alarm_detail(request: HttpRequest, access: Access, alarm_id: int) -> HttpResponse:
    a = alarms_queryset(access).get(pk=alarm_id)
    body = redact([serialize(a)], access.scope)[0]
    actions = list(a.actions.all())
    sent = visible_assignees([x.data.get("assignees", []) for x in actions], access.scope)
    body["actions"] = [
        {
            "action": x.action,
            "by": x.by_name,
            "at": x.at.isoformat(),
            "comment": x.comment,
            "data": {**x.data, "assignees": who} if "assignees" in x.data else x.data,
        }
        for x, who in zip(actions, sent, strict=True)
    ]
    body["evidence_words"], body["evidence_map"] = _in_words(a, body["evidence"], access)
    return json_response(body)


def _in_words(a: Alarm, evidence: dict, access: Access) -> tuple[list[dict], dict | None]:
    """The evidence as people read it (alarms.words), names resolved within the caller's scope, and the small map:
    the zone's outline (when the caller may see the zone) and the deciding fix."""
    names: dict[str, str] = {}
    fence = evidence.get("fence")
    ok = isinstance(fence, str) and fence[:1] in ("z", "p") and fence[1:].isdigit()
    key = FenceKey(fence) if ok else None
    zone_ids = {z for z in (a.zone_id, key.zone_id if key else None) if z}
    seen = visible_zones(zone_ids, access.scope)
    zones = {z.id: z for z in Zone.objects.filter(id__in=seen)}
    if key:
        if key.zone_id in zones:
            names[fence] = zones[key.zone_id].name
        elif key.permit_id and a.permit_id == key.permit_id and a.permit:
            names[fence] = f"作业票 {a.permit.ticket_no} 作业区域"
    if a.rule_id and a.rule:
        names[f"rule:{a.rule_id}"] = a.rule.name
    words = evidence_words(evidence, names)
    fix = evidence.get("fix") if isinstance(evidence.get("fix"), dict) else None
    point = [fix["lon"], fix["lat"]] if fix and "lon" in fix else (list(a.location.coords[:2]) if a.location else None)
    zone = zones.get(a.zone_id) or next(iter(zones.values()), None)
    outline = json.loads(zone.geom.simplify(0.00001, preserve_topology=True).geojson) if zone else None
    shapes = {"zone": outline, "zone_name": zone.name if zone else None, "fix": point} if point or outline else None
    return words, shapes


@json_api(("POST",))
def alarm_action(request: HttpRequest, access: Access, alarm_id: int, action: str) -> HttpResponse:
    if not access.can_act:
        raise DeniedError("read-only users cannot act on alarms")
    alarms_queryset(access).get(pk=alarm_id)  # 404 outside the user's scope
    body = json_body(request)
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        raise BadRequestError("comment: a text of at most 2000 characters")
    comment = text(comment, "comment", 2000)
    if action == "resolve" and not comment.strip():
        raise BadRequestError("comment: resolving needs a comment saying what was done")
    if action == "confirm":
        if access.role != "enterprise":
            raise DeniedError("the enterprise concerned confirms an alarm; supervisors see who has confirmed")
        alarm = lifecycle.confirm(alarm_id, access.user, comment)
        return json_response(redact([serialize(alarm)], access.scope)[0])
    assignees = _assignees(body.get("assignees"), access, alarm_id) if action == "dispatch" else None
    alarm = lifecycle.act(alarm_id, action, access.user, comment, body.get("department"), assignees)
    return json_response(redact([serialize(alarm)], access.scope)[0])


MAX_ASSIGNEES = 50


def _assignees(value, access: Access, alarm_id: int) -> list[dict]:
    """The people and body cameras a dispatch sends, by code: each must be one the dispatcher may see, and of the
    alarm's own enterprise or of none (the park's or the authority's staff): another enterprise's people would be
    named to everyone who reads the order (issue 24)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ASSIGNEES or not all(isinstance(v, str) for v in value):
        raise BadRequestError(f"assignees: a list of at most {MAX_ASSIGNEES} subject codes (people or body cameras)")
    codes = list(dict.fromkeys(text(v, "assignees", 64) for v in value))
    owner = Alarm.objects.filter(pk=alarm_id).values_list("enterprise_id", flat=True).first()
    # Ids are each enterprise's own: where two enterprises use one code, the alarm's enterprise's person is meant.
    rank = {owner: 0, None: 1}
    found: dict[str, Subject] = {}
    for s in scoped(Subject.objects.filter(external_id__in=codes, kind__in=("person", "body_camera", "phone")), access):
        have = found.get(s.external_id)
        if have is None or rank.get(s.enterprise_id, 2) < rank.get(have.enterprise_id, 2):
            found[s.external_id] = s
    missing = [c for c in codes if c not in found]
    if missing:
        raise BadRequestError(f"assignees: no person or body camera {', '.join(missing[:5])} that you may send")
    foreign = [c for c in codes if owner is not None and found[c].enterprise_id not in (owner, None)]
    if foreign:
        raise BadRequestError(
            f"assignees: {', '.join(foreign[:5])} belong to another enterprise than the alarm's; "
            "send the enterprise's own people, or the park's and the authority's"
        )
    return [{"code": c, "name": found[c].name, "kind": found[c].kind} for c in codes]


def _work_order(wo: WorkOrder, assignees: list[dict]) -> dict:
    return {
        "number": wo.number,
        "alarm": wo.alarm_id,
        "type": wo.alarm.type,
        "department": wo.department,
        "company_code": wo.enterprise.company_code if wo.enterprise else None,
        "status": wo.status,
        "district": district_code(wo.alarm.district_id),
        "instructions": wo.instructions,
        "assignees": assignees,
        "resolution": wo.resolution,
        "created_at": wo.created_at.isoformat(),
        "resolved_at": wo.resolved_at.isoformat() if wo.resolved_at else None,
    }


@json_api(("GET",))
def work_orders(request: HttpRequest, access: Access) -> HttpResponse:
    qs = scoped(WorkOrder.objects.select_related("alarm", "enterprise"), access)
    if v := request.GET.get("status"):
        qs = qs.filter(status__in=v.split(","))
    if v := request.GET.get("department"):
        qs = qs.filter(department=v)
    if v := request.GET.get("district"):
        qs = qs.filter(alarm__district__code__in=v.split(","))
    if fmt := writing.list_format(request.GET.get("f")):
        return reports.work_orders_file(qs, fmt, request.GET.get("lang") == "en", access.scope)
    limit = query_integer(request, "limit", 100, 0, MAX_LIMIT)
    offset = query_integer(request, "offset", 0, 0, 10_000_000)
    page = list(qs[offset : offset + limit])
    sent = visible_assignees([w.assignees for w in page], access.scope)
    return json_response({"count": qs.count(), "results": [_work_order(w, a) for w, a in zip(page, sent, strict=True)]})


@json_api(("GET",))
def work_order_detail(request: HttpRequest, access: Access, number: str) -> HttpResponse:
    qs = scoped(WorkOrder.objects.select_related("alarm", "enterprise"), access)
    wo = qs.get(number=number)
    return json_response(_work_order(wo, visible_assignees([wo.assignees], access.scope)[0]))


# --- rules ---------------------------------------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "type",
    "active",
    "severity",
    "params",
    "zone_kinds",
    "subject_kinds",
    "person_types",
    "tags",
    "window_mode",
    "route_department",
    "route_enterprise",
    "description",
)
RULE_BODY = {
    "name": "text",
    "type": "text",
    "active": "bool",
    "severity": "text",
    "params": "object",
    "zone_kinds": "texts",
    "subject_kinds": "texts",
    "person_types": "texts",
    "tags": "texts",
    "window_mode": "text",
    "route_department": "text",
    "route_enterprise": "bool",
    "description": "text",
    "zones": "ints?",
    "time_windows": "texts?",
    "enterprise": "text?",
    "id": "int",
}
SUPPRESSION_BODY = {
    "name": "text",
    "types": "texts",
    "zone": "int?",
    "enterprise": "text?",
    "starts_at": "text?",
    "ends_at": "text?",
    "time_window": "text?",
    "reason": "text",
}


def _rules(access: Access):
    """Rules the caller may read: park-wide ones (no enterprise) and those of enterprises in its scope."""
    qs = AlarmRule.objects.prefetch_related("zones", "time_windows").select_related("enterprise")
    return scoped(qs, access)


def _rule(r: AlarmRule, access: Access) -> dict:
    t = TYPES.get(r.type)
    zones = {z.id for z in r.zones.all()}
    return {
        "id": r.id,
        **{f: getattr(r, f) for f in RULE_FIELDS},
        "category": t.category if t else None,
        "code": t.code if t else None,
        "defaults": t.defaults if t else {},
        "zones": sorted(visible_zones(zones, access.scope)),
        "time_windows": [w.name for w in r.time_windows.all()],
        "enterprise": r.enterprise.company_code if r.enterprise else None,
        "updated_at": r.updated_at.isoformat(),
        "life_safety": r.life_safety,
        "label": t.label if t else r.type,
        **({"last_change": _last_change(r)} if r.life_safety else {}),
    }


def _last_change(r: AlarmRule) -> dict | None:
    """Who last changed a life-safety rule, and when (the wall shows it: such a change is everyone's business)."""
    e = (
        AuditEvent.objects.filter(target_type="alarms.alarmrule", target_id=str(r.id), action="changed")
        .order_by("-id")
        .first()
    )
    return None if e is None else {"by": e.actor_name, "at": e.at.isoformat(), "params": r.params}


def _save_rule(rule: AlarmRule, body: dict, partial: bool) -> AlarmRule:
    members(body, RULE_BODY)
    if not partial:
        missing = {"name", "type"} - set(body)
        if missing:
            raise BadRequestError(f"missing {sorted(missing)}")
    before = rule.fixed_fields() if rule.pk else None
    if rule.life_safety and (body.get("zones") or body.get("time_windows") or body.get("enterprise")):
        raise ProtectedRuleError(
            f"rule {rule.id} ({rule.name}) is a life-safety rule: it cannot be narrowed to "
            "zones, time windows or an enterprise"
        )
    for f in RULE_FIELDS:
        if f in body:
            setattr(rule, f, body[f])
    if "enterprise" in body:
        code = body["enterprise"]
        rule.enterprise = None if code in (None, "") else Enterprise.objects.filter(company_code=code).first()
        if code and rule.enterprise is None:
            raise BadRequestError(f"enterprise: no enterprise with company_code {code!r}")
    rule.refuse_unsafe_change(before)
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        if "zones" in body:
            ids = body["zones"] or []
            found = set(Zone.objects.filter(id__in=ids).values_list("id", flat=True))
            if set(ids) - found:
                raise BadRequestError(f"zones: no zones {sorted(set(ids) - found)}")
            rule.zones.set(ids)
        if "time_windows" in body:
            names = body["time_windows"] or []
            windows = list(TimeWindow.objects.filter(name__in=names))
            if len(windows) != len(set(names)):
                raise BadRequestError(f"time_windows: unknown {sorted(set(names) - {w.name for w in windows})}")
            rule.time_windows.set(windows)
        rule.save()  # touch updated_at after the relations: the engine reloads on it
    return rule


@json_api(("GET", "POST"))
def rules(request: HttpRequest, access: Access) -> HttpResponse:
    if request.method == "POST":
        if not access.can_manage_rules:
            raise DeniedError("only supervisors manage alarm rules")
        return json_response(_rule(_save_rule(AlarmRule(), json_body(request), partial=False), access), status=201)
    qs = _rules(access)
    types = {t.name: t.describe() for t in TYPES.values()}
    return json_response({"count": qs.count(), "results": [_rule(r, access) for r in qs], "types": types})


@json_api(("GET", "PUT", "PATCH", "DELETE"))
def rule_detail(request: HttpRequest, access: Access, rule_id: int) -> HttpResponse:
    rule = _rules(access).get(pk=rule_id)
    if request.method == "GET":
        return json_response(_rule(rule, access))
    if not access.can_manage_rules:
        raise DeniedError("only supervisors manage alarm rules")
    if request.method == "DELETE":
        rule.delete()
        return HttpResponse(status=204)
    return json_response(_rule(_save_rule(rule, json_body(request), partial=request.method == "PATCH"), access))


# --- suppression windows -------------------------------------------------------------------------------------------


def _suppression(s: Suppression) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "active": s.active,
        "types": s.types,
        "zone": s.zone_id,
        "enterprise": s.enterprise.company_code if s.enterprise else None,
        "starts_at": s.starts_at.isoformat() if s.starts_at else None,
        "ends_at": s.ends_at.isoformat() if s.ends_at else None,
        "time_window": s.time_window.name if s.time_window else None,
        "reason": s.reason,
        "suppressed": s.suppressed.count(),
    }


@json_api(("GET", "POST"))
def suppressions(request: HttpRequest, access: Access) -> HttpResponse:
    if request.method == "GET":
        qs = scoped(Suppression.objects.select_related("enterprise", "time_window"), access)
        return json_response({"results": [_suppression(s) for s in qs]})
    if not access.can_manage_rules:
        raise DeniedError("only supervisors set suppression windows")
    body = members(json_body(request), SUPPRESSION_BODY)
    unknown = sorted(set(body.get("types", [])) - set(TYPES))
    if unknown:
        raise BadRequestError(f"types: unknown {unknown}")
    if not body.get("types"):
        raise BadRequestError("types: name the alarm types to suppress (life-safety alarms are never suppressed)")
    protected = sorted(t for t in body["types"] if TYPES[t].life_safety)
    if protected:
        raise BadRequestError(f"types: {protected} are life-safety alarms and are never suppressed")
    s = Suppression(
        name=body.get("name", ""),
        types=body.get("types", []),
        zone_id=body.get("zone"),
        starts_at=instant(body["starts_at"], "starts_at") if body.get("starts_at") else None,
        ends_at=instant(body["ends_at"], "ends_at") if body.get("ends_at") else None,
        reason=body.get("reason", ""),
        created_by=access.user,
    )
    if body.get("enterprise"):
        s.enterprise = Enterprise.objects.filter(company_code=body["enterprise"]).first()
        if s.enterprise is None:
            raise BadRequestError(f"enterprise: no enterprise with company_code {body['enterprise']!r}")
    if body.get("time_window"):
        s.time_window = TimeWindow.objects.filter(name=body["time_window"]).first()
        if s.time_window is None:
            raise NotFoundError(f"time_window: no window named {body['time_window']!r}")
    s.full_clean()
    s.save()
    return json_response(_suppression(s), status=201)
