"""The demo's media platform (demo/media_source.py) against the service's play hook, over real HTTP with FFmpeg
encoding: a URL the gateway issued plays, for its channel and what it was issued for only, until it expires; a range
of the recording comes back with its times; an encoder nobody watches stops."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from tests.conftest import MEDIA_CHANNEL, PLATFORM_URLS, until
from video import gateway

pytestmark = pytest.mark.django_db
PLATFORM = gateway.Platform(PLATFORM_URLS["GEO_VIDEO_LIVE_URL"], PLATFORM_URLS["GEO_VIDEO_RECORD_URL"], 300, 7200)
OTHER = "31011600001380000077"  # not a source channel: it plays one of them


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def status(base: str) -> dict:
    return json.loads(get(f"{base}/status")[1])["channels"][0]


def segments(playlist: str, base: str) -> list[str]:
    return [base + line for line in playlist.splitlines() if line.startswith("/seg/")]


def test_an_issued_url_plays_for_its_channel_and_purpose_until_it_expires(media_source):
    url = gateway.live_url(PLATFORM, MEDIA_CHANNEL, 7)["url"]
    code, body = get(url)
    assert code == 200, body
    playlist = body.decode()
    assert "#EXTINF" in playlist
    assert "#EXT-X-PROGRAM-DATE-TIME" in playlist
    code, ts = get(segments(playlist, media_source)[0])
    assert code == 200
    assert ts[:1] == b"\x47", ts[:40]  # MPEG-TS sync byte: a real segment
    assert status(media_source)["running"]

    # Another channel's token on this channel, a forged one, an expired one, a live token for a recording: refused.
    foreign = gateway.live_url(PLATFORM, OTHER, 7)["url"].split("token=")[1]
    assert get(url.split("token=")[0] + "token=" + foreign)[0] == 403
    assert get(url[:-4] + "AAAA")[0] == 403
    assert get(gateway.live_url(PLATFORM, MEDIA_CHANNEL, 7, now=time.time() - 400)["url"])[0] == 403
    now = time.time()
    record = gateway.record_url(PLATFORM, MEDIA_CHANNEL, 7, now - 30, now + 60)["url"]
    assert get(record.split("token=")[0] + "token=" + url.split("token=")[1])[0] == 403

    # A channel that is not a source plays one (the demo's 60 body cameras need no 60 encoders).
    code, body = get(gateway.live_url(PLATFORM, OTHER, 7)["url"])
    assert code == 200
    assert f"/seg/{OTHER}/" in body.decode()


def test_a_range_of_the_recording_comes_with_its_times(media_source):
    get(gateway.live_url(PLATFORM, MEDIA_CHANNEL, 7)["url"])  # the encoder runs (and records) while watched
    assert until(lambda: status(media_source)["segments"] >= 4, 15)
    now = time.time()
    code, body = get(gateway.record_url(PLATFORM, MEDIA_CHANNEL, 7, now - 30, now + 60)["url"])
    assert code == 200, body
    playlist = body.decode()
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist
    assert "#EXT-X-ENDLIST" not in playlist
    times = [datetime.fromisoformat(t).timestamp() for t in re.findall(r"PROGRAM-DATE-TIME:(\S+)", playlist)]
    assert times == sorted(times)
    assert now - 30 - 1.5 <= times[0] <= now  # the segment that holds the range's start begins up to 1 s before
    assert times[-1] <= time.time()
    assert get(segments(playlist, media_source)[-1])[0] == 200

    # Over: a VOD playlist with its end; before anything was recorded: 404 with the reason.
    code, body = get(gateway.record_url(PLATFORM, MEDIA_CHANNEL, 7, now - 30, now - 1)["url"])
    assert code == 200
    assert body.decode().rstrip().endswith("#EXT-X-ENDLIST")
    code, body = get(gateway.record_url(PLATFORM, MEDIA_CHANNEL, 7, now - 7200, now - 3600)["url"])
    assert code == 404
    assert b"no recording" in body


def test_an_encoder_nobody_watches_stops_and_starts_again_when_asked(media_source):
    get(gateway.live_url(PLATFORM, MEDIA_CHANNEL, 7)["url"])
    assert status(media_source)["running"]
    assert until(lambda: not status(media_source)["running"], 10), "still encoding with nobody watching"
    code, body = get(gateway.live_url(PLATFORM, MEDIA_CHANNEL, 7)["url"])
    assert code == 200
    assert "#EXTINF" in body.decode()
    assert status(media_source)["running"]
