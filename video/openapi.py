"""The video APIs' paths for the service's OpenAPI document (geo_core.openapi): fuzzed with the rest."""

from __future__ import annotations

from geo_core.openapi import op, param
from video.models import VideoChannel

CODE = param("code", "path", {"type": "string", "pattern": "^[0-9]{20}$"}, "GB/T 28181 channel code", required=True)


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
    }
