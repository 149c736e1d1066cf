"""Weekly and monthly reports of a region as files (seed 001: "生成包含故障统计、趋势分析、改进建议的标准化
报告"; seed 000: "通过图形、报表、地图等形式"): the period's numbers (alarms by type, day and enterprise, machine
start-ups, special work, complaints, equipment faults), compared with the period before, suggestions drawn from
them, and a map of where the period's alarms were (the heat maps' own kernel density, over the region's outline),
as a PDF (WeasyPrint, from an HTML template, with the CJK fonts the bootstrap installs) and a workbook, kept in
`ReportFile`.

The numbers are the same queries the pages' APIs answer (the alarm list's scope by region, DailyCount, the permit
table, complaints), so the PDF holds what the report page shows for the same region and period."""

from __future__ import annotations

import base64
import io
import logging
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db.models import Count
from django.template.loader import render_to_string
from PIL import Image, ImageDraw
from pyproj import Transformer

from alarms.catalogue import SEVERITY_TERMS, TYPES
from alarms.models import Alarm, AlarmStatus
from geo_core import vocabulary
from geo_core.gisfiles import writing
from geo_core.gisfiles.targets import region_prefix
from geo_core.models import EquipmentFault, Region, WorkPermit
from geo_core.partitions import PARK_TZ
from geo_core.permit_codes import OPERATION_TYPE
from layers.heat import colour, density
from reports.models import Complaint, DailyCount, ReportFile

log = logging.getLogger(__name__)
SEVERE = {t.code for t in SEVERITY_TERMS if "severe" in t.flags}
_TO_MERC = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # the last day included

    @property
    def span(self) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time(0), PARK_TZ), datetime.combine(
            self.end + timedelta(days=1), time(0), PARK_TZ
        )

    def before(self) -> Period:
        if self.kind == "week":
            return Period("week", self.start - timedelta(days=7), self.start - timedelta(days=1))
        last = self.start - timedelta(days=1)
        return Period("month", last.replace(day=1), last)


