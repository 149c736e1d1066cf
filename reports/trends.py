"""Trends for the report page and the wall (seed 003: "统计辖区内近七天、十五天焊机开机作业数量的发展趋势，
以线条图展示"; seed 000: alarms by type, region and period).

    GET /api/trends/startups?days=7|15&region=     machine start-ups per day and district (reports.DailyCount)
    GET /api/trends/alarms?by=type|district|day|month|severity&since=&until=&...   alarm counts, the alarm list's
                                                    filters and scope

Start-ups come from the counts the database keeps as power-on events arrive (one row per day and district), so a
trend reads at most a few hundred rows; alarms are grouped by PostgreSQL over the alarm table's own indexes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDay, TruncMonth
from django.http import HttpRequest, HttpResponse

from alarms.api import alarms_queryset, filter_alarms
from alarms.catalogue import SEVERITY_TERMS, TYPES
from geo_core.access import Access
from geo_core.apiview import json_api, json_response
from geo_core.errors import BadRequestError
from geo_core.gisfiles.targets import region_prefix
from geo_core.models import Region
from geo_core.params import integer, text
from geo_core.partitions import PARK_TZ
from reports import authority
from reports.models import DailyCount
from reports.records import span

ALARM_GROUPS = ("type", "district", "day", "month", "severity")


def _districts_in_scope(access: Access, region: str | None):
    """The districts whose counts the caller may see: every district for the park's supervisors, an officer's own,
    an enterprise's none (start-ups are counted by place, not by owner); narrowed to `region` (any level)."""
    qs = Region.objects.filter(level="district")
    scope = access.scope
    if not scope.everything:
        qs = qs.filter(id__in=scope.districts or ())
    if region:
        code = text(region, "region", 12)
        if not Region.objects.filter(code=code).exists():
            raise BadRequestError(f"region: no region with code {code[:12]!r}")
        qs = qs.filter(code__startswith=region_prefix(code))
    return qs


@json_api(("GET",))
def startups(request: HttpRequest, access: Access) -> HttpResponse:
    days = integer(request.GET.get("days", "7"), "days", 1, 31)
    today = datetime.now(PARK_TZ).date()
    first = today - timedelta(days=days - 1)
    districts = list(
        _districts_in_scope(access, request.GET.get("region")).order_by("code").values("id", "code", "name")
    )
    rows = DailyCount.objects.filter(
        metric="startup", day__gte=first, day__lte=today, district_id__in=[d["id"] for d in districts]
    ).values_list("day", "district_id", "n")
    counts = {(day, district): n for day, district, n in rows}
    dates = [first + timedelta(days=k) for k in range(days)]
    series = [
        {"code": d["code"], "name": d["name"], "counts": [counts.get((x, d["id"]), 0) for x in dates]}
        for d in districts
    ]
    totals = [sum(s["counts"][k] for s in series) for k in range(days)]
    return json_response({"days": [x.isoformat() for x in dates], "series": series, "totals": totals})


@json_api(("GET",))
def alarms(request: HttpRequest, access: Access) -> HttpResponse:
    by = request.GET.get("by", "type")
    if by not in ALARM_GROUPS:
        raise BadRequestError(f"by: {by[:20]!r}; one of {', '.join(ALARM_GROUPS)}")
    since, until = span(request, timedelta(days=30))
    params = request.GET.copy()
    params.pop("since", None)
    params.pop("until", None)
    if by != "severity" and set(request.GET) <= {"by", "since", "until", "region"} and authority.by_place(access):
        return _alarm_counts(request, access, by, since, until)
    qs = filter_alarms(alarms_queryset(access), params).filter(raised_at__gte=since, raised_at__lt=until)
    qs = qs.order_by()
    if by == "type":
        rows = qs.values("type").annotate(n=Count("id")).order_by("-n")
        out = [
            {"key": r["type"], "label": TYPES[r["type"]].label if r["type"] in TYPES else r["type"], "n": r["n"]}
            for r in rows
        ]
    elif by == "severity":
        got = dict(qs.values_list("severity").annotate(n=Count("id")))
        out = [{"key": t.code, "label": t.zh, "n": got.get(t.code, 0)} for t in SEVERITY_TERMS if got.get(t.code)]
    elif by == "district":
        rows = qs.values("district__code", "district__name").annotate(n=Count("id")).order_by("-n")
        out = [{"key": r["district__code"] or "", "label": r["district__name"] or "未知", "n": r["n"]} for r in rows]
    else:
        trunc = TruncDay if by == "day" else TruncMonth
        rows = qs.annotate(p=trunc("raised_at", tzinfo=PARK_TZ)).values("p").annotate(n=Count("id")).order_by("p")
        fmt = "%Y-%m-%d" if by == "day" else "%Y-%m"
        out = [
            {
                "key": r["p"].astimezone(PARK_TZ).strftime(fmt),
                "label": r["p"].astimezone(PARK_TZ).strftime(fmt),
                "n": r["n"],
            }
            for r in rows
        ]
    return json_response(
        {
            "by": by,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "total": sum(r["n"] for r in out),
            "groups": out,
        }
    )


def _alarm_counts(request: HttpRequest, access: Access, by: str, since, until) -> HttpResponse:
    """Alarms by type, district, day or month from the counts kept as alarms are written (reports.DailyCount): whole
    days of the park's calendar from `since`'s day to `until`'s, in the caller's districts (and `region`)."""
    first = since.astimezone(PARK_TZ).date()
    last = (until - timedelta(microseconds=1)).astimezone(PARK_TZ).date()
    rows = DailyCount.objects.filter(metric__startswith="alarm:", day__gte=first, day__lte=last)
    if not access.scope.everything or request.GET.get("region"):
        rows = rows.filter(district__in=_districts_in_scope(access, request.GET.get("region")))
    rows = rows.filter(n__gt=0)  # buckets emptied by a deletion or a move
    out: list[dict] = []
    if by == "type":
        for metric, n in rows.values_list("metric").annotate(n=Sum("n")).order_by("-n"):
            t = metric.split(":", 1)[1]
            out.append({"key": t, "label": TYPES[t].label if t in TYPES else t, "n": n})
    elif by == "district":
        for code, name, n in rows.values_list("district__code", "district__name").annotate(n=Sum("n")).order_by("-n"):
            out.append({"key": code or "", "label": name or "未知", "n": n})
    else:
        per: dict[str, int] = {}
        for day, n in rows.values_list("day").annotate(n=Sum("n")).order_by("day"):
            key = day.isoformat() if by == "day" else day.strftime("%Y-%m")
            per[key] = per.get(key, 0) + n
        out = [{"key": k, "label": k, "n": n} for k, n in per.items()]
    return json_response(
        {
            "by": by,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "whole_days": [first.isoformat(), last.isoformat()],
            "total": sum(r["n"] for r in out),
            "groups": out,
        }
    )
