"""Enforcement on the map (seed 004: 执法定位 "接入执法记录仪的定位数据，结合执法计划"; 实时查看 "实时查看当前执法进度、
现场画面与执法人员位置"): a day's inspection plans, the enterprises to visit and the officers who go, with each visit's
progress read from the officers' body-camera positions against the enterprise's sites, and each officer's camera one
click from the video.

Progress is derived when asked, in one query: a stop is **on site** while an officer's camera, heard within
`LIVE_S`, stands within `MARGIN_M` of the enterprise's sites (of its registered location when it has none); **visited**
once a camera's position history of the plan's day came there; else **to visit**. The arrival and the last time seen
come from the same history. Nothing is stored, so nothing goes stale and no worker is needed.

    GET    /api/inspections?day=YYYY-MM-DD     the day's plans (default: today in Asia/Shanghai)
    POST   /api/inspections                    {"name", "kind"?, "day", "department"?, "enterprises": [company code],
                                                "officers": [body camera subject id]}
    GET    /api/inspections/{id}
    DELETE /api/inspections/{id}               cancel it (its author, or a supervisor)

Who: supervisors, district officers (the plans that visit their district's enterprises; stops elsewhere are left
out) and read-only clients see them; supervisors and district officers make them, within their scope; enterprise
users do not see them (inspections may be unannounced)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from geo_core import audit
from geo_core.access import Access, scoped
from geo_core.apiview import json_api, json_body, json_response
from geo_core.errors import BadRequestError, DeniedError, NotFoundError
from geo_core.models import Enterprise, Subject
from geo_core.params import day as parse_day
from geo_core.params import integer, members, text
from geo_core.partitions import PARK_TZ
from video.models import InspectionPlan, InspectionStop, VideoChannel

MARGIN_M = 30.0  # an officer at the gate or on the boundary road is there (GNSS error on a body camera: 5-15 m)
FALLBACK_M = 150.0  # an enterprise with no site drawn: around its registered point
LIVE_S = 300  # a camera silent longer than this is not "on site now"
MAX_STOPS = 30
MAX_OFFICERS = 20
BODY = {
    "name": "text",
    "kind": "text?",
    "day": "text",
    "department": "text?",
    "enterprises": "texts",
    "officers": "ints",
}

# Per stop: where it is (the sites' centroid, else the registered point), when an officer of the plan first and last
# came there on the plan's day, and which officers stand there now. One statement for all the plans asked for.
PROGRESS_SQL = """
WITH stop AS (
    SELECT st.id, st.plan_id, p.day,
           COALESCE(
               (SELECT ST_SetSRID(ST_Buffer(ST_Union(s.footprint)::geography, %(margin)s)::geometry, 4490)
                  FROM geo_core_site s WHERE s.enterprise_id = st.enterprise_id),
               ST_SetSRID(ST_Buffer(e.location::geography, %(fallback)s)::geometry, 4490)) AS area,
           COALESCE(
               (SELECT ST_PointOnSurface(ST_Union(s.footprint)) FROM geo_core_site s
                 WHERE s.enterprise_id = st.enterprise_id),
               e.location) AS point
      FROM video_inspectionstop st
      JOIN video_inspectionplan p ON p.id = st.plan_id
      JOIN geo_core_enterprise e ON e.id = st.enterprise_id
     WHERE st.plan_id = ANY(%(plans)s)
)
SELECT stop.id, ST_X(stop.point), ST_Y(stop.point), seen.first, seen.last,
       ARRAY(SELECT ss.subject_id
               FROM geo_core_subjectstate ss
               JOIN video_inspectionplan_officers o
                 ON o.subject_id = ss.subject_id AND o.inspectionplan_id = stop.plan_id
              WHERE stop.day = (now() AT TIME ZONE 'Asia/Shanghai')::date
                AND ss.time > now() - make_interval(secs => %(live)s)
                AND stop.area IS NOT NULL AND ST_Intersects(stop.area, ST_Force2D(ss.geom))
              ORDER BY ss.subject_id)
  FROM stop
  LEFT JOIN LATERAL (
      SELECT min(f.time) AS first, max(f.time) AS last
        FROM geo_core_positionfix f
        JOIN video_inspectionplan_officers o ON o.subject_id = f.subject_id AND o.inspectionplan_id = stop.plan_id
       WHERE f.time >= (stop.day::timestamp AT TIME ZONE 'Asia/Shanghai')
         AND f.time < ((stop.day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
         AND stop.area IS NOT NULL AND ST_Intersects(stop.area, f.geom)
  ) seen ON TRUE
"""


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _progress(plan_ids: list[int]) -> dict[int, dict]:
    if not plan_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            PROGRESS_SQL, {"plans": plan_ids, "margin": MARGIN_M, "fallback": FALLBACK_M, "live": float(LIVE_S)}
        )
        rows = cur.fetchall()
    out = {}
    for sid, x, y, first, last, here in rows:
        status = "on_site" if here else "visited" if first is not None else "to_visit"
        out[sid] = {
            "location": {"type": "Point", "coordinates": [x, y]} if x is not None else None,
            "status": status,
            "arrived_at": _iso(first),
            "last_seen_at": _iso(last),
            "officers_here": list(here),
        }
    return out


def _officers(plans: list[InspectionPlan]) -> dict[int, dict]:
    """The plans' officers by subject id: who carries the camera, where it is now, its video channel."""
    ids = {s.id for p in plans for s in p.officers.all()}
    subjects = Subject.objects.filter(pk__in=ids).select_related("state")
    channels = {}
    for c in VideoChannel.objects.filter(subject_id__in=ids, active=True).order_by("code"):
        channels.setdefault(c.subject_id, {"code": c.code, "name": c.name})
    out = {}
    for s in subjects:
        attrs = s.attributes if isinstance(s.attributes, dict) else {}
        state = getattr(s, "state", None)
        out[s.id] = {
            "subject": s.id,
            "external_id": s.external_id,
            "holder": attrs.get("holder") or None,
            "unit": attrs.get("unit") or None,
            "location": {"type": "Point", "coordinates": [state.geom.x, state.geom.y]} if state else None,
            "seen_at": _iso(state.time) if state else None,
            "channel": channels.get(s.id),
        }
    return out


def _dump(plans: list[InspectionPlan], access: Access) -> list[dict]:
    """The plans as the caller may see them: stops outside its scope left out, a plan with none left out."""
    visible = set(scoped(Enterprise.objects.all(), access).values_list("id", flat=True)) if plans else set()
    progress = _progress([p.id for p in plans])
    officers = _officers(plans)
    out = []
    for p in plans:
        stops = []
        for st in p.stops.all():
            if st.enterprise_id not in visible:
                continue
            e = st.enterprise
            stops.append(
                {
                    "id": st.id,
                    "order": st.order,
                    "enterprise": {"id": e.id, "name": e.name, "company_code": e.company_code},
                    **progress.get(st.id, {"status": "to_visit", "officers_here": []}),
                }
            )
        if not stops:
            continue
        crew = [officers[s.id] for s in p.officers.all() if s.id in officers]
        at = {oid: st["id"] for st in stops for oid in st["officers_here"]}
        counts = {k: sum(1 for st in stops if st["status"] == k) for k in ("visited", "on_site", "to_visit")}
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "day": p.day.isoformat(),
                "department": p.department or None,
                "created_by": p.created_by.username if p.created_by else None,
                "cancelled": p.cancelled_at is not None,
                "progress": counts,
                "stops": stops,
                "officers": [{**o, "at_stop": at.get(o["subject"])} for o in crew],
            }
        )
    return out


