"""The 3D command centre in a real browser (Cesium on SwiftShader, 15-20 s to load: one page per role, several
checks each): readiness, picking a site, the live primitives against the live API, an SOS highlighted within 5 s,
playback on Cesium's clock, the generated 3D Tiles loaded, and a district officer's scope."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import numpy as np
import pytest

from alarms.models import Alarm, AlarmRule
from geo_core.models import TilesetFile, WorkPermit
from layers.tiles3d import build
from tests.web.conftest import Page, committed, raise_alarm
from tests.web.test_map_page import SHANGHAI, api, walk_east
from tests.web.test_video import PLAYING, advancing

pytestmark = pytest.mark.django_db
READY_S = 90.0


@pytest.fixture(scope="module")
def tiles(web_scene, django_db_blocker):
    """The scene's generated tileset, committed for the server."""
    with django_db_blocker.unblock():
        out = build(force=True)
        yield out
        TilesetFile.objects.all().delete()


def open_wall(browser, base: str, username: str, viewport=(1920, 1080)) -> tuple[Page, float]:
    p = Page(browser, base, viewport)
    p.page.goto(f"{base}/signin/?next=/command/")
    p.page.fill("input[name=username]", username)
    p.page.fill("input[name=password]", "Web-test-2026")
    p.page.click("button[type=submit]")
    p.page.wait_for_url("**/command/**")
    t0 = time.monotonic()
    p.until("() => document.body.dataset.ready === 'true'", READY_S)
    return p, time.monotonic() - t0


@pytest.fixture(scope="module")
def wall(live_service, web_scene, tiles, browser):
    p, _ = open_wall(browser, live_service, "web-sup")
    yield p
    outside, errors = p.outside, p.errors
    p.close()
    assert outside == [], f"the page tried other hosts: {outside}"
    assert errors == [], f"the page threw: {errors}"


