"""Browser tests of the pages: Debian's Chromium driven by Playwright against the real server (uvicorn) on the test
database, with a small scene committed for the session: a park, two enterprises in two districts, their sites,
zones, permits and five people, a welding machine, a camera, and users of each role signing in with passwords.

Every request to another host than the service and its media platform is refused and recorded; a test fails if one
was tried. Assertions are on content
(rendered features, the page's text, the API's answers), not on pixels."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, connections
from playwright.sync_api import sync_playwright

from geo_core.access import create_user
from geo_core.models import ApiToken, Enterprise, Park, Region, Site, Subject, SubjectState, WorkPermit, Zone
from tests.conftest import MEDIA_PORT
from tests.geo_core.conftest import FENGXIAN, JINSHAN, credit_code, inside, square

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage"]
PASSWORD = "Web-test-2026"
MEDIA_ORIGIN = f"http://127.0.0.1:{MEDIA_PORT}/"
# Playwright's sync API keeps an event loop on the test thread; the test's own database calls stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser(live_service):
    """After the server and the test database (Playwright's loop on this thread changes which connection Django
    hands out, so the database is set up first)."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def web_scene(django_db_setup, django_db_blocker):
    """Committed (the server is another process): removed again when the module's tests are done."""
    assert connection.settings_dict["NAME"].startswith("test_"), "needs a database test in the same run"
    with django_db_blocker.unblock():
        park = Park.objects.create(code="WEB-PARK", name="网页测试园区")
        now = datetime.now(UTC)
        out = {"park": park, "people": {}, "zones": {}, "permits": {}}
        for key, district, org in (("a", JINSHAN, "MA1WB0001"), ("b", FENGXIAN, "MA1WB0002")):
            ent = Enterprise.objects.create(
                credit_code=credit_code(district, org),
                name=f"网页{key.upper()}化工",
                company_code=f"WEB{key.upper()}",
                park=park,
            )
            lon, lat = inside(district)
            Site.objects.create(enterprise=ent, name="主厂区", footprint=square(lon, lat, 0.003))
            out["zones"][key] = Zone.objects.create(
                name=f"{key.upper()}罐区禁区", kind="forbidden", enterprise=ent, geom=square(lon - 0.001, lat, 0.0005)
            )
            out["permits"][key] = WorkPermit.objects.create(
                enterprise=ent,
                ticket_no=f"WEB{key.upper()}-01-0001",
                ticket_type="01",
                status=2,
                content="管线焊接",
                location=Point(lon + 0.001, lat + 0.001, srid=4490),
                planned_start=now - timedelta(hours=1),
                planned_end=now + timedelta(hours=3),
            )
            for k in range(3 if key == "a" else 2):  # five people
                ext = f"WEB{key.upper()}-P{k}"
                s = Subject.objects.create(
                    kind="person",
                    external_id=ext,
                    enterprise=ent,
                    name=f"测试{key}{k}",
                    person_type="02" if k == 2 else "01",
                )
                SubjectState.objects.create(
                    subject=s, time=now, source="demo", geom=Point(lon + 0.0004 * k, lat + 0.0002, 0, srid=4490)
                )
                out["people"][ext] = s
            out[key] = ent
            out[f"centre_{key}"] = (lon, lat)
        welder = Subject.objects.create(
            kind="welder",
            external_id="WEB-W1",
            enterprise=out["a"],
            chip_id="WEBCHIP1",
            qr_code="WEBQR1",
            mobility="fixed",
            name="网页焊机",
        )
        wlon, wlat = out["centre_a"][0] + 0.0015, out["centre_a"][1]
        SubjectState.objects.create(
            subject=welder, time=now, source="demo", live={"power": "on"}, geom=Point(wlon, wlat, 0, srid=4490)
        )
        out["welder"] = welder
        from video.models import VideoChannel

        alon, alat = out["centre_a"]
        out["camera"] = VideoChannel.objects.create(
            code="31011600001320009001",
            name="A罐区摄像机",
            kind="fixed",
            enterprise=out["a"],
            location=Point(alon - 0.0025, alat, srid=4490),
            heading=90,
            angle=60,
            range_m=250,
        )
        users = {
            "web-sup": create_user("web-sup", PASSWORD, "supervisor"),
            "web-ent-a": create_user("web-ent-a", PASSWORD, "enterprise", enterprise=out["a"]),
            "web-ent-b": create_user("web-ent-b", PASSWORD, "enterprise", enterprise=out["b"]),
            "web-officer": create_user("web-officer", PASSWORD, "district", district=Region.objects.get(code=JINSHAN)),
        }
        out["users"] = users
        out["token"] = ApiToken.issue(users["web-sup"])[1]
        yield out
        from alarms.models import Alarm

        Alarm.objects.filter(enterprise__park=park).delete()
        for s in Subject.objects.filter(enterprise__park=park):
            with connection.cursor() as cur:
                cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id = %s", [s.id])
        WorkPermit.objects.filter(enterprise__park=park).delete()
        out["camera"].delete()
        Subject.objects.filter(enterprise__park=park).delete()
        Zone.objects.filter(enterprise__park=park).delete()
        Site.objects.filter(enterprise__park=park).delete()
        Enterprise.objects.filter(park=park).delete()
        park.delete()
        from video.models import GroupCall

        GroupCall.objects.filter(initiator__in=users.values()).delete()  # kept with who started them (PROTECT)
        for u in users.values():
            u.delete()
        connections.close_all()  # this loop's connection too, or the test database cannot be dropped


