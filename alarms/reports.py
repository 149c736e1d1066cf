"""Alarms and work orders as CSV and XLSX for monthly reports (STO-5): the rows of the list the caller asked for,
with its filters and scope, under Chinese column names (English with lang=en), times in Asia/Shanghai."""

from __future__ import annotations

from alarms.models import Alarm
from alarms.redact import redact, visible_assignees
from alarms.store import district_code, serialize
from geo_core.gisfiles import writing
from geo_core.scope import Scope

MAX_ROWS = 200_000

ALARM_COLUMNS = [
    ("id", "报警编号"),
    ("label", "报警类型"),
    ("type", "类型代码"),
    ("category", "类别"),
    ("severity", "级别"),
    ("status", "状态"),
    ("raised_at", "报警时间"),
    ("ended_at", "结束时间"),
    ("company_code", "企业编码"),
    ("subject", "对象编号"),
    ("subject_kind", "对象类型"),
    ("zone", "区域"),
    ("permit", "作业票号"),
    ("district", "属地(区县代码)"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("work_order", "工单号"),
]
WORK_ORDER_COLUMNS = [
    ("number", "工单号"),
    ("alarm", "报警编号"),
    ("type", "报警类型"),
    ("department", "处置部门"),
    ("company_code", "企业编码"),
    ("status", "状态"),
    ("district", "属地(区县代码)"),
    ("instructions", "处置要求"),
    ("assignees", "派遣人员"),
    ("resolution", "处置结果"),
    ("created_at", "派单时间"),
    ("resolved_at", "办结时间"),
]


def alarm_rows(alarms: list[Alarm], scope: Scope) -> list[dict]:
    """Flat rows of the serialized (and redacted) alarms, with the times as times."""
    out = []
    for a, s in zip(alarms, redact([serialize(a) for a in alarms], scope), strict=True):
        loc = s.get("location") or {}
        x, y = (loc.get("coordinates") or [None, None])[:2]
        out.append(
            {
                **s,
                "raised_at": a.raised_at,
                "ended_at": a.ended_at,
                "lon": x,
                "lat": y,
                "zone": (s.get("zone") or {}).get("name"),
                "permit": (s.get("permit") or {}).get("ticket_no"),
                "work_order": (s.get("work_order") or {}).get("number")
                if isinstance(s.get("work_order"), dict)
                else None,
            }
        )
    return out


def alarms_file(qs, scope: Scope, fmt: str, english: bool):
    alarms = list(qs.order_by("-raised_at", "-id")[:MAX_ROWS])
    table = writing.rows_table("alarms", ALARM_COLUMNS, alarm_rows(alarms, scope), english)
    return writing.response(writing.write([table], fmt), fmt, "alarms")


def work_orders_file(qs, fmt: str, english: bool, scope: Scope):
    rows = []
    orders = list(qs.order_by("-created_at")[:MAX_ROWS])
    for wo, assignees in zip(orders, visible_assignees([wo.assignees for wo in orders], scope), strict=True):
        rows.append(
            {
                "number": wo.number,
                "alarm": wo.alarm_id,
                "type": wo.alarm.type,
                "department": wo.department,
                "company_code": wo.enterprise.company_code if wo.enterprise else None,
                "status": wo.status,
                "district": district_code(wo.alarm.district_id),
                "instructions": wo.instructions,
                "assignees": "、".join(a.get("name") or a.get("code") or "(restricted)" for a in assignees),
                "resolution": wo.resolution,
                "created_at": wo.created_at,
                "resolved_at": wo.resolved_at,
            }
        )
    table = writing.rows_table("work_orders", WORK_ORDER_COLUMNS, rows, english)
    return writing.response(writing.write([table], fmt), fmt, "work-orders")