def period_of(kind: str, day: date) -> Period:
    """The week (Monday to Sunday) or the calendar month holding `day`."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=6))
    start = day.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, nxt - timedelta(days=1))


def last_complete(kind: str, today: date) -> Period:
    return period_of(kind, today - timedelta(days=7) if kind == "week" else today.replace(day=1) - timedelta(days=1))


def _alarms(region: Region, p: Period):
    a, b = p.span
    return Alarm.objects.filter(raised_at__gte=a, raised_at__lt=b, location__intersects=region.geom).exclude(
        status=AlarmStatus.SUPPRESSED
    )


def numbers(region: Region, p: Period) -> dict:
    """The period's statistics for the region (and the period before, for the trend)."""
    a, b = p.span
    alarms = _alarms(region, p)
    by_type = Counter(dict(alarms.order_by().values_list("type").annotate(n=Count("id"))))
    by_day = Counter()
    for t in alarms.values_list("raised_at", flat=True):
        by_day[t.astimezone(PARK_TZ).date().isoformat()] += 1
    top = list(
        alarms.exclude(enterprise__isnull=True)
        .order_by()
        .values("enterprise__name", "company_code")
        .annotate(n=Count("id"))
        .order_by("-n", "company_code")[:10]
    )
    prefix = region_prefix(region.code)
    startups = DailyCount.objects.filter(
        metric="startup", day__gte=p.start, day__lte=p.end, district__code__startswith=prefix
    ).values_list("day", "n")
    starts_by_day = Counter()
    for d, n in startups:
        starts_by_day[d.isoformat()] += n
    permits = WorkPermit.objects.filter(
        deleted=False, planned_start__gte=a, planned_start__lt=b, location__intersects=region.geom
    )
    by_op = Counter(OPERATION_TYPE.get(t) for t in permits.values_list("ticket_type", flat=True))
    complaints = Complaint.objects.filter(received_at__gte=a, received_at__lt=b, district__code__startswith=prefix)
    faults = EquipmentFault.objects.filter(
        started_at__gte=a, started_at__lt=b, equipment__location__intersects=region.geom
    )
    days = [(p.start + timedelta(days=k)).isoformat() for k in range((p.end - p.start).days + 1)]
    before = _alarms(region, p.before()).count()
    total = sum(by_type.values())
    return {
        "region": {"code": region.code, "name": region.name},
        "period": {"kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "alarms": total,
        "alarms_before": before,
        "severe": alarms.filter(severity__in=SEVERE).count(),
        "by_type": [
            {"type": k, "label": TYPES[k].label if k in TYPES else k, "n": n} for k, n in by_type.most_common()
        ],
        "by_day": [{"day": d, "alarms": by_day.get(d, 0), "startups": starts_by_day.get(d, 0)} for d in days],
        "startups": sum(starts_by_day.values()),
        "permits": permits.count(),
        "permits_by_operation": [{"operation": _operation(k), "n": n} for k, n in by_op.most_common() if k],
        "complaints": complaints.count(),
        "complaints_answered": complaints.filter(status=Complaint.Status.ANSWERED).count(),
        "faults": faults.count(),
        "top_enterprises": [{"name": t["enterprise__name"], "code": t["company_code"], "n": t["n"]} for t in top],
    }


def _operation(code: str) -> str:
    """The operation's words (geo_core.vocabulary, as the pages show them)."""
    term = next((t for t in vocabulary.get("operation").terms if t.code == code), None)
    return term.zh if term else code


def suggestions(n: dict) -> list[str]:
    """改进建议 drawn from the numbers: what stands out, in the words a weekly report uses."""
    out = []
    if n["alarms_before"] and n["alarms"] > 1.2 * n["alarms_before"]:
        rise = round(100 * (n["alarms"] - n["alarms_before"]) / n["alarms_before"])
        out.append(f"报警总数较上期上升 {rise}%，建议对上升最快的类型开展专项检查。")
    if n["by_type"] and n["alarms"] and n["by_type"][0]["n"] / n["alarms"] >= 0.3:
        t = n["by_type"][0]
        out.append(
            f"“{t['label']}”占全部报警的 {round(100 * t['n'] / n['alarms'])}%，建议督促相关企业排查原因、落实整改。"
        )
    if n["top_enterprises"] and n["alarms"] and n["top_enterprises"][0]["n"] / n["alarms"] >= 0.2:
        e = n["top_enterprises"][0]
        out.append(f"{e['name']}的报警数居首（{e['n']} 起），建议约谈企业安全负责人。")
    remote = next((t["n"] for t in n["by_type"] if t["type"] == "remote_scan"), 0)
    if remote:
        out.append(f"发生异地扫码 {remote} 起，建议核查是否存在借用、冒用焊机二维码的行为。")
    if n["complaints"] > n["complaints_answered"]:
        out.append(
            f"尚有 {n['complaints'] - n['complaints_answered']} 件投诉举报未反馈，请属地应急管理部门及时核查反馈。"
        )
    if n["severe"]:
        out.append(f"发生紧急/红色报警 {n['severe']} 起，请逐一复盘处置过程。")
    return out or ["本期各项指标平稳，请继续保持日常巡查与隐患排查。"]


def heat_image(region: Region, p: Period, width: int = 900, height: int = 560) -> bytes:
    """Where the period's alarms were: the heat maps' kernel density (layers.heat) in Web Mercator over the region's
    outline, as a PNG."""
    xmin, ymin, xmax, ymax = region.geom.extent
    x0, y0 = _TO_MERC.transform(xmin, ymin)
    x1, y1 = _TO_MERC.transform(xmax, ymax)
    scale = max((x1 - x0) / width, (y1 - y0) / height) * 1.05
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bx0, by1 = cx - scale * width / 2, cy + scale * height / 2  # the image's west and north edges
    pts = list(_alarms(region, p).exclude(location__isnull=True).values_list("location", flat=True))
    xs, ys = np.array([g.x for g in pts], float), np.array([g.y for g in pts], float)
    mx, my = _TO_MERC.transform(xs, ys) if len(pts) else (np.empty(0), np.empty(0))
    side = max(width, height)
    ext = (cx - scale * side / 2, cy - scale * side / 2, cx + scale * side / 2, cy + scale * side / 2)
    grid = density(np.asarray(mx), np.asarray(my), ext, side, max(2.0, 800.0 / scale))
    rgba = colour(grid)
    heat = Image.fromarray(np.moveaxis(rgba, 0, -1), "RGBA")
    left, top = (side - width) // 2, (side - height) // 2
    heat = heat.crop((left, top, left + width, top + height))
    base = Image.new("RGBA", (width, height), (246, 248, 250, 255))
    draw = ImageDraw.Draw(base)

    def px(lon, lat):
        x, y = _TO_MERC.transform(lon, lat)
        return ((x - bx0) / scale, (by1 - y) / scale)

    children = Region.objects.filter(parent=region) if region.level != "district" else Region.objects.none()
    for r, outline, fill in [*((c, (160, 168, 178, 255), None) for c in children), (region, (36, 41, 47, 255), None)]:
        for poly in r.geom:
            draw.polygon(
                [px(*c) for c in poly.exterior_ring.coords], outline=outline, fill=fill, width=2 if r == region else 1
            )
    out = Image.alpha_composite(base, heat)
    buf = io.BytesIO()
    out.convert("RGB").save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _pdf(n: dict, tips: list[str], image: bytes) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    title = f"{n['region']['name']}涉焊作业与特殊作业安全监管{'周报' if n['period']['kind'] == 'week' else '月报'}"
    html = render_to_string(
        "reports/report.html",
        {
            "title": title,
            "n": n,
            "tips": tips,
            "image": base64.b64encode(image).decode(),
            "change": _change(n),
            "made": datetime.now(PARK_TZ).strftime("%Y-%m-%d %H:%M"),
        },
    )
    # The template embeds its image: only data: URIs are read; no file and no network while rendering.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def _change(n: dict) -> str:
    if not n["alarms_before"]:
        return "上期无报警" if n["alarms"] else "与上期持平"
    d = round(100 * (n["alarms"] - n["alarms_before"]) / n["alarms_before"])
    return f"较上期{'上升' if d > 0 else '下降' if d < 0 else '持平'} {abs(d)}%" if d else "与上期持平"


def _xlsx(n: dict, tips: list[str]) -> bytes:
    summary = [
        {"k": "区域", "v": n["region"]["name"]},
        {"k": "统计周期", "v": f"{n['period']['start']} 至 {n['period']['end']}"},
        {"k": "报警总数", "v": n["alarms"]},
        {"k": "上期报警总数", "v": n["alarms_before"]},
        {"k": "紧急/红色报警", "v": n["severe"]},
        {"k": "焊机开机次数", "v": n["startups"]},
        {"k": "特殊作业票", "v": n["permits"]},
        {"k": "投诉举报", "v": n["complaints"]},
        {"k": "特种设备故障", "v": n["faults"]},
        *({"k": f"建议{i + 1}", "v": t} for i, t in enumerate(tips)),
    ]
    tables = [
        writing.rows_table("概况", [("k", "项目"), ("v", "数值")], [{**r, "v": str(r["v"])} for r in summary], False),
        writing.rows_table("报警类型", [("label", "报警类型"), ("n", "数量")], n["by_type"], False),
        writing.rows_table(
            "每日趋势", [("day", "日期"), ("alarms", "报警"), ("startups", "焊机开机")], n["by_day"], False
        ),
        writing.rows_table(
            "企业报警排名", [("name", "企业"), ("code", "企业编码"), ("n", "报警数")], n["top_enterprises"], False
        ),
    ]
    path = writing.write(tables, "xlsx")
    try:
        return path.read_bytes()
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def make(kind: str, region: Region, day: date, by: str) -> ReportFile:
    """Make (or make again) the report of the period holding `day`."""
    p = period_of(kind, day)
    n = numbers(region, p)
    tips = suggestions(n)
    image = heat_image(region, p)
    pdf, xlsx = _pdf(n, tips, image), _xlsx(n, tips)
    rf, _ = ReportFile.objects.update_or_create(
        kind=kind,
        region=region,
        period_start=p.start,
        defaults={
            "period_end": p.end,
            "created_by": by,
            "summary": {**n, "suggestions": tips},
            "pdf": pdf,
            "xlsx": xlsx,
        },
    )
    log.info("report made", extra={"kind": kind, "region": region.code, "start": p.start.isoformat(), "by": by,
                                   "pdf_bytes": len(pdf), "xlsx_bytes": len(xlsx)})  # fmt: skip
    return rf


def due(today: date, regions: list[Region]) -> list[tuple[str, Region, date]]:
    """The reports the schedule owes: last complete week and month for each region, where none is kept yet."""
    out = []
    for kind in ("week", "month"):
        p = last_complete(kind, today)
        have = set(
            ReportFile.objects.filter(kind=kind, period_start=p.start, region__in=regions).values_list(
                "region_id", flat=True
            )
        )
        out += [(kind, r, p.start) for r in regions if r.id not in have]
    return out
