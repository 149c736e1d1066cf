"""Video in the pages (VID-1..3), in Chromium against the tests' media platform (FFmpeg, demo/media_source.py): an
alarm in a camera's field of view plays that camera at once and its clip the right window; a camera clicked on the
3D wall plays in the wall's layouts (test_command_page.py); an enterprise's user neither sees nor gets another
enterprise's camera."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pyproj import Geod

from alarms.models import Alarm
from tests.web.conftest import committed, raise_alarm

pytestmark = pytest.mark.django_db
# A tile playing this channel (and mode), its picture past its first second.
PLAYING = """([code, mode]) => (window.__test.videos()?.tiles ?? []).some((x) => x.channel === code && x.mode === mode
    && x.state === 'playing' && x.currentTime > 1.0)"""


def tile(p, code: str, mode: str) -> dict:
    return next(x for x in p.js("() => window.__test.videos().tiles") if (x["channel"], x["mode"]) == (code, mode))


def advancing(p, code: str, mode: str = "live") -> None:
    """The tile's picture moves: its position grows while we watch."""
    first = tile(p, code, mode)["currentTime"]
    p.page.wait_for_timeout(1500)
    later = tile(p, code, mode)["currentTime"]
    assert later > first + 0.5, (first, later)


def test_an_alarm_in_a_cameras_view_plays_it_and_its_clip_plays_the_alarms_window(open_page, web_scene, media_source):
    p = open_page("web-sup")
    lon, lat = web_scene["centre_a"]
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 17)", [lon, lat])
    p.map_idle()
    p.until("() => window.__test.streams().alarms === 1")
    person = web_scene["people"]["WEBA-P1"]
    raised = datetime.now(UTC) - timedelta(seconds=5)

    zone = web_scene["zones"]["a"]  # the camera's field of view holds the place
    alarm = raise_alarm(web_scene, person, f"web-video:{person.id}", (lon - 0.001, lat), zone=zone, raised_at=raised)
    row = f"[data-alarm='{alarm.id}']"
    p.page.wait_for_selector(row, timeout=5000)
    p.page.click(row)
    # The camera aimed at the place plays at once, live, in the page's player.
    code = web_scene["camera"].code
    p.until(PLAYING, 20, [code, "live"])
    advancing(p, code)
    # Its clip: 30 s before the alarm to 60 s after (告警录像), from the platform's recording.
    p.page.click(f"#details [data-video=record][data-channel='{code}']")
    p.until("() => window.__test.videos().tiles.some((x) => x.mode === 'record')", 10)
    shown = p.js("() => window.__test.videos()")
    assert shown["layout"] == "1"  # the tablet's single picture: the clip took its place
    clip = shown["tiles"][0]
    assert datetime.fromisoformat(clip["from"]) == raised.replace(
        microsecond=raised.microsecond // 1000 * 1000
    ) - timedelta(seconds=30)
    assert datetime.fromisoformat(clip["to"]) - datetime.fromisoformat(clip["from"]) == timedelta(seconds=90)
    p.until(PLAYING, 20, [code, "record"])
    # Closing the panel ends every stream.
    p.page.click("#video .video-head .icon-button")
    assert all(t["state"] == "empty" for t in p.js("() => window.__test.videos().tiles"))
    committed(lambda: Alarm.objects.filter(id=alarm.id).delete())


def test_an_enterprise_user_neither_sees_nor_gets_another_enterprises_camera(open_page, web_scene):
    p = open_page("web-ent-b")
    cam = web_scene["camera"].location
    lon, lat = cam.x + 0.001, cam.y
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 17)", [lon, lat])
    p.until("() => window.__test.loaded()")
    p.page.wait_for_timeout(500)
    assert web_scene["camera"].code not in p.rendered("video", "code")
    code = web_scene["camera"].code
    status = p.js("(c) => fetch(`/api/video/channels/${c}/live`).then((r) => r.status)", code)
    assert status == 404
    a = open_page("web-ent-a")
    a.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 17)", [lon, lat])
    a.until("(c) => window.__test.loaded() && window.__test.rendered('video', 'code').includes(c)", 20, code)


def open_card(p, query: str, ready: str = "[data-call]") -> None:
    """A card found by the search box (a subject's code, a camera's name)."""
    p.page.fill("#search-input", query)
    p.page.click(f"#search-results button:has-text('{query}')")
    p.page.wait_for_selector(f"#details {ready}")


def test_a_group_call_from_the_cards_reaches_the_platform_with_parties_added_and_removed(
    open_page, web_scene, call_receiver
):
    p = open_page("web-sup")
    p.map_idle()
    start = len(call_receiver.got)
    first, second = web_scene["people"]["WEBA-P0"], web_scene["people"]["WEBA-P1"]
    for s, phone in ((first, "13900000000"), (second, "13900000001")):
        committed(lambda s=s, phone=phone: type(s).objects.filter(pk=s.pk).update(attributes={"phone": phone}))
    open_card(p, first.external_id)
    p.page.click("#details [data-call=start]")
    p.until("() => window.__test.call()?.status === 'open'")
    method, path, sent, _ = call_receiver.got[start]
    assert (method, path) == ("POST", "/fusion/calls")
    assert [(m["name"], m["phone"]) for m in sent["members"]] == [(first.name, "13900000000")]
    # One by one: the next card's button adds to the open call; the panel's × removes a party.
    open_card(p, second.external_id)
    p.page.click("#details [data-call=start]")
    p.until("(n) => window.__test.call()?.members.includes(n)", arg=second.name)
    assert call_receiver.got[start + 1][:2] == ("POST", "/fusion/calls/P-77/members")
    p.page.click(f"#call [data-name='{first.name}'] [data-remove]")
    p.until("(n) => !window.__test.call()?.members.includes(n)", arg=first.name)
    assert call_receiver.got[start + 2][0] == "DELETE"
    p.page.click("#call [data-call=end]")
    p.until("() => window.__test.call()?.status === 'ended'")
    assert call_receiver.got[start + 3][:2] == ("DELETE", "/fusion/calls/P-77")


