"""The gateway to the deployment's media platform (VID-1): the service never serves or transcodes video; it hands a
caller a short-lived, signed URL of the platform's own stream for a channel the caller may see, and answers the
platform's check of that URL (the play hook of ZLMediaKit, SRS, or a GB/T 28181 platform's equivalent).

Configured by environment (geo_core/config.py reads and checks it), the common platforms' conventions as URL
templates:
- `GEO_VIDEO_LIVE_URL`: live stream, e.g. `http://media:8080/rtp/{channel}.live.m3u8?token={token}` (HLS) or
  `http://media:8080/rtp/{channel}.live.flv?token={token}` (HTTP-FLV);
- `GEO_VIDEO_RECORD_URL`: a time range of the recording, `{start}`/`{end}` as 20261207T083000 (Asia/Shanghai),
  e.g. `http://media:8080/record/{channel}/{start}-{end}.m3u8?token={token}`;
- `GEO_VIDEO_URL_TTL_S` (300): how long an issued URL plays; `GEO_VIDEO_MAX_RECORD_S` (7200): the longest range.
A template without `{token}` gets `token=` appended. The token names the channel, what was asked (live or the
range), the user and the expiry, signed with the service's key: the platform's hook (`/api/video/verify`) accepts it
for that channel only, until it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings

from geo_core.errors import UnavailableError

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Platform:
    live: str
    record: str
    ttl_s: int
    max_record_s: int

    @classmethod
    def configured(cls) -> Platform:
        c = settings.CONFIG
        return cls(c.video_live_url, c.video_record_url, c.video_url_ttl_s, c.video_max_record_s)


def _key() -> bytes:
    return hashlib.sha256(b"video-url:" + settings.SECRET_KEY.encode()).digest()


def _sign(claim: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(_key(), claim.encode(), hashlib.sha256).digest()[:20]).decode().rstrip("=")


def token(channel: str, what: str, user_id: int, expires: int) -> str:
    """`what`: "live", or "start-end" of a recording (epoch seconds)."""
    return f"{user_id}.{expires}.{what}.{_sign(f'{channel}|{what}|{user_id}|{expires}')}"


def check(channel: str, value: str, now: float | None = None) -> dict:
    """The claim of a token the platform shows us for `channel`, or ValueError why it is refused."""
    try:
        user_id, expires, what, signature = value.split(".", 3)
        uid, exp = int(user_id), int(expires)
    except ValueError:
        raise ValueError("token: malformed") from None
    if not hmac.compare_digest(signature, _sign(f"{channel}|{what}|{uid}|{exp}")):
        raise ValueError("token: not issued for this channel")
    if (now if now is not None else time.time()) > exp:
        raise ValueError("token: expired")
    return {"user": uid, "expires": exp, "what": what}


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, SHANGHAI).strftime("%Y%m%dT%H%M%S")


def _fill(template: str, channel: str, tok: str, start: float | None = None, end: float | None = None) -> str:
    url = template.replace("{channel}", quote(channel)).replace("{token}", quote(tok))
    if start is not None:
        url = url.replace("{start}", _stamp(start)).replace("{end}", _stamp(end))
    if "{token}" not in template:
        url += ("&" if "?" in url else "?") + f"token={quote(tok)}"
    return url


def live_url(platform: Platform, channel: str, user_id: int, now: float | None = None) -> dict:
    if not platform.live:
        raise UnavailableError("no media platform for live video (GEO_VIDEO_LIVE_URL)")
    expires = int((now if now is not None else time.time()) + platform.ttl_s)
    tok = token(channel, "live", user_id, expires)
    return {"channel": channel, "url": _fill(platform.live, channel, tok), "expires": expires}


def record_url(
    platform: Platform, channel: str, user_id: int, start: float, end: float, now: float | None = None
) -> dict:
    if not platform.record:
        raise UnavailableError("no media platform for recordings (GEO_VIDEO_RECORD_URL)")
    if end <= start:
        raise ValueError("to: must be after from")
    if end - start > platform.max_record_s:
        raise ValueError(f"to: the range is {end - start:.0f} s; at most {platform.max_record_s} s at once")
    expires = int((now if now is not None else time.time()) + platform.ttl_s)
    tok = token(channel, f"{int(start)}-{int(end)}", user_id, expires)
    url = _fill(platform.record, channel, tok, start, end)
    return {"channel": channel, "url": url, "expires": expires, "from": start, "to": end}