def committed(fn):
    """Run fn on a connection of its own (autocommit), so the server sees what it wrote; its return value."""
    out = []

    def run():
        try:
            out.append(fn())
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0]


def raise_alarm(scene: dict, person, key: str, at: tuple[float, float], **fields):
    """An alarm of enterprise A about `person` at `at`, committed and published as the engine's store would: out of
    bounds unless `fields` say otherwise (type, severity, code, zone, raised_at, evidence)."""
    from alarms.models import Alarm
    from alarms.store import publish

    def write():
        values = {"type": "out_of_bounds", "category": "person", "code": "1", "severity": "alarm"}
        values |= {"raised_at": datetime.now(UTC), **fields}
        a = Alarm.objects.create(
            key=key,
            subject=person,
            enterprise=scene["a"],
            company_code="WEBA",
            location=Point(*at, srid=4490),
            **values,
        )
        publish(a, "raised")
        return a

    return committed(write)


class Page:
    """A signed-in page with every request to another host refused (and remembered)."""

    def __init__(self, browser, base: str, viewport=(1280, 800)):
        self.base = base
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.log: list[str] = []  # console errors and failed requests, for the message of a wait that timed out
        self.page.on("console", self._console)
        self.page.on("requestfailed", self._failed)

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.log.append(f"console: {message.text[:300]}")

    def _failed(self, request) -> None:
        if "/stream" not in request.url:  # the live and alarm streams retry while offline, as they should
            self.log.append(f"failed {request.url[:150]}: {request.failure}")

    def _route(self, route):
        # This service, and the media platform its gateway names (tests/conftest.py: the tests' media source).
        if route.request.url.startswith((self.base, MEDIA_ORIGIN)):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(self.base + "/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")

    def js(self, expression: str, arg=None):
        """Evaluate a function expression in the page (CDP evaluation: the page's CSP forbids eval)."""
        return self.page.evaluate(expression, arg)

    def until(self, expression: str, timeout: float = 20.0, arg=None):
        """Poll a function expression until it returns something truthy (wait_for_function would need eval)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout} s: {expression}; last: {self.log[-12:]}")
            self.page.wait_for_timeout(100)

    def map_ready(self, timeout: float = 30.0) -> None:
        """The page's script has started: its test facade is there (web/src/test-facade.js)."""
        self.until("() => typeof window.__test?.jumpTo === 'function'", timeout)

    def map_idle(self, timeout: float = 30.0) -> float:
        """Wait for the map to have loaded its style, tiles and live snapshot; seconds it took."""
        t0 = time.monotonic()
        try:
            self.until("() => window.__test.idle()", timeout)
        except AssertionError:
            state = self.js(
                "() => ({loaded: window.__test.loaded(), subjects: window.__test.subjects().length, "
                "streams: window.__test.streams()})"
            )
            raise AssertionError(f"the map is not idle after {timeout} s: {state}; errors: {self.errors}") from None
        return time.monotonic() - t0

    def rendered(self, layer: str, prop: str) -> set:
        return set(self.js("([l, p]) => window.__test.rendered(l, p)", [layer, prop]))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(live_service, web_scene, browser):
    pages: list[Page] = []

    def make(username: str | None = None, viewport=(1280, 800)) -> Page:
        p = Page(browser, live_service, viewport)
        pages.append(p)
        if username:
            p.sign_in(username)
            p.page.wait_for_url("**/map/**")
            p.map_ready()
        return p

    yield make
    for p in pages:
        outside, errors = p.outside, p.errors
        p.close()
        assert outside == [], f"the page tried other hosts: {outside}"
        assert errors == [], f"the page threw: {errors}"
