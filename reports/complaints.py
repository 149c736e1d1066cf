"""Complaints about welding work routed by place (seed 003: "将社会面涉焊作业的举报投诉信息按照所属区域进行下发，
由区应急局对投诉内容做出反馈"; REQUIREMENTS RPT-1).

    POST /api/complaints                     taken in by the city's supervisors: content, and a place (lon/lat in any
                                             supported CRS) or an address; routed to the district holding it
    GET  /api/complaints?status=&region=&since=&until=&f=csv|xlsx
    POST /api/complaints/{number}/feedback   the district's answer: feedback and result (查实, 部分查实, 不属实)
    GET  /api/complaints/stats?since=&until= by district, status and month

The place decides the district: a point, converted to CGCS2000 and found in the district polygons; otherwise the
address, matched against the service's own addresses (sites, then enterprises, whose places are known), then a
district named in it. A complaint no rule places waits as 待分派 for the supervisors. A district officer sees and
answers the complaints of their district only."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse

from geo_core.access import Access, DeniedError
from geo_core.apiview import json_api, json_body, json_response
from geo_core.errors import BadRequestError, NotFoundError
from geo_core.gisfiles import writing
from geo_core.gisfiles.targets import region_prefix
from geo_core.ingest.normalize import to_cgcs2000
from geo_core.models import Enterprise, Region, Site
from geo_core.params import instant, known_codes, members, number, query_integer, text
from geo_core.partitions import PARK_TZ
from geo_core.queries import in_regions
from reports import authority
from reports.models import Complaint
from reports.records import span

BODY = {
    "content": "text",
    "address": "text?",
    "lon": "number?",
    "lat": "number?",
    "crs": "text?",
    "reporter": "text?",
    "phone": "text?",
    "source": "text?",
    "received_at": "text?",
}
FEEDBACK = {"feedback": "text", "result": "text"}
RESULTS = ("查实", "部分查实", "不属实")
COLUMNS = [
    ("number", "编号"),
    ("received_at", "受理时间"),
    ("source", "来源"),
    ("content", "举报内容"),
    ("address", "地址"),
    ("district", "属地区县"),
    ("located_by", "定位方式"),
    ("status_label", "状态"),
    ("result", "核查结果"),
    ("feedback", "反馈"),
    ("answered_at", "反馈时间"),
]
LOCATED = {"point": "坐标", "address": "地址匹配", "district": "地址含区县名", "": "未定位"}


def _districts(access: Access) -> Q:
    """The complaints a caller may see: the supervisors' all, a district officer's their districts', none else."""
    ids = authority.districts(access, "complaints")
    return Q() if ids is None else Q(district_id__in=ids)


def district_at(point: Point) -> Region | None:
    return Region.objects.filter(level="district", geom__intersects=point).order_by("code").first()


def geocode(address: str) -> tuple[Point | None, Region | None, str]:
    """An address against the service's own: a site's or an enterprise's address it contains or that contains it
    (their place known), then a district whose name it holds."""
    a = address.strip()
    if len(a) >= 4:
        site = Site.objects.filter(Q(address=a) | Q(address__contains=a) if len(a) >= 6 else Q(address=a)).first()
        if site is not None and site.footprint is not None:
            p = site.footprint.point_on_surface
            p.srid = 4490
            return p, district_at(p), "address"
        ent = Enterprise.objects.filter(location__isnull=False).filter(address=a).first()
        if ent is not None:
            return ent.location, district_at(ent.location), "address"
    for region in Region.objects.filter(level="district").only("id", "name", "code"):
        if region.name and region.name in a:
            return None, region, "district"
    return None, None, ""


def _next_number(at: datetime) -> str:
    day = at.astimezone(PARK_TZ).strftime("%Y%m%d")
    n = Complaint.objects.filter(number__startswith=f"TS{day}").count() + 1
    return f"TS{day}{n:04d}"


@json_api(("GET", "POST"))
def complaints(request: HttpRequest, access: Access) -> HttpResponse:
    if request.method == "POST":
        return _take_in(request, access)
    fmt = writing.list_format(request.GET.get("f"))
    since, until = span(request, timedelta(days=30))
    qs = Complaint.objects.filter(_districts(access), received_at__gte=since, received_at__lt=until)
    if v := request.GET.get("status"):
        qs = qs.filter(status__in=known_codes(v, "status", Complaint.Status.values))
    if v := request.GET.get("region"):
        code = text(v, "region", 12)
        qs = qs.filter(in_regions(code, "location") | Q(district__code__startswith=region_prefix(code)))
    qs = qs.select_related("district")
    rows = [_row(c) for c in (qs[:200_000] if fmt else qs[: query_integer(request, "limit", 100, 1, 1000)])]
    if fmt:
        return writing.response(
            writing.write([writing.rows_table("complaints", COLUMNS, rows, False)], fmt), fmt, "complaints"
        )
    return json_response({"total": qs.count(), "complaints": rows})


