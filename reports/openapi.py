"""The reports' paths for the service's OpenAPI document (geo_core.openapi): fuzzed with the rest."""

from __future__ import annotations

from geo_core.openapi import op, param
from reports.records import DECISION, VERDICTS

TIME = {"type": "string", "format": "date-time"}


def service_paths() -> dict:
    return {
        "/api/records/scans": {
            "get": op(
                "machine start-ups by scan (扫码开机记录): who, which machine, where, the decision and the remote-scan "
                "verdict, within the caller's scope; or a file",
                "listScanRecords",
                [
                    param("since", "query", TIME),
                    param("until", "query", TIME),
                    param("enterprise", "query", {"type": "string"}),
                    param("region", "query", {"type": "string"}),
                    param("machine", "query", {"type": "string"}),
                    param("decision", "query", {"type": "string", "enum": list(DECISION)}),
                    param("verdict", "query", {"type": "string", "enum": list(VERDICTS)}),
                    param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    param("offset", "query", {"type": "integer", "minimum": 0}),
                    param("f", "query", {"type": "string", "enum": ["json", "csv", "xlsx"]}),
                ],
                also=("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        }
    }
