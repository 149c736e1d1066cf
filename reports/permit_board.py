"""The permit board (seed 002: 作业许可数据看板, GIS地图作业许可看板): the permits of a day, counted as the seed
lists them (total, by operation type, 作业中, 暂停中, 完成, by level), for the whole scope or one enterprise, with each
enterprise's counts to switch to; and the year by month (作业数量, 作业类型数量, 作业级别数量).

    GET /api/permits/board?day=YYYY-MM-DD&enterprise=CODE
    GET /api/permits/months?year=YYYY

A permit is of a day when its planned or actual span touches that day of the park's calendar (Asia/Shanghai); a
permit is counted in the month of its planned start. Withdrawn permits (DELETED=1) are not counted. The AQ 3064.2
feed carries the eight special operations only: 一般作业 (general work) is not reported by it and is not counted
here (`general` is null, not 0)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth
from django.http import HttpRequest, HttpResponse

from geo_core.access import Access
from geo_core.apiview import json_api, json_response
from geo_core.models import WorkPermit
from geo_core.params import day, integer, text
from geo_core.partitions import PARK_TZ
from geo_core.permit_codes import LEVELS, OPERATION_TYPE

WORKING, PAUSED, DONE = 2, 6, 3  # 作业中, 暂停, 完成 (已验收)


def _permits(access: Access):
    return WorkPermit.objects.filter(WorkPermit.VISIBILITY.q(access.scope), deleted=False)


def _counts(rows: list[dict]) -> dict:
    """The seed's list over (ticket_type, status, n) rows."""
    total = sum(r["n"] for r in rows)
    by_op, by_status, by_level = Counter(), Counter(), Counter()
    for r in rows:
        op = OPERATION_TYPE.get(r["ticket_type"])
        by_op[op] += r["n"]
        by_status[str(r["status"])] += r["n"]
        if lvl := LEVELS.get(r["ticket_type"]):
            by_level[f"{op}:{lvl}"] += r["n"]
    return {
        "total": total,
        "special": total,
        "general": None,
        "working": by_status.get(str(WORKING), 0),
        "paused": by_status.get(str(PAUSED), 0),
        "done": by_status.get(str(DONE), 0),
        "by_operation": {op: by_op.get(op, 0) for op in dict.fromkeys(OPERATION_TYPE.values())},
        "by_status": dict(by_status),
        "by_level": [
            {"operation": k.split(":")[0], "level": k.split(":")[1], "n": n} for k, n in sorted(by_level.items())
        ],
    }


@json_api(("GET",))
def board(request: HttpRequest, access: Access) -> HttpResponse:
    g = request.GET
    the_day = day(g["day"], "day") if g.get("day") else datetime.now(PARK_TZ).date()
    start = datetime.combine(the_day, time(0), PARK_TZ)
    end = start + timedelta(days=1)
    touches = Q(planned_start__lt=end, planned_end__gte=start) | Q(actual_start__lt=end, actual_end__gte=start)
    touches |= Q(actual_start__lt=end, actual_end__isnull=True, status__in=[WORKING, PAUSED])
    qs = _permits(access).filter(touches)
    rows = list(
        qs.values("enterprise__company_code", "enterprise__name", "ticket_type", "status").annotate(n=Count("id"))
    )
    per: dict[str, list[dict]] = {}
    names: dict[str, str] = {}
    for r in rows:
        per.setdefault(r["enterprise__company_code"], []).append(r)
        names[r["enterprise__company_code"]] = r["enterprise__name"]
    chosen = text(g["enterprise"], "enterprise", 64) if g.get("enterprise") else None
    enterprises = sorted(
        (
            {"company_code": code, "name": names[code], **{k: c[k] for k in ("total", "working", "paused", "done")}}
            for code, c in ((code, _counts(rs)) for code, rs in per.items())
        ),
        key=lambda e: (-e["total"], e["company_code"]),
    )
    return json_response(
        {
            "day": the_day.isoformat(),
            "enterprise": chosen,
            **_counts(per.get(chosen, []) if chosen else rows),
            "enterprises": enterprises,
        }
    )


@json_api(("GET",))
def months(request: HttpRequest, access: Access) -> HttpResponse:
    g = request.GET
    year = integer(g["year"], "year", 2000, 2100) if g.get("year") else datetime.now(PARK_TZ).year
    start = datetime(year, 1, 1, tzinfo=PARK_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=PARK_TZ)
    rows = list(
        _permits(access)
        .filter(planned_start__gte=start, planned_start__lt=end)
        .annotate(month=ExtractMonth("planned_start", tzinfo=PARK_TZ))
        .values("month", "ticket_type", "status")
        .annotate(n=Count("id"))
    )
    out = []
    for m in range(1, 13):
        c = _counts([r for r in rows if r["month"] == m])
        out.append({"month": m, **{k: c[k] for k in ("total", "by_operation", "by_level")}})
    return json_response({"year": year, "months": out, **{k: v for k, v in _counts(rows).items() if k == "total"}})
