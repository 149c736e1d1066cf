"""Records people search (seed 003: "当焊工使用移动端进行扫码开机作业时，系统会自动归集该作业信息，形成数据记录，
展示设备操作记录"): every scan-to-start of a welding machine, who scanned it, where the phone and the machine were, the
decision and the remote-scan verdict the alarm worker wrote on it.

    GET /api/records/scans?since=&until=&enterprise=&region=&decision=allow|deny&verdict=&machine=&f=csv|xlsx

Within the caller's scope (the machine's `Subject.VISIBILITY`: an enterprise sees its own machines' scans, a district
officer those of machines in its district); newest first; JSON pages or a file with Chinese column names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from geo_core.access import Access
from geo_core.apiview import json_api, json_response
from geo_core.errors import BadRequestError
from geo_core.gisfiles import writing
from geo_core.models import DeviceEvent, Subject
from geo_core.params import instant, known_codes, query_integer, text
from geo_core.queries import in_regions
from reports.models import WorkRecord

MAX_SPAN = timedelta(days=366)
VERDICTS = ("remote", "uncertain", "near")
COLUMNS = [
    ("time", "扫码时间"),
    ("machine", "焊机编号"),
    ("machine_name", "焊机名称"),
    ("company_code", "企业编码"),
    ("enterprise", "企业名称"),
    ("operator_id", "焊工编号"),
    ("operator_name", "焊工姓名"),
    ("certificate", "证书编号"),
    ("decision_label", "开机结果"),
    ("reason", "原因"),
    ("verdict_label", "扫码位置判定"),
    ("distance_m", "手机与焊机距离(米)"),
    ("phone_lon", "手机经度"),
    ("phone_lat", "手机纬度"),
]
DECISION = {"allow": "允许开机", "deny": "拒绝开机"}
VERDICT = {"remote": "异地扫码", "uncertain": "无法判定", "near": "现场扫码"}


def _machines(access: Access):
    """The welding machines the caller may see (`Subject.VISIBILITY`: by owner, or where they are now)."""
    return Subject.objects.filter(Q(kind="welder") & Subject.VISIBILITY.q(access.scope))


def span(request: HttpRequest, default: timedelta = timedelta(days=7)) -> tuple[datetime, datetime]:
    """`since` and `until` of a record list: the last `default` by default, at most a year per request."""
    g = request.GET
    until = instant(g["until"], "until") if g.get("until") else datetime.now(UTC)
    since = instant(g["since"], "since") if g.get("since") else until - default
    if until <= since:
        raise BadRequestError("until: must be after since")
    if until - since > MAX_SPAN:
        raise BadRequestError("since: at most a year per request")
    return since, until


COUNT_UP_TO = 10_000


def counted(qs) -> tuple[int, bool]:
    """How many rows a list has, counted up to COUNT_UP_TO (a week of a city's start-ups is a million and more:
    counting them all costs more than the page); `more` when there are more than that."""
    n = qs.order_by()[: COUNT_UP_TO + 1].count()
    return min(n, COUNT_UP_TO), n > COUNT_UP_TO


def companies(request: HttpRequest) -> list[str] | None:
    """`enterprise`: company codes, comma-separated (at most 50)."""
    v = request.GET.get("enterprise")
    return [text(c, "enterprise", 64) for c in v.split(",")][:50] if v else None


def _filtered(request: HttpRequest, access: Access):
    g = request.GET
    since, until = span(request)
    machines = _machines(access)
    if codes := companies(request):
        machines = machines.filter(enterprise__company_code__in=codes)
    if v := g.get("machine"):
        machines = machines.filter(Q(chip_id=v) | Q(external_id=v) | Q(qr_code=v))
    qs = DeviceEvent.objects.filter(kind="scan", subject__in=machines, time__gte=since, time__lt=until)
    if v := g.get("region"):  # where the machine was scanned (the scanning phone's place)
        qs = qs.filter(in_regions(v, "location"))
    if v := g.get("decision"):
        if v not in DECISION:
            raise BadRequestError(f"decision: {v[:20]!r}; allow or deny")
        qs = qs.filter(data__decision=v)
    if v := g.get("verdict"):
        if v not in VERDICTS:
            raise BadRequestError(f"verdict: {v[:20]!r}; one of {', '.join(VERDICTS)}")
        qs = qs.filter(data__remote_scan__result=v)
    return qs, since, until


def _row(ev: DeviceEvent) -> dict:
    d, m = ev.data or {}, ev.subject
    verdict = d.get("remote_scan") if isinstance(d.get("remote_scan"), dict) else {}
    return {
        "id": ev.id,
        "time": ev.time,
        "machine": m.chip_id or m.external_id,
        "machine_name": m.name,
        "company_code": m.enterprise.company_code if m.enterprise else None,
        "enterprise": m.enterprise.name if m.enterprise else None,
        "operator_id": d.get("operator_id"),
        "operator_name": d.get("operator_name") or None,
        "certificate": d.get("certificate") or None,
        "decision": d.get("decision"),
        "decision_label": DECISION.get(d.get("decision"), d.get("decision")),
        "reason": d.get("reason") or None,
        "verdict": verdict.get("result"),
        "verdict_label": VERDICT.get(verdict.get("result")) if verdict else None,
        "distance_m": verdict.get("distance_m"),
        "phone_lon": ev.location.x if ev.location else None,
        "phone_lat": ev.location.y if ev.location else None,
    }


@json_api(("GET",))
def scans(request: HttpRequest, access: Access) -> HttpResponse:
    qs, since, until = _filtered(request, access)
    qs = qs.select_related("subject__enterprise").order_by("-time", "-id")
    return listed(request, qs, _row, ("scans", COLUMNS, "scans"), (since, until), ("time",))


WORK_COLUMNS = [
    ("kind_label", "类别"),
    ("area", "区域/时段名称"),
    ("machine", "焊机编号"),
    ("machine_name", "焊机名称"),
    ("company_code", "企业编码"),
    ("enterprise", "企业名称"),
    ("district", "所在区县"),
    ("operator_id", "焊工编号"),
    ("operator_name", "作业焊工"),
    ("certificate", "证书编号"),
    ("started_at", "开始时间"),
    ("ended_at", "结束时间"),
    ("duration_min", "作业时长(分钟)"),
    ("lon", "经度"),
    ("lat", "纬度"),
]


def _work_row(w: WorkRecord) -> dict:
    m = w.machine
    return {
        "id": w.id,
        "kind": w.kind,
        "kind_label": w.get_kind_display(),
        "area": w.area_name,
        "zone": w.zone_id,
        "machine": m.chip_id or m.external_id,
        "machine_name": m.name,
        "company_code": w.enterprise.company_code if w.enterprise else None,
        "enterprise": w.enterprise.name if w.enterprise else None,
        "district": w.district.name if w.district else None,
        "operator_id": w.operator_id or None,
        "operator_name": w.operator_name or None,
        "certificate": w.certificate or None,
        "started_at": w.started_at,
        "ended_at": w.ended_at,
        "duration_s": w.duration_s,
        "duration_min": round(w.duration_s / 60, 1) if w.duration_s is not None else None,
        "alarm": w.alarm_id,
        "lon": w.location.x if w.location else None,
        "lat": w.location.y if w.location else None,
    }


@json_api(("GET",))
def key_area_work(request: HttpRequest, access: Access) -> HttpResponse:
    """GET /api/records/key-area-work?since=&until=&region=&enterprise=&zone=&kind=&open=true&f=csv|xlsx: the work
    in key areas, temporary zones and key periods (reports.WorkRecord), begun within the span, newest first; in the
    caller's scope (the record's enterprise, or where it was)."""
    writing.list_format(request.GET.get("f"))  # a bad f= refused before the query
    since, until = span(request)
    qs = WorkRecord.objects.filter(WorkRecord.VISIBILITY.q(access.scope), started_at__gte=since, started_at__lt=until)
    if codes := companies(request):
        qs = qs.filter(enterprise__company_code__in=codes)
    if v := request.GET.get("region"):
        qs = qs.filter(in_regions(v, "location"))
    if request.GET.get("zone"):
        qs = qs.filter(zone_id=query_integer(request, "zone", 0, 1, 2**62))
    if v := request.GET.get("kind"):
        qs = qs.filter(kind__in=known_codes(v, "kind", WorkRecord.Kind.values))
    if request.GET.get("open") in ("true", "1"):
        qs = qs.filter(ended_at__isnull=True)
    qs = qs.select_related("machine", "enterprise", "district").order_by("-started_at", "-id")
    return listed(
        request, qs, _work_row, ("key_area_work", WORK_COLUMNS, "records"), (since, until), ("started_at", "ended_at")
    )


def listed(request: HttpRequest, qs, row, table: tuple, span_: tuple, times: tuple[str, ...]) -> HttpResponse:
    """A record list as the caller asked: a file of its rows (f=csv|xlsx, Chinese headings) or a JSON page (limit,
    offset, a total counted up to COUNT_UP_TO) of `table` = (file name, columns, the page's key), times in RFC 3339."""
    fmt = writing.list_format(request.GET.get("f"))
    name, columns, key = table
    if fmt:
        rows = [row(x) for x in qs[:200_000]]
        out = writing.rows_table(name, columns, rows, request.GET.get("lang") == "en")
        return writing.response(writing.write([out], fmt), fmt, name)
    limit = query_integer(request, "limit", 100, 1, 1000)
    offset = query_integer(request, "offset", 0, 0, 10_000_000)
    total, more = counted(qs)
    rows = [row(x) for x in qs[offset : offset + limit]]
    for r in rows:
        for t in times:
            r[t] = r[t].isoformat() if r[t] else None
    since, until = span_
    return json_response(
        {"since": since.isoformat(), "until": until.isoformat(), "total": total, "total_more": more, key: rows}
    )
