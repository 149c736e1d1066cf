"""The video APIs' paths for the service's OpenAPI document (geo_core.openapi): fuzzed with the rest."""

from __future__ import annotations

from geo_core.openapi import op, param
from video.models import InspectionPlan, VideoChannel

CODE = param("code", "path", {"type": "string", "pattern": "^[0-9]{20}$"}, "GB/T 28181 channel code", required=True)
PLAN = param("plan_id", "path", {"type": "integer"}, "an inspection plan", required=True)
CALL = param("call_id", "path", {"type": "integer"}, "a group call of the caller's")
PARTY = {
    "type": "object",
    "description": "a person, body camera or phone by subject id, or a camera by channel code",
    "properties": {"subject": {"type": "integer"}, "channel": {"type": "string"}},
}
PARTIES = {"type": "array", "items": PARTY, "minItems": 1, "maxItems": 50}


def service_paths() -> dict:
    return {
        "/api/video/channels": {
            "get": op(
                "the video channels the caller may see",
                "listVideoChannels",
                [
                    param("bbox", "query", {"type": "string"}, "minlon,minlat,maxlon,maxlat"),
                    param("kind", "query", {"type": "string", "enum": VideoChannel.Kind.values}),
                    param("subject", "query", {"type": "integer"}, "a body camera's subject id"),
                ],
            )
        },
        "/api/video/at": {
            "get": op(
                "the channels that show a place: aimed at it, nearest, the subject's own",
                "videoAt",
                [
                    param("lon", "query", {"type": "number"}, required=True),
                    param("lat", "query", {"type": "number"}, required=True),
                    param("subject", "query", {"type": "integer"}),
                ],
            )
        },
        "/api/video/channels/{code}": {
            "get": op("one video channel the caller may see", "getVideoChannel", [CODE]),
            "patch": op(
                "place or aim a camera; its field of view is derived again",
                "aimVideoChannel",
                [CODE],
                body={
                    "type": "object",
                    "properties": {
                        "location": {"type": "object", "description": "GeoJSON Point"},
                        "heading": {"type": "number"},
                        "angle": {"type": "number"},
                        "range_m": {"type": "number"},
                    },
                },
            ),
        },
        "/api/video/channels/{code}/live": {
            "get": op("a short-lived signed URL of the channel's live stream", "videoLive", [CODE])
        },
        "/api/video/channels/{code}/record": {
            "get": op(
                "a short-lived signed URL of the channel's recording of a time range",
                "videoRecord",
                [
                    CODE,
                    param("from", "query", {"type": "string", "format": "date-time"}, required=True),
                    param("to", "query", {"type": "string", "format": "date-time"}, required=True),
                ],
            )
        },
        "/api/video/verify": {
            "get": op(
                "the media platform's play hook: is this token valid for this channel now",
                "videoVerify",
                [param("channel", "query", {"type": "string"}), param("token", "query", {"type": "string"})],
            )
        },
        "/api/video/holders/{subject_id}": {
            "put": op(
                "bind a body camera to the officer who carries it (an empty holder unbinds)",
                "bindBodyCamera",
                [param("subject_id", "path", {"type": "integer"})],
                body={
                    "type": "object",
                    "required": ["holder"],
                    "properties": {
                        "holder": {"type": "string"},
                        "unit": {"type": "string"},
                        "phone": {"type": "string"},
                    },
                },
            )
        },
        "/api/calls": {
            "get": op(
                "the caller's group calls",
                "listCalls",
                [param("status", "query", {"type": "string", "enum": ["open", "ended", "failed"]})],
            ),
            "post": op(
                "start a group call through the fusion-communication platform (503 when none is configured)",
                "startCall",
                body={
                    "type": "object",
                    "required": ["members"],
                    "properties": {"members": PARTIES, "selection": {"type": "object", "description": "GeoJSON"}},
                },
                status="201",
            ),
        },
        "/api/calls/{call_id}": {"get": op("one of the caller's group calls", "getCall", [CALL])},
        "/api/calls/{call_id}/members": {
            "post": op(
                "add parties to an open call",
                "addCallMembers",
                [CALL],
                body={"type": "object", "required": ["members"], "properties": {"members": PARTIES}},
            )
        },
        "/api/calls/{call_id}/members/{member_id}": {
            "delete": op(
                "remove a party from an open call",
                "removeCallMember",
                [CALL, param("member_id", "path", {"type": "integer"})],
            )
        },
        "/api/calls/{call_id}/end": {"post": op("end an open call", "endCall", [CALL])},
        "/api/inspections": {
            "get": op(
                "a day's inspection plans with each visit's progress from the officers' body cameras",
                "listInspections",
                [param("day", "query", {"type": "string", "format": "date"}, "YYYY-MM-DD, Asia/Shanghai")],
            ),
            "post": op(
                "plan a day's inspection: enterprises in the order of the visits, officers by body camera",
                "planInspection",
                body={
                    "type": "object",
                    "required": ["name", "day", "enterprises", "officers"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 128},
                        "kind": {"type": "string", "enum": InspectionPlan.Kind.values},
                        "day": {"type": "string", "format": "date"},
                        "department": {"type": "string", "maxLength": 128},
                        "enterprises": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 30},
                        "officers": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 20},
                    },
                },
                status="201",
            ),
        },
        "/api/inspections/{plan_id}": {
            "get": op("one inspection plan and its progress", "getInspection", [PLAN]),
            "delete": op("cancel an inspection plan (its author or a supervisor)", "cancelInspection", [PLAN]),
        },
    }
