"""Certified welders (seeds 000, 003: 持证焊工统计、持证焊工详细列表; "查看分析统计焊工的年龄分布、发证机关、所在区域、
流动固定占比情况等"): the register behind the certificates, and its statistics.

    GET /api/welders?region=&authority=&mobility=mobile|fixed|none&state=valid|expiring|expired&q=&f=csv|xlsx
    GET /api/welders/stats?region=

A welder's region (所在区域) is where they last started a machine (their scan), else as registered; 流动 or 固定 is the
mobility of the machine they last started, which the mobile-machine rule decides from the machine's positions
(seed 003: "系统将判断为流动焊机"); 未开机 when no start-up has named the certificate. `expiring`: valid and ending
within 90 days (the statistics split it by 30, 60 and 90). Within the caller's scope: an enterprise sees its own
people's certificates, a district officer those of welders working in the district."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from geo_core.access import Access
from geo_core.apiview import json_api, json_response
from geo_core.errors import BadRequestError
from geo_core.gisfiles import writing
from geo_core.models import Certificate
from geo_core.params import known_codes, query_integer, text
from geo_core.partitions import PARK_TZ
from geo_core.queries import in_regions

WELDING = "焊接与热切割作业"
STATES = {"valid": "有效", "expiring": "即将到期", "expired": "已过期"}
MOBILITY = {"mobile": "流动", "fixed": "固定", "none": "未开机"}
AGE_BANDS = (
    (0, 30, "30岁以下"),
    (30, 40, "30-39岁"),
    (40, 50, "40-49岁"),
    (50, 60, "50-59岁"),
    (60, 200, "60岁及以上"),
)
EXPIRING_DAYS = 90
COLUMNS = [
    ("name", "姓名"),
    ("number", "证书编号"),
    ("category", "作业类别"),
    ("authority", "发证机关"),
    ("issued_on", "初领日期"),
    ("valid_until", "有效期至"),
    ("state_label", "证书状态"),
    ("age", "年龄"),
    ("region", "所在区域"),
    ("unit", "单位名称"),
    ("mobility_label", "流动/固定"),
    ("last_machine", "最近开机焊机"),
    ("last_scan_at", "最近开机时间"),
]


def _today() -> date:
    return datetime.now(PARK_TZ).date()


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _state(c: Certificate, today: date) -> str:
    if c.valid_until < today:
        return "expired"
    return "expiring" if c.valid_until <= today + timedelta(days=EXPIRING_DAYS) else "valid"


def _mobility(c: Certificate) -> str:
    m = c.last_machine
    return m.mobility if m is not None and m.mobility in ("mobile", "fixed") else "none"


def _register(request: HttpRequest, access: Access, with_filters: bool = True):
    g = request.GET
    qs = Certificate.objects.filter(Certificate.VISIBILITY.q(access.scope))
    category = text(g["category"], "category", 64) if g.get("category") else WELDING
    if category != "*":
        qs = qs.filter(category=category)
    if v := g.get("region"):
        qs = qs.filter(in_regions(v, "location"))
    if not with_filters:
        return qs
    today = _today()
    if v := g.get("authority"):
        qs = qs.filter(authority=text(v, "authority", 64))
    if v := g.get("state"):
        states = set(known_codes(v, "state", STATES))
        soon = today + timedelta(days=EXPIRING_DAYS)
        parts = {
            "expired": Q(valid_until__lt=today),
            "expiring": Q(valid_until__gte=today, valid_until__lte=soon),
            "valid": Q(valid_until__gt=soon),
        }
        q = Q(pk__in=[])
        for s in states:
            q |= parts[s]
        qs = qs.filter(q)
    if v := g.get("mobility"):
        chosen = set(known_codes(v, "mobility", MOBILITY))
        q = Q(pk__in=[])
        if "mobile" in chosen:
            q |= Q(last_machine__mobility="mobile")
        if "fixed" in chosen:
            q |= Q(last_machine__mobility="fixed")
        if "none" in chosen:
            q |= Q(last_machine__isnull=True)
        qs = qs.filter(q)
    if v := g.get("q"):
        v = text(v, "q", 64)
        qs = qs.filter(
            Q(holder_name__icontains=v) | Q(subject__name__icontains=v) | Q(number__icontains=v) | Q(unit__icontains=v)
        )
    return qs


def _row(c: Certificate, today: date) -> dict:
    state, mob = _state(c, today), _mobility(c)
    return {
        "id": c.id,
        "name": c.holder_name or (c.subject.name if c.subject else ""),
        "number": c.number,
        "category": c.category,
        "authority": c.authority or None,
        "issued_on": c.issued_on.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "state": state,
        "state_label": STATES[state],
        "age": _age(c.birth_date, today),
        "region": c.district.name if c.district else None,
        "region_code": c.district.code if c.district else None,
        "unit": c.unit or (c.subject.enterprise.name if c.subject and c.subject.enterprise else None),
        "mobility": mob,
        "mobility_label": MOBILITY[mob],
        "last_machine": (c.last_machine.chip_id or c.last_machine.external_id) if c.last_machine else None,
        "last_scan_at": c.last_scan_at.isoformat() if c.last_scan_at else None,
    }


@json_api(("GET",))
def register(request: HttpRequest, access: Access) -> HttpResponse:
    fmt = writing.list_format(request.GET.get("f"))
    today = _today()
    qs = _register(request, access).select_related("subject__enterprise", "district", "last_machine")
    qs = qs.order_by("valid_until", "id")
    if fmt:
        rows = [_row(c, today) for c in qs[:200_000]]
        table = writing.rows_table("welders", COLUMNS, rows, request.GET.get("lang") == "en")
        return writing.response(writing.write([table], fmt), fmt, "welders")
    limit = query_integer(request, "limit", 100, 1, 1000)
    offset = query_integer(request, "offset", 0, 0, 10_000_000)
    return json_response({"total": qs.count(), "welders": [_row(c, today) for c in qs[offset : offset + limit]]})


@json_api(("GET",))
def stats(request: HttpRequest, access: Access) -> HttpResponse:
    """Counts over the register in scope (and `region`, `category`): by age band, issuing authority, region,
    mobility and certificate state, with the certificates ending within 30, 60 and 90 days."""
    if set(request.GET) - {"region", "category"}:
        raise BadRequestError(f"unknown parameters: {sorted(set(request.GET) - {'region', 'category'})[:5]}")
    today = _today()
    rows = list(
        _register(request, access, with_filters=False).values_list(
            "birth_date", "authority", "district__name", "last_machine__mobility", "valid_until"
        )
    )
    ages, authorities, regions, mobility, states = Counter(), Counter(), Counter(), Counter(), Counter()
    ending = {30: 0, 60: 0, 90: 0}
    for birth, authority, region, mob, until in rows:
        age = _age(birth, today)
        ages[next((b[2] for b in AGE_BANDS if age is not None and b[0] <= age < b[1]), "未知")] += 1
        authorities[authority or "未知"] += 1
        regions[region or "未知"] += 1
        mobility[MOBILITY[mob if mob in ("mobile", "fixed") else "none"]] += 1
        left = (until - today).days
        states[STATES["expired" if left < 0 else "expiring" if left <= EXPIRING_DAYS else "valid"]] += 1
        for d in ending:
            if 0 <= left <= d:
                ending[d] += 1
    order = [b[2] for b in AGE_BANDS] + ["未知"]
    return json_response(
        {
            "total": len(rows),
            "by_age": [{"band": b, "n": ages.get(b, 0)} for b in order],
            "by_authority": [{"authority": a, "n": n} for a, n in authorities.most_common()],
            "by_region": [{"region": r, "n": n} for r, n in regions.most_common()],
            "by_mobility": [{"mobility": m, "n": mobility.get(m, 0)} for m in MOBILITY.values()],
            "by_state": [{"state": s, "n": states.get(s, 0)} for s in STATES.values()],
            "ending_within_days": {str(d): n for d, n in ending.items()},
        }
    )
