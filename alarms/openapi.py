"""The alarm APIs' paths for the service's OpenAPI document (geo_core.openapi)."""

from __future__ import annotations

from alarms.catalogue import TYPES
from geo_core.gisfiles import writing
from geo_core.openapi import op, param

ACTIONS = ["acknowledge", "dispatch", "resolve", "close", "confirm"]


def service_paths() -> dict:
    page = [
        param("limit", "query", {"type": "integer", "minimum": 0, "maximum": 1000}),
        param("offset", "query", {"type": "integer", "minimum": 0}),
    ]
    filters = [
        param(n, "query", {"type": "string"})
        for n in (
            "status",
            "category",
            "code",
            "type",
            "enterprise",
            "district",
            "region",
            "park",
            "zone",
            "subject",
            "open",
            "bbox",
        )
    ]
    times = [param(n, "query", {"type": "string", "format": "date-time"}) for n in ("since", "until")]
    rule = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": sorted(TYPES)},
            "active": {"type": "boolean"},
            "severity": {"type": "string"},
            "params": {"type": "object"},
            "zones": {"type": "array", "items": {"type": "integer"}},
            "zone_kinds": {"type": "array", "items": {"type": "string"}},
            "subject_kinds": {"type": "array", "items": {"type": "string"}},
            "person_types": {"type": "array", "items": {"type": "string"}},
            "time_windows": {"type": "array", "items": {"type": "string"}},
            "enterprise": {"type": "string", "nullable": True},
            "description": {"type": "string"},
        },
    }
    suppression = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "types": {"type": "array", "items": {"type": "string"}},
            "zone": {"type": "integer"},
            "enterprise": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "time_window": {"type": "string"},
            "reason": {"type": "string"},
        },
    }
    report = [
        param(
            "f", "query", {"type": "string", "enum": ["json", *writing.LIST_FORMATS]}, "a CSV or XLSX file for reports"
        ),
        param("lang", "query", {"type": "string", "enum": ["zh", "en"]}, "column names of a file"),
    ]
    report_media = tuple(writing.FORMATS[f].media_type for f in writing.LIST_FORMATS)
    alarm_id = param("alarm_id", "path", {"type": "integer", "minimum": 1})
    rule_id = param("rule_id", "path", {"type": "integer", "minimum": 1})
    return {
        "/api/alarms/": {
            "get": op(
                "alarms, newest first (f=csv|xlsx: every match as a file)",
                "listAlarms",
                [*filters, *times, *page, *report],
                also=report_media,
            )
        },
        "/api/alarms/{alarm_id}": {"get": op("one alarm with its actions", "getAlarm", [alarm_id])},
        "/api/alarms/{alarm_id}/{action}": {
            "post": op(
                "a lifecycle step",
                "actOnAlarm",
                [alarm_id, param("action", "path", {"type": "string", "enum": ACTIONS})],
                body={
                    "type": "object",
                    "properties": {
                        "comment": {"type": "string"},
                        "department": {"type": "string"},
                        "assignees": {
                            "type": "array",
                            "maxItems": 50,
                            "items": {"type": "string"},
                            "description": "dispatch: codes of the people and body cameras sent",
                        },
                    },
                },
            )
        },
        "/api/work-orders/": {
            "get": op(
                "work orders",
                "listWorkOrders",
                [
                    param("status", "query", {"type": "string"}),
                    param("department", "query", {"type": "string"}),
                    param("district", "query", {"type": "string"}),
                    *page,
                    *report,
                ],
                also=report_media,
            )
        },
        "/api/work-orders/{number}": {
            "get": op("one work order", "getWorkOrder", [param("number", "path", {"type": "string"})])
        },
        "/api/alarm-rules/": {
            "get": op("alarm rules in scope, and the catalogue of types", "listRules"),
            "post": op("a new rule (supervisors)", "createRule", body=rule, status="201"),
        },
        "/api/alarm-rules/{rule_id}": {
            "get": op("one rule", "getRule", [rule_id]),
            "patch": op("change a rule (supervisors)", "patchRule", [rule_id], body=rule),
            "delete": op("delete a rule (supervisors)", "deleteRule", [rule_id], status="204"),
        },
        "/api/alarm-suppressions/": {
            "get": op("suppression windows in scope", "listSuppressions"),
            "post": op("a new suppression window (supervisors)", "createSuppression", body=suppression, status="201"),
        },
    }
