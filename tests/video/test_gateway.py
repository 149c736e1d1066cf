"""The gateway hands out short-lived signed URLs of the media platform's streams, only for channels the caller may
see, and the platform's play hook accepts such a URL for its channel only and until it expires (VID-1)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point

from geo_core.access import create_user
from geo_core.models import ApiToken, AuditEvent, Enterprise
from tests.geo_core.conftest import credit_code
from video import gateway
from video.models import VideoChannel

pytestmark = pytest.mark.django_db
LIVE = "http://media.test/rtp/{channel}.live.m3u8?token={token}"
RECORD = "http://media.test/record/{channel}/{start}-{end}.mp4"


@pytest.fixture
def scene(db, monkeypatch):
    video = {"video_live_url": LIVE, "video_record_url": RECORD, "video_url_ttl_s": 60}
    monkeypatch.setattr(settings, "CONFIG", replace(settings.CONFIG, **video))
    a = Enterprise.objects.create(company_code="GWA", name="网关甲", credit_code=credit_code(org="MA1GW0001"))
    b = Enterprise.objects.create(company_code="GWB", name="网关乙", credit_code=credit_code(org="MA1GW0002"))
    cam = VideoChannel.objects.create(
        code="31011600001320000101",
        name="甲罐区",
        kind="fixed",
        enterprise=a,
        location=Point(121.44, 30.785, srid=4490),
    )
    other = VideoChannel.objects.create(
        code="31011600001320000102",
        name="甲门口",
        kind="fixed",
        enterprise=a,
        location=Point(121.441, 30.785, srid=4490),
    )

    def bearer(name, role, **kw):
        return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(create_user(name, 'Pw-strong-123!', role, **kw))[1]}"}

    return {
        "cam": cam,
        "other": other,
        "a": bearer("gw-a", "enterprise", enterprise=a),
        "b": bearer("gw-b", "enterprise", enterprise=b),
    }


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_a_live_url_plays_its_channel_until_it_expires_and_no_other(client, scene):
    r = client.get(f"/api/video/channels/{scene['cam'].code}/live", **scene["a"])
    assert r.status_code == 200
    body = r.json()
    assert body["url"].startswith(f"http://media.test/rtp/{scene['cam'].code}.live.m3u8?token=")
    assert 55 <= body["expires"] - time.time() <= 61
    tok = token_of(body["url"])
    ok = client.get("/api/video/verify", {"channel": scene["cam"].code, "token": tok})
    assert ok.status_code == 200
    assert ok.json()["what"] == "live"
    other = client.get("/api/video/verify", {"channel": scene["other"].code, "token": tok})
    assert other.status_code == 403
    assert "not issued for this channel" in other.json()["reason"]
    forged = tok[:-3] + ("aaa" if not tok.endswith("aaa") else "bbb")
    assert client.get("/api/video/verify", {"channel": scene["cam"].code, "token": forged}).status_code == 403
    with pytest.raises(ValueError, match="expired"):
        gateway.check(scene["cam"].code, tok, now=time.time() + 61)
    assert AuditEvent.objects.filter(action="video.live", target_id=scene["cam"].code).count() == 1


def test_another_enterprise_gets_no_url_for_a_channel_it_may_not_see(client, scene):
    r = client.get(f"/api/video/channels/{scene['cam'].code}/live", **scene["b"])
    assert r.status_code == 404
    assert client.get("/api/video/channels", **scene["b"]).json()["count"] == 0
    assert client.get("/api/video/channels", **scene["a"]).json()["count"] == 2


def test_a_recording_url_names_the_range_in_shanghai_time_and_refuses_a_range_too_long(client, scene):
    code = scene["cam"].code
    r = client.get(
        f"/api/video/channels/{code}/record",
        {"from": "2026-12-07T00:00:00Z", "to": "2026-12-07T00:01:30Z"},
        **scene["a"],
    )
    assert r.status_code == 200, r.content
    url = r.json()["url"]
    assert url.startswith(f"http://media.test/record/{code}/20261207T080000-20261207T080130.mp4?token=")
    start = int(datetime(2026, 12, 7, tzinfo=UTC).timestamp())
    assert gateway.check(code, token_of(url))["what"] == f"{start}-{start + 90}"
    long = client.get(
        f"/api/video/channels/{code}/record",
        {"from": "2026-12-07T00:00:00Z", "to": "2026-12-07T03:00:00Z"},
        **scene["a"],
    )
    assert long.status_code == 400
    assert long.json()["field"] == "to"
    backwards = client.get(
        f"/api/video/channels/{code}/record",
        {"from": "2026-12-07T01:00:00Z", "to": "2026-12-07T00:00:00Z"},
        **scene["a"],
    )
    assert backwards.status_code == 400


def test_without_a_media_platform_the_answer_says_so(client, scene, monkeypatch):
    monkeypatch.setattr(settings, "CONFIG", replace(settings.CONFIG, video_live_url=""))
    r = client.get(f"/api/video/channels/{scene['cam'].code}/live", **scene["a"])
    assert r.status_code == 503
    assert "GEO_VIDEO_LIVE_URL" in r.json()["error"]


def test_malformed_questions_are_400_naming_the_field(client, scene):
    assert client.get("/api/video/at", {"lon": "nan", "lat": "30"}, **scene["a"]).json()["field"] == "lon"
    assert client.get("/api/video/channels", {"kind": "x"}, **scene["a"]).json()["field"] == "kind"
    assert client.get("/api/video/verify", {"channel": "1", "token": "x"}).status_code == 403
    assert client.get(f"/api/video/channels/{'9' * 30}/live", **scene["a"]).status_code == 400