def snapshot_count(base: str, token: str, box: list[float]) -> dict:
    """What the live API sends first for an area: its snapshot's subjects by kind."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    bbox = ",".join(f"{v:.6f}" for v in box)
    conn.request(
        "GET",
        f"/api/live/stream?layers=people,welders,cameras&bbox={bbox}",
        headers={"Authorization": f"Bearer {token}"},
    )
    resp = conn.getresponse()
    event = None
    try:
        while True:
            line = resp.fp.readline().decode().strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "snapshot":
                body = json.loads(line[5:])
                kinds = [r[body["fields"].index("kind")] for r in body["rows"]]
                return {"total": len(kinds), **{k: kinds.count(k) for k in set(kinds)}}
    finally:
        conn.close()


def test_the_wall_is_ready_with_the_scene_the_tileset_and_what_the_live_api_sends(wall, web_scene, tiles):
    p = wall
    # The generated tileset is loaded, with a tile per site the supervisor may see (both).
    assert tiles["sites"] >= 2
    assert p.js("() => window.__test.tiles()") == tiles["sites"]
    fetched = p.js(
        "() => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/maps/3dtiles/'))"
    )
    assert any(n.endswith("/maps/3dtiles/tileset.json") for n in fetched)
    assert any("/maps/3dtiles/site-" in n and n.endswith(".glb") for n in fetched), fetched
    # A pick on enterprise A's site names it.
    lon, lat = web_scene["centre_a"]
    p.js("(lonlat) => window.__test.flyTo(lonlat, 900, 0)", [lon, lat])
    p.page.wait_for_timeout(1500)
    xy = p.js("([lon, lat]) => window.__test.toScreen(lon, lat, 0)", [lon + 0.002, lat - 0.002])
    hit = p.until("([x, y]) => window.__test.identify(x, y)", 10, xy)
    site_id = web_scene["a"].sites.get().id
    assert hit == {"layer": "sites", "id": site_id}
    # The live primitives are what the live API sends for the same area.
    p.until("() => window.__test.streams().live === 1")
    p.page.wait_for_timeout(1000)
    box = p.js("() => window.__test.streams().box")
    drawn = p.js("() => window.__test.drawnCounts()")
    assert drawn == snapshot_count(p.base, web_scene["token"], box)
    assert drawn["person"] == 5
    assert drawn["welder"] == 1
    # The panels count the people on site, contractors apart.
    p.until("() => document.querySelector('[data-count=people]')?.textContent === '5'")
    assert p.page.inner_text("[data-count=outsiders]") == "1"  # WEBA-P2, a contractor
    # The life-safety rules are on, and a change of their thresholds shows on the wall with who made it.
    for kind in ("sos", "stationary", "feed_offline", "welder_silent"):
        assert p.page.get_attribute(f"[data-safety-rule={kind}]", "data-changed") == "no"
    rule = AlarmRule.objects.get(type="stationary", life_safety=True)
    change_rule(p.base, web_scene["token"], rule.id, {"limit_s": 240})
    try:
        p.js("() => window.__test.refreshSafetyRules()")
        p.until("() => document.querySelector('[data-safety-rule=stationary]')?.dataset.changed === 'yes'")
        assert "limit_s=240" in p.page.inner_text("[data-safety-rule=stationary]")
    finally:
        change_rule(p.base, web_scene["token"], rule.id, {})
    # The permit board of the day (seed 002): both permits in progress; A's paused shows within 5 s.
    board = "(key) => document.querySelector(`[data-permit-board] [data-board=${key}]`)?.textContent"
    p.until(f"() => ({board})('working') === '2'")
    assert p.js(board, "total") == "2"
    assert p.js(board, "paused") == "0"
    permit = web_scene["permits"]["a"]
    committed(lambda: WorkPermit.objects.filter(id=permit.id).update(status=6))
    try:
        t0 = time.monotonic()
        p.until(f"() => ({board})('paused') === '1' && ({board})('working') === '1'", 6.0)
        assert time.monotonic() - t0 < 6.0  # a 5 s refresh, and the request's own time
    finally:
        committed(lambda: WorkPermit.objects.filter(id=permit.id).update(status=2))


def change_rule(base: str, token: str, rule_id: int, params: dict) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"params": params}).encode()
    req = urllib.request.Request(f"{base}/api/alarm-rules/{rule_id}", method="PATCH", data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


def test_an_sos_is_highlighted_within_5_s_and_the_wall_can_act_on_it(wall, web_scene):
    p = wall
    p.until("() => window.__test.streams().alarms === 1")
    person = web_scene["people"]["WEBA-P0"]
    lon, lat = web_scene["centre_a"]

    t0 = time.monotonic()
    sos = {"type": "sos", "code": "0", "severity": "critical", "evidence": {"source": "device"}}
    alarm = raise_alarm(web_scene, person, f"web3d-sos:{person.id}", (lon, lat + 0.0002), **sos)
    row = f"#right [data-alarm='{alarm.id}']"
    p.page.wait_for_selector(row, timeout=5000)
    drawn = "(id) => { const d = window.__test.drawn(id); return d?.alarm === 'critical' && d.outlineWidth >= 3; }"
    p.until(drawn, 5.0, person.id)
    assert time.monotonic() - t0 < 5.0
    assert p.page.locator(".toast").count() >= 1  # the severe-alarm toast (and its sound)
    p.page.click(row)
    p.page.wait_for_selector("#details [data-action=acknowledge]")
    p.page.click("#details [data-action=acknowledge]")
    p.page.wait_for_selector("#details .note:text('已提交')")
    committed(lambda: Alarm.objects.filter(id=alarm.id).delete())


def test_playback_on_the_clock_moves_the_subject(wall, web_scene):
    p = wall
    lon, lat = web_scene["centre_b"]
    _, times = committed(lambda: walk_east(web_scene["people"]["WEBB-P1"], lon, lat))
    fmt = "%Y-%m-%dT%H:%M"
    p.page.click("[data-tool=playback]")
    p.page.fill("#playbar [name=from]", (times[0] - timedelta(minutes=1)).astimezone(SHANGHAI).strftime(fmt))
    p.page.fill("#playbar [name=to]", (times[-1] + timedelta(minutes=1)).astimezone(SHANGHAI).strftime(fmt))
    p.page.fill("#playbar [name=codes]", "WEBB-P1")
    p.page.select_option("#playbar [name=speed]", "60")
    p.page.click("#playbar [data-play=load]")
    first = p.until("() => window.__test.playbackAt('WEBB-P1')", 10)
    p.page.wait_for_timeout(2000)  # two minutes of the track at 60x
    later = p.js("() => window.__test.playbackAt('WEBB-P1')")
    moved = float(np.linalg.norm(np.subtract(later, first)))
    assert 20 < moved < 600, moved  # along the walk east at 1 m/s, not jumped to its end
    p.page.locator("#playbar [name=scrub]").fill("1000")
    end = p.js("() => window.__test.playbackAt('WEBB-P1')")
    assert float(np.linalg.norm(np.subtract(end, first))) == pytest.approx(600, abs=15)
    p.page.click("#playbar .icon-button")


def test_dispatch_lists_who_is_in_a_drawn_area_and_sends_the_work_order_to_them(wall, web_scene):
    p = wall
    lon, lat = web_scene["centre_a"]
    person = web_scene["people"]["WEBA-P1"]

    zone = web_scene["zones"]["a"]
    alarm = raise_alarm(web_scene, person, f"web3d-dispatch:{person.id}", (lon, lat), zone=zone)
    p.page.wait_for_selector(f"#right [data-alarm='{alarm.id}']", timeout=5000)
    p.page.click("[data-tool=dispatch]")
    ring = [
        [lon - 0.0025, lat - 0.0025],
        [lon + 0.0025, lat - 0.0025],
        [lon + 0.0025, lat + 0.0025],
        [lon - 0.0025, lat + 0.0025],
    ]
    codes = p.js("(ring) => window.__test.dispatchArea(ring)", ring)
    assert sorted(codes) == ["WEBA-P0", "WEBA-P1", "WEBA-P2"]  # enterprise A's three people, no one of B
    p.page.select_option("#details select[name=alarm]", str(alarm.id))
    p.page.uncheck("#details [data-assignee='WEBA-P2']")
    p.page.click("#details [data-action=dispatch-selection]")
    p.page.wait_for_selector("#details .note:text('已提交')")
    order = api(p.base, "/api/work-orders/", web_scene["token"])["results"]
    mine = [o for o in order if o["alarm"] == alarm.id]
    assert [x["code"] for x in mine[0]["assignees"]] == ["WEBA-P0", "WEBA-P1"]
    p.page.click("#details .close")
    committed(lambda: Alarm.objects.filter(id=alarm.id).delete())


def test_a_district_officer_sees_only_their_district(live_service, web_scene, tiles, browser):
    p, _ = open_wall(browser, live_service, "web-officer", viewport=(1600, 900))
    try:
        a_site = web_scene["a"].sites.get().id
        kids = p.js("() => window.__test.tiles()")
        assert kids == 1  # enterprise B's plant is in Fengxian: not in the officer's tileset
        sites = p.js("() => window.__test.siteIds()")
        assert sites == [a_site]
        p.until("() => window.__test.drawnCounts()?.total > 0")
        p.page.wait_for_timeout(1000)
        assert p.js("() => window.__test.drawnCounts()") == {"total": 4, "person": 3, "welder": 1}
        names = p.page.inner_text("#left")
        assert "网页B化工" not in names
    finally:
        outside, errors = p.outside, p.errors
        p.close()
    assert outside == []
    assert errors == []


def test_a_camera_clicked_on_the_wall_plays_in_the_walls_layouts(wall, web_scene, media_source):
    p = wall
    if p.js("() => window.__test.videos().shown"):  # what earlier tests' alarms opened (before the source ran)
        p.page.click("#video .video-head .icon-button")
    cam = web_scene["camera"]
    p.js("([lon, lat]) => window.__test.flyTo([lon, lat], 300, 0)", [cam.location.x, cam.location.y])
    p.page.wait_for_timeout(1500)
    xy = p.until("([lon, lat]) => window.__test.toScreen(lon, lat, 25)", 10, [cam.location.x, cam.location.y])
    assert p.js("([x, y]) => window.__test.identify(x, y)", xy)["layer"] == "video"
    box = p.page.locator("#scene canvas").first.bounding_box()  # toScreen answers in the canvas's pixels
    p.page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    try:
        p.until(PLAYING, 45, [cam.code, "live"])
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the panel: {p.js('() => window.__test.videos()')}") from None
    advancing(p, cam.code)
    # The wall's layouts: 16 tiles, then one large with five beside it; the playing tile keeps playing.
    p.page.click("#video [data-layout='16']")
    assert len(p.js("() => window.__test.videos().tiles")) == 16
    p.page.click("#video [data-layout='1+5']")
    shown = p.js("() => window.__test.videos()")
    assert (shown["layout"], len(shown["tiles"])) == ("1+5", 6)
    advancing(p, cam.code)
    p.page.click("#video .video-head .icon-button")  # closed: every stream ends
    assert all(t["state"] == "empty" for t in p.js("() => window.__test.videos().tiles"))