def _readable(access: Access) -> None:
    if access.role == "enterprise":
        raise DeniedError("inspection plans are the authorities'")


def _plans(qs) -> list[InspectionPlan]:
    return list(
        qs.select_related("created_by").prefetch_related("officers", "stops__enterprise").order_by("day", "id")[:200]
    )


@json_api(("GET", "POST"))
def inspections(request: HttpRequest, access: Access) -> HttpResponse:
    _readable(access)
    if request.method == "POST":
        return _create(request, access)
    raw = request.GET.get("day")
    day = parse_day(raw, "day") if raw else timezone.now().astimezone(PARK_TZ).date()
    plans = _plans(InspectionPlan.objects.filter(day=day, cancelled_at__isnull=True))
    return json_response({"day": day.isoformat(), "plans": _dump(plans, access)})


def _create(request: HttpRequest, access: Access) -> HttpResponse:
    if access.role not in ("supervisor", "district"):
        raise DeniedError("only supervisors and district officers plan inspections")
    body = members(json_body(request), BODY)
    for name in ("name", "day", "enterprises", "officers"):
        if name not in body:
            raise BadRequestError(f"{name}: required")
    name = text(body["name"], "name", 128).strip()
    if not name:
        raise BadRequestError("name: empty")
    kind = body.get("kind") or InspectionPlan.Kind.SITE
    if kind not in InspectionPlan.Kind.values:
        raise BadRequestError(f"kind: {kind[:20]!r} is not one of {', '.join(InspectionPlan.Kind.values)}")
    codes, officer_ids = body["enterprises"], body["officers"]
    if not 1 <= len(codes) <= MAX_STOPS:
        raise BadRequestError(f"enterprises: 1 to {MAX_STOPS} company codes, in the order of the visits")
    if len(set(codes)) != len(codes):
        raise BadRequestError("enterprises: an enterprise is visited once per plan")
    if not 1 <= len(officer_ids) <= MAX_OFFICERS:
        raise BadRequestError(f"officers: 1 to {MAX_OFFICERS} body cameras (subject ids)")
    found = {e.company_code: e for e in scoped(Enterprise.objects.filter(company_code__in=codes), access)}
    for k, code in enumerate(codes):
        if code not in found:
            raise BadRequestError(f"enterprises[{k}]: no enterprise {code[:64]!r} you may inspect")
    cams = {s.id: s for s in scoped(Subject.objects.filter(pk__in=officer_ids, kind="body_camera"), access)}
    for k, sid in enumerate(officer_ids):
        if sid not in cams:
            raise BadRequestError(f"officers[{k}]: no body camera {sid} you may see")
    with transaction.atomic():
        plan = InspectionPlan.objects.create(
            name=name,
            kind=kind,
            day=parse_day(body["day"], "day"),
            department=text(body.get("department") or "", "department", 128).strip(),
            created_by=access.user,
        )
        plan.officers.set(cams.values())
        InspectionStop.objects.bulk_create(
            [InspectionStop(plan=plan, enterprise=found[c], order=k + 1) for k, c in enumerate(codes)]
        )
        audit.record("inspection.plan", "inspection_plan", plan.id, {"day": plan.day.isoformat(), "enterprises": codes})
    (out,) = _dump(_plans(InspectionPlan.objects.filter(pk=plan.pk)), access)
    return json_response(out, status=201)


@json_api(("GET", "DELETE"))
def inspection(request: HttpRequest, access: Access, plan_id: str) -> HttpResponse:
    _readable(access)
    pid = integer(plan_id, "plan", 1, 2**63 - 1)
    plans = _dump(_plans(InspectionPlan.objects.filter(pk=pid)), access)
    if not plans:
        raise NotFoundError(f"plan: no inspection plan {pid} you may see")
    if request.method == "DELETE":
        plan = InspectionPlan.objects.get(pk=pid)
        if access.role != "supervisor" and plan.created_by_id != access.user.pk:
            raise DeniedError("plan: only its author or a supervisor cancels it")
        if plan.cancelled_at is None:
            plan.cancelled_at = timezone.now()
            plan.save(update_fields=["cancelled_at", "updated_at"])
            audit.record("inspection.cancel", "inspection_plan", plan.id, {"day": plan.day.isoformat()})
        plans[0]["cancelled"] = True
    return json_response(plans[0])
