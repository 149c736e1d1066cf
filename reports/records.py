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
from geo_core.params import instant, query_integer, text
from geo_core.queries import in_regions

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


def _filtered(request: HttpRequest, access: Access):
    g = request.GET
    until = instant(g["until"], "until") if g.get("until") else datetime.now(UTC)
    since = instant(g["since"], "since") if g.get("since") else until - timedelta(days=7)
    if until <= since:
        raise BadRequestError("until: must be after since")
    if until - since > MAX_SPAN:
        raise BadRequestError("since: at most a year per request")
    machines = _machines(access)
    if v := g.get("enterprise"):
        machines = machines.filter(enterprise__company_code__in=[text(c, "enterprise", 64) for c in v.split(",")][:50])
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
    fmt = writing.list_format(request.GET.get("f"))
    qs, since, until = _filtered(request, access)
    qs = qs.select_related("subject__enterprise").order_by("-time", "-id")
    if fmt:
        rows = [_row(ev) for ev in qs[:200_000]]
        table = writing.rows_table("scans", COLUMNS, rows, request.GET.get("lang") == "en")
        return writing.response(writing.write([table], fmt), fmt, "scans")
    limit = query_integer(request, "limit", 100, 1, 1000)
    offset = query_integer(request, "offset", 0, 0, 10_000_000)
    total = qs.count()
    rows = [_row(ev) for ev in qs[offset : offset + limit]]
    for r in rows:
        r["time"] = r["time"].isoformat()
    return json_response({"since": since.isoformat(), "until": until.isoformat(), "total": total, "scans": rows})
