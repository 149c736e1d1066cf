"""The reports' paths for the service's OpenAPI document (geo_core.openapi): fuzzed with the rest."""

from __future__ import annotations

from geo_core.openapi import op, param
from reports.models import WorkRecord
from reports.records import DECISION, VERDICTS
from reports.trends import ALARM_GROUPS
from reports.welders import MOBILITY, STATES

TIME = {"type": "string", "format": "date-time"}
FILES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _span_and_pages() -> list[dict]:
    return [
        param("since", "query", TIME),
        param("until", "query", TIME),
        param("enterprise", "query", {"type": "string"}),
        param("region", "query", {"type": "string"}),
        param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
        param("offset", "query", {"type": "integer", "minimum": 0}),
        param("f", "query", {"type": "string", "enum": ["json", "csv", "xlsx"]}),
    ]


def service_paths() -> dict:
    return {
        "/api/records/scans": {
            "get": op(
                "machine start-ups by scan (扫码开机记录): who, which machine, where, the decision and the remote-scan "
                "verdict, within the caller's scope; or a file",
                "listScanRecords",
                [
                    *_span_and_pages(),
                    param("machine", "query", {"type": "string"}),
                    param("decision", "query", {"type": "string", "enum": list(DECISION)}),
                    param("verdict", "query", {"type": "string", "enum": list(VERDICTS)}),
                ],
                also=FILES,
            )
        },
        "/api/records/key-area-work": {
            "get": op(
                "work in key areas, temporary zones and key periods (重点区域/时段作业记录): area, welder, machine, "
                "start, end, duration, kept as it happens, within the caller's scope; or a file",
                "listKeyAreaWork",
                [
                    *_span_and_pages(),
                    param("zone", "query", {"type": "integer", "minimum": 1}),
                    param("kind", "query", {"type": "string", "enum": list(WorkRecord.Kind.values)}),
                    param("open", "query", {"type": "string", "enum": ["true", "false"]}),
                ],
                also=FILES,
            )
        },
        "/api/permits/board": {
            "get": op(
                "the permit board of a day (作业许可看板): total, by operation, 作业中, 暂停, 完成, by level, "
                "per enterprise",
                "getPermitBoard",
                [
                    param("day", "query", {"type": "string", "format": "date"}),
                    param("enterprise", "query", {"type": "string"}),
                ],
            )
        },
        "/api/permits/months": {
            "get": op(
                "permits of a year by month (作业数量, 作业类型数量, 作业级别数量)",
                "getPermitMonths",
                [param("year", "query", {"type": "integer", "minimum": 2000, "maximum": 2100})],
            )
        },
        "/api/welders": {
            "get": op(
                "the register of certified welders (持证焊工): certificate, authority, validity, age, region, "
                "流动/固定",
                "listWelders",
                [
                    param("region", "query", {"type": "string"}),
                    param("category", "query", {"type": "string"}),
                    param("authority", "query", {"type": "string"}),
                    param("state", "query", {"type": "string", "enum": list(STATES)}),
                    param("mobility", "query", {"type": "string", "enum": list(MOBILITY)}),
                    param("q", "query", {"type": "string"}),
                    param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    param("offset", "query", {"type": "integer", "minimum": 0}),
                    param("f", "query", {"type": "string", "enum": ["json", "csv", "xlsx"]}),
                ],
                also=FILES,
            )
        },
        "/api/welders/stats": {
            "get": op(
                "certified welders by age band, issuing authority, region, mobility and certificate state",
                "getWelderStats",
                [param("region", "query", {"type": "string"}), param("category", "query", {"type": "string"})],
            )
        },
        "/api/trends/startups": {
            "get": op(
                "machine start-ups per day and district over the last days (开机作业趋势)",
                "getStartupTrend",
                [
                    param("days", "query", {"type": "integer", "minimum": 1, "maximum": 31}),
                    param("region", "query", {"type": "string"}),
                ],
            )
        },
        "/api/trends/alarms": {
            "get": op(
                "alarm counts by type, district, day, month or severity, with the alarm list's filters",
                "getAlarmTrend",
                [
                    param("by", "query", {"type": "string", "enum": list(ALARM_GROUPS)}),
                    param("since", "query", TIME),
                    param("until", "query", TIME),
                    param("type", "query", {"type": "string"}),
                    param("region", "query", {"type": "string"}),
                ],
            )
        },
        "/api/complaints": {
            "get": op(
                "complaints about welding work routed by place, in the caller's districts; or a file",
                "listComplaints",
                [
                    param("status", "query", {"type": "string"}),
                    param("region", "query", {"type": "string"}),
                    param("since", "query", TIME),
                    param("until", "query", TIME),
                    param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    param("f", "query", {"type": "string", "enum": ["json", "csv", "xlsx"]}),
                ],
                also=FILES,
            ),
            "post": op(
                "take a complaint in (supervisors): routed to the district its place or address falls in",
                "takeComplaint",
                body={
                    "type": "object",
                    "required": ["content"],
                    "properties": {
                        "content": {"type": "string", "maxLength": 2000},
                        "address": {"type": "string", "maxLength": 256, "nullable": True},
                        "lon": {"type": "number", "nullable": True},
                        "lat": {"type": "number", "nullable": True},
                        "crs": {"type": "string", "nullable": True},
                        "reporter": {"type": "string", "nullable": True},
                        "phone": {"type": "string", "nullable": True},
                        "source": {"type": "string", "nullable": True},
                        "received_at": {"type": "string", "format": "date-time", "nullable": True},
                    },
                },
                status="201",
            ),
        },
        "/api/complaints/stats": {
            "get": op(
                "complaints by district, status and month",
                "getComplaintStats",
                [param("since", "query", TIME), param("until", "query", TIME)],
            )
        },
        "/api/complaints/{number}/feedback": {
            "post": op(
                "the district's answer to a complaint of its district",
                "answerComplaint",
                [param("number", "path", {"type": "string"})],
                body={
                    "type": "object",
                    "required": ["feedback", "result"],
                    "properties": {
                        "feedback": {"type": "string", "maxLength": 2000},
                        "result": {"type": "string", "enum": ["查实", "部分查实", "不属实"]},
                    },
                },
            )
        },
        "/api/report-files": {
            "get": op(
                "the weekly and monthly reports kept, in the caller's regions",
                "listReportFiles",
                [param("kind", "query", {"type": "string"}), param("region", "query", {"type": "string"})],
            ),
            "post": op(
                "make a weekly or monthly report of a region now (PDF and XLSX)",
                "makeReportFile",
                body={
                    "type": "object",
                    "required": ["kind", "region"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["week", "month"]},
                        "region": {"type": "string"},
                        "day": {"type": "string", "format": "date", "nullable": True},
                    },
                },
                status="201",
            ),
        },
        "/api/report-files/{report}.{fmt}": {
            "get": op(
                "a kept report's file",
                "getReportFile",
                [
                    param("report", "path", {"type": "string"}),
                    param("fmt", "path", {"type": "string", "enum": ["pdf", "xlsx"]}),
                ],
                ok="application/pdf",
                also=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
            )
        },
    }