def test_a_camera_is_aimed_by_a_line_drawn_on_the_map(open_page, web_scene):
    """VID-1: the field of view edited on the 2D page like a fence: from the camera's card, a line from where it
    stands to what it should see; the service stores the heading and range, the new sector is drawn."""
    cam = web_scene["camera"]
    p = open_page("web-sup")
    p.map_idle()
    open_card(p, cam.name, "[data-aim]")
    # The camera in the middle of the map (clear of the card), the search's flight over.
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 17)", [cam.location.x, cam.location.y])
    p.page.wait_for_timeout(300)
    p.page.fill("#details [data-aim-field=angle]", "45")
    p.page.click("#details [data-aim=draw]")
    box = p.page.locator("#map").bounding_box()
    x, y = p.js("(c) => window.__test.project(c)", [cam.location.x, cam.location.y])
    end = p.js("(xy) => window.__test.unproject(xy)", [x, y - 150])  # due north of the camera, 150 px
    for px, py in ((x, y), (x, y - 150)):  # the second point finishes the line
        p.page.mouse.click(box["x"] + px, box["y"] + py)
        p.page.wait_for_timeout(250)
    _, _, metres = Geod(ellps="GRS80").inv(cam.location.x, cam.location.y, *end)
    try:
        p.page.wait_for_selector("#details .aim .note:text-matches('已保存')", timeout=10_000)
        stored = committed(lambda: type(cam).objects.get(pk=cam.pk))
        assert abs(((stored.heading + 180) % 360) - 180) < 3, stored.heading  # north, within a pixel's worth
        assert abs(stored.range_m - metres) < 0.03 * metres + 1, (stored.range_m, metres)
        assert stored.angle == 45
        p.until("(c) => window.__test.rendered('video_fov', 'code').includes(c)", 20, cam.code)
    finally:  # the other tests' camera aims east again
        committed(lambda: _restore(cam))


def _restore(cam) -> None:
    c = type(cam).objects.get(pk=cam.pk)
    c.location, c.heading, c.angle, c.range_m = cam.location, cam.heading, cam.angle, cam.range_m
    c.save()


def test_an_inspection_plan_shows_each_visits_progress_and_the_officers_video(open_page, web_scene, media_source):
    """Seed 004: the day's plan, its progress from the officers' body cameras, an officer's video one click away."""
    from django.contrib.gis.geos import Point

    from geo_core.models import Subject, SubjectState
    from geo_core.partitions import PARK_TZ
    from video.models import InspectionPlan, InspectionStop, VideoChannel

    lon, lat = web_scene["centre_a"]

    def make():
        cam = Subject.objects.create(kind="body_camera", external_id="WEB-BC1", attributes={"holder": "执法人员甲"})
        SubjectState.objects.create(
            subject=cam, time=datetime.now(UTC), source="demo", geom=Point(lon + 0.001, lat, 0, srid=4490)
        )
        channel = VideoChannel.objects.create(
            code="31011600001380009002", name="执法记录仪甲", kind="body_camera", subject=cam
        )
        plan = InspectionPlan.objects.create(
            name="网页专项检查", kind="special", day=datetime.now(UTC).astimezone(PARK_TZ).date(), department="执法大队"
        )
        plan.officers.set([cam])
        InspectionStop.objects.create(plan=plan, enterprise=web_scene["a"], order=1)
        InspectionStop.objects.create(plan=plan, enterprise=web_scene["b"], order=2)
        return cam, channel, plan

    cam, channel, plan = committed(make)
    try:
        p = open_page("web-sup")
        p.until("() => window.__test.loaded()")
        p.page.click("[data-tab=inspect]")
        p.until("() => (window.__test.inspections() ?? []).length === 1", 10)
        (shown,) = p.js("() => window.__test.inspections()")
        assert [(s["code"], s["status"]) for s in shown["stops"]] == [("WEBA", "on_site"), ("WEBB", "to_visit")]
        assert shown["progress"] == {"visited": 0, "on_site": 1, "to_visit": 1}
        assert shown["officers"][0]["channel"] == channel.code
        # The route is on the map, each stop coloured by its status, and the panel says it in words.
        p.until("() => window.__test.rendered('inspection-stops', 'status').length === 2", 10)
        assert sorted(p.rendered("inspection-stops", "status")) == ["on_site", "to_visit"]
        assert "检查中" in p.page.inner_text(f"[data-plan='{plan.id}'] [data-stop][data-status=on_site]")
        # The officer on site: the video one click away.
        p.page.click(f"[data-officer='{cam.id}'] [data-video=live]")
        p.until(PLAYING, 20, [channel.code, "live"])
        advancing(p, channel.code)
        # An enterprise's user has no 执法 tab, and the API says why.
        e = open_page("web-ent-a")
        e.until("() => window.__test.loaded()")
        assert e.page.locator("[data-tab=inspect]").count() == 0
        assert e.js("() => fetch('/api/inspections').then((r) => r.status)") == 403
    finally:

        def drop():
            plan.delete()
            channel.delete()
            cam.delete()

        committed(drop)