def _take_in(request: HttpRequest, access: Access) -> HttpResponse:
    if access.role != "supervisor":
        raise DeniedError("complaints are taken in by the city's supervisors")
    body = members(json_body(request), BODY)
    if "content" not in body or not body["content"].strip():
        raise BadRequestError("content: required")
    content = text(body["content"], "content", 2000)
    address = text(body["address"], "address", 256) if body.get("address") else ""
    received = instant(body["received_at"], "received_at") if body.get("received_at") else datetime.now(UTC)
    point = region = None
    how = ""
    if body.get("lon") is not None or body.get("lat") is not None:
        if body.get("lon") is None or body.get("lat") is None:
            raise BadRequestError("lon, lat: give both or neither")
        crs = text(body["crs"], "crs", 32) if body.get("crs") else "cgcs2000"
        x = np.array([number(body["lon"], "lon", -180, 180)])
        y = np.array([number(body["lat"], "lat", -90, 90)])
        lon, lat, _, errs = to_cgcs2000(x, y, None, [crs], {"x": "lon", "y": "lat", "z": "z", "crs": "crs"})
        if errs:
            field, reason = errs[0]
            raise BadRequestError(f"{field}: {reason}")
        point = Point(float(lon[0]), float(lat[0]), srid=4490)
        region, how = district_at(point), "point"
        if region is None:
            raise BadRequestError("lon, lat: not within any district of the service's regions")
    elif address:
        point, region, how = geocode(address)
    with transaction.atomic():
        c = Complaint.objects.create(
            number=_next_number(received),
            received_at=received,
            source=text(body["source"], "source", 32) if body.get("source") else "",
            reporter=text(body["reporter"], "reporter", 64) if body.get("reporter") else "",
            phone=text(body["phone"], "phone", 32) if body.get("phone") else "",
            content=content,
            address=address,
            location=point,
            located_by=how,
            district=region,
            status=Complaint.Status.ROUTED if region else Complaint.Status.UNROUTED,
            routed_at=datetime.now(UTC) if region else None,
            taken_by=access.user.get_username(),
        )
    return json_response(_row(c), status=201)


def _row(c: Complaint) -> dict:
    return {
        "number": c.number,
        "received_at": c.received_at.isoformat(),
        "source": c.source,
        "content": c.content,
        "address": c.address,
        "lon": c.location.x if c.location else None,
        "lat": c.location.y if c.location else None,
        "located_by": c.located_by or None,
        "located_label": LOCATED.get(c.located_by, c.located_by),
        "district": c.district.name if c.district else None,
        "district_code": c.district.code if c.district else None,
        "status": c.status,
        "status_label": c.get_status_display(),
        "result": c.result or None,
        "feedback": c.feedback or None,
        "answered_by": c.answered_by or None,
        "answered_at": c.answered_at.isoformat() if c.answered_at else None,
    }


@json_api(("POST",))
def feedback(request: HttpRequest, access: Access, number_: str) -> HttpResponse:
    """The district's answer; only an officer of the complaint's district (or a supervisor) may give it."""
    c = Complaint.objects.filter(_districts(access), number=number_[:32]).select_related("district").first()
    if c is None:
        raise NotFoundError(f"complaint {number_[:32]!r}: none in your scope")
    if not access.can_act:
        raise DeniedError("readers do not answer complaints")
    if c.district_id is None:
        raise BadRequestError("route the complaint to a district first")
    body = members(json_body(request), FEEDBACK)
    for f in FEEDBACK:
        if not str(body.get(f, "")).strip():
            raise BadRequestError(f"{f}: required")
    if body["result"] not in RESULTS:
        raise BadRequestError(f"result: {body['result'][:20]!r}; one of {', '.join(RESULTS)}")
    c.feedback = text(body["feedback"], "feedback", 2000)
    c.result = body["result"]
    c.answered_by = access.user.get_username()
    c.answered_at = datetime.now(UTC)
    c.status = Complaint.Status.ANSWERED
    c.save(update_fields=["feedback", "result", "answered_by", "answered_at", "status"])
    return json_response(_row(c))


@json_api(("GET",))
def stats(request: HttpRequest, access: Access) -> HttpResponse:
    since, until = span(request, timedelta(days=365))
    qs = Complaint.objects.filter(_districts(access), received_at__gte=since, received_at__lt=until).order_by()
    by_district = qs.values("district__code", "district__name", "status").annotate(n=Count("id"))
    regions: dict[str, dict] = {}
    for r in by_district:
        key = r["district__code"] or ""
        e = regions.setdefault(key, {"code": key or None, "name": r["district__name"] or "待分派", "total": 0})
        e[r["status"]] = e.get(r["status"], 0) + r["n"]
        e["total"] += r["n"]
    months = Counter()
    for t in qs.values_list("received_at", flat=True):
        months[t.astimezone(PARK_TZ).strftime("%Y-%m")] += 1
    status = Counter(dict(qs.values_list("status").annotate(n=Count("id"))))
    return json_response(
        {
            "total": sum(status.values()),
            "by_status": [
                {"status": s, "label": label, "n": status.get(s, 0)} for s, label in Complaint.Status.choices
            ],
            "by_district": sorted(regions.values(), key=lambda e: -e["total"]),
            "by_month": [{"month": m, "n": n} for m, n in sorted(months.items())],
        }
    )
