"""The 2D map page in a real browser: sign-in per role, the scene on the map within the user's scope, the alarm list
live, search and nearby equal to the API's answers."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.web.conftest import committed, raise_alarm

# The database is set up for these tests; what the server must see is committed by the fixtures, or by a thread of
# its own (a test's own connection sits in a transaction that is rolled back).
pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def walk_east(person, lon: float, lat: float) -> tuple:
    """Ten minutes walking east at 1 m/s from (lon, lat), a fix every 10 s, half an hour ago: (lons, times)."""
    import numpy as np

    from geo_core.ingest.writer import FixBatch, write_fixes

    t0 = datetime.now(UTC).timestamp() - 1800
    n = 61
    lons = lon + np.arange(n) * 10 / 95_500  # ~95.5 km per degree of longitude here
    times = [datetime.fromtimestamp(t0 + 10 * k, UTC) for k in range(n)]
    lats = np.full(n, lat)
    write_fixes(
        FixBatch(
            subject_id=np.full(n, person.id),
            time=times,
            lon=lons,
            lat=lats,
            source="simulator",
            raw_x=lons,
            raw_y=lats,
            raw_crs=["cgcs2000"] * n,
        )
    )
    return lons, times


def api(base: str, path: str, token: str) -> dict:
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_sign_in_sends_each_role_to_its_page_and_a_wrong_password_is_told(open_page, web_scene):
    p = open_page()
    p.page.goto(p.base + "/map/")
    assert "/signin/" in p.page.url  # not signed in: to the sign-in page, coming back after
    p.page.fill("input[name=username]", "web-sup")
    p.page.fill("input[name=password]", "wrong-Password-1")
    p.page.click("button[type=submit]")
    assert "用户名或密码错误" in p.page.inner_text("body")
    p.page.click("a.lang")
    assert p.page.inner_text("button[type=submit]") == "Sign in"  # English on request
    p.sign_in("web-officer")
    p.page.wait_for_url("**/map/**")
    p.map_ready()  # the page's script has filled in its frame
    assert "Sign out" in p.page.inner_text("header")  # the language choice stays with the session


def test_the_map_shows_the_scene_and_an_enterprise_sees_only_its_own(open_page, web_scene):
    sup = open_page("web-sup")
    sup.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 17)", list(web_scene["centre_a"]))
    sup.map_idle()
    assert "A罐区禁区" in sup.rendered("zones", "name")
    assert "WEBA-01-0001" in sup.rendered("permits", "ticket_no")
    people = sup.rendered("people", "code")
    assert {"WEBA-P0", "WEBA-P1", "WEBA-P2"} <= people
    assert "WEB-W1" in sup.rendered("welders", "code")
    links = "() => [...document.querySelectorAll('a[href]')].map(a => a.href).filter(h => !h.startsWith(origin))"
    assert sup.js(links) == []  # no link to another host either (MapLibre is credited as text)
    assert "MapLibre" in sup.page.inner_text(".maplibregl-ctrl-attrib")

    ent = open_page("web-ent-a")
    # The view holds both enterprises' sites (they are in two districts some way apart): fit them both.
    (ax, ay), (bx, by) = web_scene["centre_a"], web_scene["centre_b"]
    ent.js(
        "(b) => window.__test.fitBounds(b)",
        [[min(ax, bx) - 0.004, min(ay, by) - 0.004], [max(ax, bx) + 0.004, max(ay, by) + 0.004]],
    )
    ent.map_idle()
    ent.js("() => window.__test.settle()")
    codes = ent.js("() => window.__test.subjects().map(p => p.code)")
    assert set(codes) == {"WEBA-P0", "WEBA-P1", "WEBA-P2", "WEB-W1"}  # the live stream: its own only
    names = ent.rendered("zones", "name") | ent.rendered("permits", "ticket_no") | ent.rendered("enterprises", "name")
    assert names >= {"A罐区禁区", "WEBA-01-0001"}
    assert not names & {"B罐区禁区", "WEBB-01-0001", "网页B化工"}, names  # nothing of enterprise B on the map
    assert "网页B化工" not in ent.page.inner_text("body")
    # The permit board of the day: its own permit only, and only its own name to switch to.
    ent.page.click("[data-tab=permits]")
    ent.until("() => document.querySelector('[data-permit-board] [data-board=total]')?.textContent === '1'")
    assert ent.page.inner_text("[data-permit-board] [data-board=working]") == "1"
    picks = ent.js("() => [...document.querySelectorAll('[data-board-picker] option')].map(o => o.value)")
    assert picks == ["", "WEBA"]


def test_a_new_alarm_appears_within_5_s_and_is_acknowledged_from_the_page(open_page, web_scene):
    p = open_page("web-officer")  # the district officer of Jinshan, where enterprise A's site is
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 17)", list(web_scene["centre_a"]))
    p.map_idle()
    p.until("() => window.__test.streams().alarms === 1")
    person = web_scene["people"]["WEBA-P2"]
    lon, lat = web_scene["centre_a"]

    zone = web_scene["zones"]["a"]
    alarm = raise_alarm(
        web_scene, person, f"web:{person.id}", (lon - 0.001, lat), zone=zone, evidence={"fence": "A罐区禁区"}
    )
    row = f"[data-alarm='{alarm.id}']"
    p.page.wait_for_selector(row, timeout=5000)
    assert "WEBA-P2" in p.page.inner_text(row)
    # The subject's symbol on the map is in its alarm state.
    p.until("(id) => window.__test.subject(id)?.alarm === 'alarm'", arg=person.id)
    p.page.click(row)
    p.page.wait_for_selector("#details [data-action=acknowledge]")
    assert "A罐区禁区" in p.page.inner_text("#details")  # the evidence
    assert p.js("() => window.__test.selected()") == {"kind": "alarm", "id": alarm.id}  # the page's one selection
    # The camera aimed at the alarm's place is offered with it (VID-2), first, with why.
    p.page.wait_for_selector("#details [data-channel]")
    first = p.page.locator("#details [data-channel]").first
    assert first.get_attribute("data-channel") == web_scene["camera"].code
    assert first.get_attribute("data-why") == "field_of_view"
    assert "对准" in first.inner_text()
    p.page.fill("#details textarea", "已通知企业")
    p.page.click("#details [data-action=acknowledge]")
    p.page.wait_for_selector("#details .note:text('已提交')")
    answer = api(p.base, f"/api/alarms/{alarm.id}", web_scene["token"])
    assert answer["status"] == "acknowledged"
    assert answer["actions"][-1]["comment"] == "已通知企业"
    assert answer["actions"][-1]["by"] == "web-officer"


@pytest.mark.parametrize("query", ["WEBA-P1", "WEBCHIP1"])
def test_search_lists_what_the_api_finds_and_flies_to_it(open_page, web_scene, query):
    p = open_page("web-sup")
    p.map_idle()
    p.page.fill("#search-input", query)
    p.page.wait_for_selector("#search-results button")
    shown = p.js("() => [...document.querySelectorAll('#search-results button')].map(b => Number(b.dataset.id))")
    expected = [r["id"] for r in api(p.base, f"/api/search?q={query}&limit=12", web_scene["token"])["results"]]
    assert shown == expected
    p.page.click("#search-results button")
    p.page.wait_for_selector("#details:not([hidden]) h2")
    target = api(p.base, f"/api/search?q={query}&limit=1", web_scene["token"])["results"][0]["location"]["coordinates"]
    near = "(t) => { const c = window.__test.center(); return Math.hypot(c[0] - t[0], c[1] - t[1]) < 1e-5; }"
    p.until(near, arg=target)  # the map flew to it


def test_nearby_by_pressing_the_map_lists_the_apis_nearest(open_page, web_scene):
    p = open_page("web-sup")
    lon, lat = web_scene["centre_a"]
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 16)", [lon, lat])
    p.map_idle()
    x, y = p.js("(lonlat) => window.__test.project(lonlat)", [lon, lat])
    box = p.page.locator("#map").bounding_box()
    p.page.mouse.click(box["x"] + x, box["y"] + y, button="right")
    p.page.wait_for_selector("#tab-query [data-layer=people] li")
    shown = p.js(
        "() => [...document.querySelectorAll('#tab-query [data-layer=people] button')].map(b => Number(b.dataset.id))"
    )
    marker = p.js("() => document.querySelector('.maplibregl-marker') !== null")
    assert marker
    # The page asked for the point under the cursor: the API's answer for that point is the same list.
    at = p.js("(xy) => window.__test.unproject(xy)", [x, y])
    expected = api(p.base, f"/api/nearby/people?lon={at[0]:.7f}&lat={at[1]:.7f}&radius=2000&k=10", web_scene["token"])
    assert shown == [r["id"] for r in expected["results"]]
    assert {"WEBA-P0", "WEBA-P1", "WEBA-P2"} <= set(r["properties"]["external_id"] for r in expected["results"])


def test_a_drawn_rectangle_lists_what_the_api_finds_inside(open_page, web_scene):
    p = open_page("web-sup")
    lon, lat = web_scene["centre_a"]
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 16)", [lon, lat])
    p.map_idle()
    p.page.click("[data-tab=query]")
    p.page.click("[data-draw=rectangle]")
    box = p.page.locator("#map").bounding_box()
    corners = p.js(
        "([lon, lat]) => [[lon - 0.0025, lat - 0.0015], [lon + 0.0025, lat + 0.0015]].map(window.__test.project)",
        [lon, lat],
    )
    for x, y in corners:
        p.page.mouse.click(box["x"] + x, box["y"] + y)
        p.page.wait_for_timeout(200)
    p.page.wait_for_selector(".area-results [data-layer=people]")
    geometry = p.js("() => window.__test.area()")
    wkt = "POLYGON((" + ",".join(f"{x} {y}" for x, y in geometry["coordinates"][0]) + "))"
    params = {"filter": f"S_INTERSECTS(geometry,{wkt})", "filter-lang": "cql2-text", "limit": 1000}
    query = urllib.parse.urlencode(params)
    listed = "(l) => [...document.querySelectorAll(`.area-results [data-layer=${l}] li`)].map(x => +x.dataset.id)"
    counted = "(l) => document.querySelector(`.area-results [data-layer=${l}]`).dataset.count"
    answers = {}
    for layer in ("people", "welders", "permits", "zones"):
        answers[layer] = api(p.base, f"/ogc/collections/{layer}/items?{query}", web_scene["token"])
        assert p.js(listed, layer) == [f["id"] for f in answers[layer]["features"]], layer
        assert p.js(counted, layer) == str(answers[layer]["numberMatched"]), layer
    assert {"WEBA-P0", "WEBA-P1", "WEBA-P2"} <= {f["properties"]["external_id"] for f in answers["people"]["features"]}
    assert "WEBA-01-0001" in {f["properties"]["ticket_no"] for f in answers["permits"]["features"]}


def test_a_fence_drawn_on_the_page_is_in_postgis_and_in_the_next_tile(open_page, web_scene):
    import mapbox_vector_tile
    import morecantile

    p = open_page("web-sup")
    lon, lat = web_scene["centre_a"]
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 17)", [lon, lat])
    p.map_idle()
    p.page.click("[data-tab=layers]")
    p.page.fill(".fence-form [name=name]", "网页新画禁区")
    p.page.select_option(".fence-form [name=kind]", "forbidden")
    p.page.fill(".fence-form [name=company_code]", "WEBA")
    p.page.fill(".fence-form [name=capacity_max]", "4")
    p.page.click("[data-fence=draw]")
    box = p.page.locator("#map").bounding_box()
    ring = [(lon + 0.0004, lat - 0.0003), (lon + 0.0009, lat - 0.0003), (lon + 0.0009, lat + 0.0001)]
    points = p.js("(ring) => ring.map(window.__test.project)", ring)
    for x, y in [*points, points[0]]:  # clicking the first point again closes the ring
        p.page.mouse.click(box["x"] + x, box["y"] + y)
        p.page.wait_for_timeout(250)
    p.page.wait_for_selector(".fence-form .note:text('范围已绘制')")
    p.page.click("[data-fence=save]")
    p.page.wait_for_selector(".fence-form .note:text('已保存')")
    zone_id = int(p.page.inner_text(".fence-form .note").split("#")[1])
    stored = api(p.base, f"/api/zones/{zone_id}", web_scene["token"])
    assert stored["name"] == "网页新画禁区"
    assert stored["company_code"] == "WEBA"
    assert stored["capacity_max"] == 4
    vertices = stored["geometry"]["coordinates"][0][0]
    for x, y in ring:  # where it was drawn (a pixel at zoom 17 is about a metre)
        assert min(abs(x - vx) + abs(y - vy) for vx, vy in vertices) < 3e-5, (x, y, vertices)
    t = morecantile.tms.get("WebMercatorQuad").tile(lon + 0.0006, lat - 0.0001, 16)
    req = urllib.request.Request(
        f"{p.base}/tiles/zones/{t.z}/{t.x}/{t.y}.pbf", headers={"Authorization": f"Bearer {web_scene['token']}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        tile = mapbox_vector_tile.decode(resp.read())
    assert "网页新画禁区" in {f["properties"]["name"] for f in tile["zones"]["features"]}
    # And the page drew it once the tiles were asked again.
    p.until("() => window.__test.rendered('zones', 'name').includes('网页新画禁区')")


def test_playback_moves_the_marker_along_the_track(open_page, web_scene):
    lon, lat = web_scene["centre_a"]
    lons, times = committed(lambda: walk_east(web_scene["people"]["WEBA-P1"], lon, lat))
    p = open_page("web-sup")
    p.map_idle()
    p.page.click("[data-tab=query]")
    p.page.fill(".playback-form [name=code]", "WEBA-P1")
    p.page.fill(
        ".playback-form [name=from]", (times[0] - timedelta(minutes=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    )
    p.page.fill(
        ".playback-form [name=to]", (times[-1] + timedelta(minutes=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    )
    p.page.click("[data-play=load]")
    p.until("() => window.__test.playback() !== null")
    marker = "() => window.__test.playback().marker"
    start = p.js(marker)
    assert abs(start[0] - lons[0]) < 1e-6
    p.page.select_option(".playback-controls [name=speed]", "20")
    p.page.click("[data-play=toggle]")
    p.page.wait_for_timeout(1500)  # 30 s of the track at 20x
    p.page.click("[data-play=toggle]")
    moved = p.js(marker)
    assert lons[1] < moved[0] < lons[10]  # on its way east, not yet far
    assert abs(moved[1] - lat) < 1e-6  # along the line
    p.page.locator(".playback-controls [name=scrub]").fill("500")  # half-way through the ten minutes
    half = p.js(marker)
    assert abs(half[0] - lons[30]) < 2e-5  # within 2 m of where the fixes were then
    assert "0" in p.page.inner_text(".playback-controls .clock")


def test_offline_the_packaged_area_still_draws_and_a_queued_acknowledge_lands_on_reconnect(open_page, web_scene):
    p = open_page("web-officer")
    lon, lat = web_scene["centre_a"]
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 15)", [lon, lat])
    p.map_idle()
    p.until("() => navigator.serviceWorker.controller !== null")  # the app shell is kept
    p.page.click("[data-tab=layers]")
    p.page.click("[data-offline=download]")
    p.page.wait_for_selector(".note:text('已保存')", timeout=30_000)
    person = web_scene["people"]["WEBA-P0"]

    alarm = raise_alarm(web_scene, person, f"web-offline:{person.id}", (lon, lat))
    row = f"[data-alarm='{alarm.id}']"
    p.page.click("[data-tab=alarms]")
    p.page.wait_for_selector(row, timeout=5000)
    p.page.click(row)
    p.page.wait_for_selector("#details [data-action=acknowledge]")

    p.context.set_offline(True)
    p.until("() => document.body.dataset.net === 'offline'")
    p.page.click("#details [data-action=acknowledge]")
    p.page.wait_for_selector("#details .note:text('离线')")  # queued, said so
    assert api(p.base, f"/api/alarms/{alarm.id}", web_scene["token"])["status"] == "raised"

    # A fresh start with the network cut: the page from the service worker, the tiles from the package.
    p.page.reload()
    p.map_ready()
    p.until("() => window.__test.loaded()", 30)
    p.js("([lon, lat]) => window.__test.jumpTo([lon, lat], 16)", [lon, lat])
    p.until("() => window.__test.loaded()", 30)
    assert "A罐区禁区" in p.rendered("zones", "name")
    assert "WEBA-01-0001" in p.rendered("permits", "ticket_no")
    assert "离线" in p.page.inner_text("#net-state")

    p.context.set_offline(False)
    answer = {}
    for _ in range(100):  # the queue is sent when the browser is back online
        answer = api(p.base, f"/api/alarms/{alarm.id}", web_scene["token"])
        if answer["status"] == "acknowledged":
            break
        p.page.wait_for_timeout(100)
    assert answer["status"] == "acknowledged"
    assert answer["actions"][-1]["by"] == "web-officer"
    p.until("() => window.__test.queued() === 0")  # and the page's queue is empty once its answers came back


def test_an_enterprises_card_counts_its_people_machines_and_work(open_page, web_scene):
    p = open_page("web-sup")
    p.map_idle()
    p.page.fill("#search-input", "网页A化工")
    p.page.click("#search-results button[data-kind=enterprise]")
    p.page.wait_for_selector("#details:not([hidden]) dd")
    facts = p.js(
        "() => Object.fromEntries([...document.querySelectorAll('#details dt')].map(dt => "
        "[dt.textContent, dt.nextElementSibling.textContent]))"
    )
    assert facts["人员"] == "3"
    assert facts["焊机"] == "1"
    assert facts["作业中的作业票"] == "1"


def test_an_equipment_card_shows_its_live_reading_and_follows_the_next_ones(open_page, web_scene):
    """Seed 001: 实时查看最新的运行数据 (楼层, 上下行 ...): the card opens from the search and its floor follows the
    readings; a trapped-passenger fault shows the rescue station sent (the unit's nearest, 300 m away); the list tab
    finds the device with its alarm text."""
    import orjson
    from django.contrib.gis.geos import Point

    from geo_core.ingest.devices import process
    from geo_core.models import MaintenanceUnit, RescueStation, SpecialEquipment

    lon, lat = web_scene["centre_a"]
    code = "3310116WEB0001"

    def reading(**fields) -> list[tuple[str, bytes]]:
        return [(f"equipment/{code}/reading", orjson.dumps({"ts": int(time.time() * 1000), **fields}))]

    def make():
        unit = MaintenanceUnit.objects.create(name="网页维保")
        RescueStation.objects.create(
            unit=unit, name="网页近站", location=Point(lon + 0.0005 + 300 / 95_600, lat + 0.0005, srid=4490)
        )
        lift = SpecialEquipment.objects.create(
            maintenance_unit=unit,
            registry_code=code,
            kind="elevator",
            name="网页客梯",
            using_unit="网页A化工",
            enterprise=web_scene["a"],
            location=Point(lon + 0.0005, lat + 0.0005, srid=4490),
        )
        process(reading(floor=3, direction="up", door="closed", runs=1200))
        return lift

    lift = committed(make)
    try:
        p = open_page("web-sup")
        p.map_idle()
        p.page.fill("#search-input", code)
        p.page.click("#search-results button[data-kind=equipment]")
        p.page.wait_for_selector("#details [data-live][data-floor='3']", timeout=10000)
        assert "上行" in p.page.inner_text("#details")

        committed(lambda: process(reading(floor=7, direction="stop", door="closed", faults=["trapped"])))
        p.page.wait_for_selector("#details [data-live][data-floor='7']", timeout=10000)
        text = p.page.inner_text("#details")
        assert "困人" in text
        assert p.page.locator("#details [data-monitoring=alarm]").count() == 1
        p.page.wait_for_selector("#details [data-dispatch='网页近站']", timeout=10000)
        assert "300 m" in p.page.inner_text("#details [data-dispatch]")
        p.page.click("[data-tab=equip]")
        p.page.fill("#tab-equip [data-filter=q]", code)
        p.page.press("#tab-equip [data-filter=q]", "Enter")
        row = p.page.wait_for_selector(f"#tab-equip tr[data-equipment='{lift.id}']", timeout=10000)
        assert "困人" in row.inner_text()
        assert p.page.get_attribute("#tab-equip [data-total]", "data-total") == "1"
        b = open_page("web-ent-b")
        assert b.js("(id) => fetch(`/api/equipment/${id}`).then((r) => r.status)", lift.id) == 404
    finally:
        committed(lambda: SpecialEquipment.objects.filter(registry_code=code).delete())
        committed(lambda: MaintenanceUnit.objects.filter(name="网页维保").delete())
