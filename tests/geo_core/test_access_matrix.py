"""SEC-1: every route is in the access matrix (a new route without an entry fails here), and for every route and role
nothing of the other side comes back. The scene: enterprise A in Jinshan, enterprise B in Fengxian, enterprise C with
a site in each; everything of B and C's Fengxian site carries a marker in its name that must never reach A's user or
Jinshan's district officer, whatever the route and format."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import morecantile
import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.urls import URLResolver, get_resolver

from alarms.models import Alarm, AlarmRule, Suppression
from geo_core.access import access_for, create_user
from geo_core.models import ApiToken, Region, Site, SpecialEquipment, Subject, SubjectState, WorkPermit, Zone
from layers.features import forget_extents
from layers.tiles3d import build as build_tileset
from tests.geo_core.conftest import FENGXIAN, JINSHAN, inside, square
from tiles.cache import CACHE
from video.models import GroupCall, GroupCallMember, VideoChannel

pytestmark = pytest.mark.django_db
SECRET = "BSECRET"  # in every name of the far side
# route name -> who may call it: "public" (anyone), "signed" (any signed-in role, rows scoped), "signed-public" (anyone;
# a signed-in caller sees its scope), "device" (device token), "report" (enterprise signature), "stream" (signed,
# scoped, checked through the stream's own query), "admin" (Django admin's staff sign-in), "metrics-token",
# "authority" (supervisors and district officers, each within their own; enterprises 403).
MATRIX = {
    "healthz": "public",
    "metrics": "metrics-token",  # Prometheus with GEO_METRICS_TOKEN (tests/geo_core/test_metrics.py)
    "audit": "supervisor",
    "openapi": "public",
    "transform": "public",
    "report": "report",
    "device-messages": "device",
    "device-message": "device",
    "alarms": "signed",
    "alarm-stream": "stream",
    "alarm": "signed",
    "alarm-action": "signed",
    "work-orders": "signed",
    "work-order": "signed",
    "alarm-rules": "signed",
    "alarm-rule": "signed",
    "alarm-suppressions": "signed",
    "style": "public",
    "basemap": "signed",
    "tiles3d": "signed",
    "glyphs": "public",
    "sprite": "public",
    "search": "signed",
    "live-stream": "stream",
    "nearby": "signed",
    "district-counts": "signed",
    "region-counts": "signed",
    "regions": "public",
    "key-area-stats": "signed",
    "track": "signed",
    "tile-stats": "signed",
    "heat-tile": "signed",
    "heat-geotiff": "signed",
    "offline-package": "signed",
    "tilejson": "signed",
    "tile": "signed",
    "ogc": "public",
    "ogc-api": "public",
    "ogc-conformance": "public",
    "ogc-tms-list": "public",
    "ogc-tms": "public",
    "ogc-collections": "signed-public",
    "ogc-collection": "signed",
    "ogc-queryables": "signed",
    "ogc-items": "signed",
    "ogc-item": "signed",
    "ogc-tilesets": "signed",
    "ogc-tileset": "signed",
    "ogc-tile": "signed",
    "zones": "supervisor",
    "zone": "supervisor",
    "imports": "supervisor",
    "import": "supervisor",
    # The pages: sign-in is public; the others send a visitor to it and read only the public URLs above.
    "home": "page",
    "signin": "public",
    "signout": "page",
    "map": "page",
    "command": "page",
    "reports": "page",  # supervisors and district officers (tests/web/test_reports_page.py)
    "service-worker": "public",
    "video-channels": "signed",
    "video-at": "signed",
    "video-live": "signed",
    "video-record": "signed",
    "video-verify": "public",  # the media platform's play hook: a signed token, checked (tests/video)
    "video-channel": "signed",  # one channel; PATCH aims it (tests/video/test_channels_and_fov.py)
    "video-holder": "signed",  # a body camera's holder, within scope (tests/video/test_binding.py)
    "calls": "signed",  # the caller's own group calls (tests/video/test_calls.py)
    "call": "signed",
    "call-members": "signed",
    "call-member": "signed",
    "call-end": "signed",
    "equipment": "signed",  # one device's card, within scope (tests/geo_core/test_equipment_readings.py)
    "equipment-faults": "signed",
    # The list, records, statistics: within scope; writes checked by role and owner (tests/geo_core/test_upkeep.py)
    "equipment-list": "signed",
    "equipment-reassign": "signed",
    "equipment-records": "signed",
    "equipment-checkins": "signed",
    "equipment-fault-stats": "signed",
    "equipment-fault-list": "signed",
    "equipment-service-age": "signed",
    "maintenance-units": "signed",  # public registry data to every signed-in user; written by the authorities
    "maintenance-unit": "signed",
    "rescue-stations": "signed",
    "rescue-station": "signed",
    "scan-records": "signed",  # within scope (tests/reports/test_scan_records.py)
    "key-area-work-records": "signed",  # within scope (tests/reports/test_key_area_work.py)
    "permit-board": "signed",  # within scope (tests/reports/test_permit_board.py)
    "permit-months": "signed",
    "welders": "signed",  # within scope (tests/reports/test_welders.py)
    "welder-stats": "signed",
    "startup-trend": "signed",
    "complaints": "authority",  # supervisors and district officers (tests/reports/test_complaints.py)
    "complaint-stats": "authority",
    "complaint-feedback": "authority",
    "report-files": "authority",  # tests/reports/test_report_files.py
    "report-file": "authority",  # by district, within scope (tests/reports/test_trends.py)
    "alarm-trend": "signed",
    "inspections": "signed",  # the authorities' plans; enterprises 403 (tests/video/test_inspections.py)
    "inspection": "signed",
}


def routes(patterns=None, prefix=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern) == "admin/":
                yield "admin/", "admin"
                continue
            yield from routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.name


def test_every_route_is_in_the_access_matrix():
    missing = [(path, name) for path, name in routes() if name not in MATRIX and name != "admin"]
    assert not missing, f"routes without an access entry: {missing}"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, z)
    return t.z, t.x, t.y


@pytest.fixture
def world(make_enterprise, monkeypatch):
    video = {
        "video_live_url": "http://media.test/live/{channel}.m3u8?token={token}",
        "video_record_url": "http://media.test/record/{channel}/{start}-{end}.m3u8",
    }
    monkeypatch.setattr(settings, "CONFIG", replace(settings.CONFIG, **video))
    CACHE.clear()
    forget_extents()
    now = datetime.now(UTC)
    a, b, c = make_enterprise(name="甲化工"), make_enterprise(name=f"乙化工{SECRET}"), make_enterprise(name="丙化工")
    js, fx = inside(JINSHAN), inside(FENGXIAN)
    out = {"a": a, "b": b, "c": c, "js": js, "fx": fx}
    for ent, (lon, lat), tag in ((a, js, "A"), (b, fx, f"B{SECRET}"), (c, js, "CJ"), (c, fx, f"CF{SECRET}")):
        dx = 0.01 if ent is c else 0.0
        lon += dx
        Site(enterprise=ent, name=f"厂区{tag}", footprint=square(lon, lat, 0.003)).save()
        zone = Zone.objects.create(name=f"禁区{tag}", kind="forbidden", enterprise=ent, geom=square(lon, lat, 0.001))
        person = Subject.objects.create(
            kind="person", external_id=f"P{tag}", name=f"人{tag}", enterprise=ent, person_type="01"
        )
        SubjectState.objects.create(subject=person, time=now, geom=Point(lon, lat, 0, srid=4490), source="demo")
        welder = Subject.objects.create(
            kind="welder",
            external_id=f"W{tag}",
            name=f"焊机{tag}",
            enterprise=ent,
            chip_id=f"CHIP{tag}",
            qr_code=f"QR{tag}",
            mobility="fixed",
        )
        SubjectState.objects.create(
            subject=welder, time=now, geom=Point(lon, lat, 0, srid=4490), source="demo", live={"power": "on"}
        )
        permit = WorkPermit.objects.create(
            enterprise=ent,
            ticket_no=f"DH{tag}",
            ticket_type="02",
            status=2,
            location=Point(lon, lat, srid=4490),
            planned_start=now - timedelta(hours=1),
            planned_end=now + timedelta(hours=1),
        )
        SpecialEquipment.objects.create(
            registry_code=f"EQ{tag}",
            kind="elevator",
            name=f"电梯{tag}",
            using_unit=f"物业{tag}",
            enterprise=ent,
            monitoring="fault",
            location=Point(lon, lat, srid=4490),
        )
        out[tag] = {"zone": zone, "person": person, "permit": permit, "lon": lon, "lat": lat}
        out[tag]["camera"] = VideoChannel.objects.create(
            code=f"3101160000132{len(out):07d}",
            name=f"摄像机{tag}",
            kind="fixed",
            enterprise=ent,
            location=Point(lon, lat, srid=4490),
            heading=0,
            angle=90,
            range_m=200,
        )
    # B's contractor walked into A's fence: the alarm is B's, the fence name is A's
    far = out[f"B{SECRET}"]
    near = out["A"]
    out["alarm_b"] = Alarm.objects.create(
        key="k-b",
        type="out_of_bounds",
        category="person",
        severity="alarm",
        subject=far["person"],
        zone=far["zone"],
        permit=far["permit"],
        enterprise=b,
        company_code=b.company_code,
        location=Point(far["lon"], far["lat"], srid=4490),
        raised_at=now,
    )
    out["alarm_a_in_b_zone"] = Alarm.objects.create(
        key="k-a",
        type="out_of_bounds",
        category="person",
        severity="alarm",
        subject=near["person"],
        zone=far["zone"],
        permit=far["permit"],
        enterprise=a,
        company_code=a.company_code,
        location=Point(near["lon"], near["lat"], srid=4490),
        raised_at=now,
        evidence={"fence": f"z{far['zone'].id}", "ticket_no": far["permit"].ticket_no},
    )
    out["rule_b"] = AlarmRule.objects.create(name=f"规则{SECRET}", type="overstay", enterprise=b)
    out["suppression_b"] = Suppression.objects.create(name=f"检修{SECRET}", enterprise=b, reason=f"原因{SECRET}")
    users = {
        "enterprise": create_user("ua", "Pw-strong-123!", "enterprise", enterprise=a),
        "district": create_user("ud", "Pw-strong-123!", "district", district=Region.objects.get(code=JINSHAN)),
        "supervisor": create_user("us", "Pw-strong-123!", "supervisor"),
    }
    out["tokens"] = {role: {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(u)[1]}"} for role, u in users.items()}
    out["users"] = users
    # The supervisor's group call with B's person: seen by the supervisor, by nobody else.
    out["call"] = GroupCall.objects.create(initiator=users["supervisor"], platform_id=f"P{SECRET}")
    GroupCallMember.objects.create(call=out["call"], subject=far["person"], name=f"成员{SECRET}", address={})
    build_tileset(force=True)  # the 3D Tiles of every site: the served tileset is cut to each caller's scope
    return out


NEARBY = ("people", "welders", "zones", "sites", "permits", "enterprises", "alarms")
LAYERS = (
    "enterprises,sites,zones,permits,people,welders,cameras,trails,alarms,district_counts,equipment,video,video_fov"
)


def urls(w) -> dict[str, list[str]]:
    """For each route: requests that aim at the far side's things."""
    far = w[f"B{SECRET}"]
    lon, lat = far["lon"], far["lat"]
    z, x, y = tile_of(lon, lat, 16)
    z12 = tile_of(lon, lat, 12)
    day = datetime.now(UTC)
    span = f"from={(day - timedelta(hours=2)).isoformat()}&to={(day + timedelta(hours=1)).isoformat()}".replace(
        "+", "%2B"
    )
    box = f"{lon - 0.02},{lat - 0.02},{lon + 0.02},{lat + 0.02}"
    items = [f"/ogc/collections/{c}/items?limit=1000&bbox={box}" for c in LAYERS.split(",")]
    # files too: GeoPackage (SQLite keeps text as it is), KML and CSV are searched for the marker like JSON
    items += [
        f"/ogc/collections/{c}/items?f={f}"
        for c in ("sites", "zones", "permits", "alarms", "equipment")
        for f in ("gpkg", "kml", "csv")
    ]
    far_site = Site.objects.get(name=f"厂区B{SECRET}").id
    return {
        "alarms": ["/api/alarms/?limit=1000", f"/api/alarms/?bbox={box}", "/api/alarms/?f=csv"],
        "alarm": [f"/api/alarms/{w['alarm_b'].id}", f"/api/alarms/{w['alarm_a_in_b_zone'].id}"],
        "work-orders": ["/api/work-orders/"],
        "alarm-rules": ["/api/alarm-rules/"],
        "alarm-rule": [f"/api/alarm-rules/{w['rule_b'].id}"],
        "alarm-suppressions": ["/api/alarm-suppressions/"],
        "search": [f"/api/search?q={SECRET}", "/api/search?q=PB", "/api/search?q=CHIP", "/api/search?q=DH"],
        "nearby": [
            f"/api/nearby/{n}?lon={lon}&lat={lat}&k=50"
            for n in ("people", "welders", "zones", "sites", "permits", "enterprises", "alarms")
        ],
        "district-counts": ["/api/counts/districts"],
        "region-counts": ["/api/counts/regions?level=district", "/api/counts/regions?level=township&parent=310120"],
        "key-area-stats": [
            f"/api/stats/key-areas?since={(day - timedelta(days=1)).isoformat()}&until="
            f"{(day + timedelta(hours=1)).isoformat()}&level=district".replace("+", "%2B")
        ],
        "track": [
            f"/api/tracks/{far['person'].external_id}?{span}",
            f"/api/tracks/{far['person'].external_id}?f=gpx&{span}",
        ],
        "tilejson": [f"/tiles/{LAYERS}.json"],
        "tile": [f"/tiles/{LAYERS}/{z}/{x}/{y}.pbf", "/tiles/{}/{}/{}/{}.pbf".format(LAYERS, *z12)],
        "ogc-collections": ["/ogc/collections"],
        "ogc-collection": [f"/ogc/collections/{c}" for c in LAYERS.split(",")],
        "ogc-items": items,
        "ogc-item": [
            f"/ogc/collections/zones/items/{far['zone'].id}",
            f"/ogc/collections/sites/items/{far['zone'].id}",
        ],
        "ogc-tile": [f"/ogc/collections/{LAYERS}/tiles/WebMercatorQuad/{z}/{y}/{x}"],
        "tiles3d": ["/maps/3dtiles/tileset.json", f"/maps/3dtiles/site-{far_site}.glb"],
        "video-channels": ["/api/video/channels", f"/api/video/channels?bbox={box}"],
        "video-at": [f"/api/video/at?lon={lon}&lat={lat}&subject={far['person'].id}"],
        "video-channel": [f"/api/video/channels/{far['camera'].code}"],
        "video-live": [f"/api/video/channels/{far['camera'].code}/live"],
        "video-record": [
            f"/api/video/channels/{far['camera'].code}/record?from={(day - timedelta(minutes=30)).isoformat()}"
            f"&to={day.isoformat()}".replace("+", "%2B")
        ],
        "calls": ["/api/calls", "/api/calls?status=open"],
        "call": [f"/api/calls/{w['call'].id}"],
    }


def counts_of(body: dict) -> dict:
    return {d["code"]: d for d in body["districts"]}


@pytest.mark.parametrize("role", ["enterprise", "district"])
def test_nothing_of_the_other_side_comes_back(client, world, role):
    headers = world["tokens"][role]
    checked = 0
    for name, paths in urls(world).items():
        assert MATRIX[name] in ("signed", "signed-public"), name
        for path in paths:
            r = client.get(path, **headers)
            assert r.status_code in (200, 404), (path, r.status_code, r.content[:300])
            if r.status_code == 404:  # its message may echo what was asked for, nothing more
                continue
            body = b"".join(r.streaming_content) if r.streaming else r.content
            assert SECRET.encode() not in body, (role, path, body[:500])
            assert "乙化工".encode() not in body, (role, path)
            for code in (world["b"].company_code,):
                assert f'"{code}"'.encode() not in body, (role, path)
            checked += 1
    assert checked > 30


def test_fence_edits_are_the_supervisors_alone(client, world):
    """Enterprise and district users may read the zones in their scope, never write one (not even their own)."""
    zone = world["A"]["zone"]  # the enterprise user's own
    for role in ("enterprise", "district"):
        headers = world["tokens"][role]
        assert client.get(f"/api/zones/{zone.id}", **headers).status_code == 403
        answer = client.patch(f"/api/zones/{zone.id}", data='{"name": "x"}', content_type="application/json", **headers)
        assert answer.status_code == 403
        assert client.delete(f"/api/zones/{zone.id}", **headers).status_code == 403
    assert client.get(f"/api/zones/{zone.id}").status_code == 401
    zone.refresh_from_db()
    assert zone.active
    assert zone.name != "x"


def test_pages_send_anonymous_visitors_to_sign_in(client, world):
    for path in ("/", "/map/", "/command/"):
        assert client.get(path)["Location"].startswith("/signin/"), path


def test_anonymous_callers_get_401_from_every_signed_route(client, world):
    for name, paths in urls(world).items():
        if MATRIX[name] != "signed":
            continue
        for path in paths:
            assert client.get(path).status_code == 401, path


def test_the_far_side_is_really_there_for_a_supervisor(client, world):
    """The leak test above means something only if the supervisor does see the far side on the same URLs."""
    headers = world["tokens"]["supervisor"]
    seen = 0
    for paths in urls(world).values():
        for path in paths:
            r = client.get(path, **headers)
            assert r.status_code in (200, 404), (path, r.status_code)
            seen += SECRET.encode() in (b"".join(r.streaming_content) if r.streaming else r.content)
    assert seen >= 15


def test_a_district_officer_sees_its_district_only(client, world):
    headers = world["tokens"]["district"]
    c = world["c"]
    sites = client.get("/ogc/collections/sites/items?limit=100", **headers).json()["features"]
    assert {f["properties"]["name"] for f in sites} == {"厂区A", "厂区CJ"}  # C's Fengxian site is not there
    ents = client.get("/ogc/collections/enterprises/items?limit=100", **headers).json()["features"]
    assert {f["properties"]["name"]: f["properties"]["sites"] for f in ents} == {"甲化工": 1, c.name: 1}
    counts = counts_of(client.get("/api/counts/districts", **headers).json())
    assert set(counts) == {JINSHAN}
    assert counts[JINSHAN]["welders"] == 2


def test_names_of_what_the_caller_may_not_see_are_withheld_inside_alarms(client, world):
    headers = world["tokens"]["enterprise"]
    body = client.get(f"/api/alarms/{world['alarm_a_in_b_zone'].id}", **headers).json()
    assert body["zone"] == {"id": None, "name": None, "restricted": True}
    assert body["permit"]["ticket_no"] is None
    assert "fence" not in body["evidence"]
    assert "ticket_no" not in body["evidence"]
    sup = client.get(f"/api/alarms/{world['alarm_a_in_b_zone'].id}", **world["tokens"]["supervisor"]).json()
    assert sup["zone"]["name"] == f"禁区B{SECRET}"


def test_the_streams_apply_the_same_scope(world):
    from alarms.store import publish
    from alarms.stream import _fetch
    from layers.live import _rows

    publish(world["alarm_b"], "raised")
    publish(world["alarm_a_in_b_zone"], "raised")
    scope = access_for(world["users"]["enterprise"]).scope
    rows = _fetch.__wrapped__(0, scope)  # unwrapped: the wrapper gives the test's connection back
    seen = [r for r in rows if r[3]]
    assert [r[2]["id"] for r in seen] == [world["alarm_a_in_b_zone"].id]
    assert SECRET not in str(seen)
    everyone = _fetch.__wrapped__(0, access_for(world["users"]["supervisor"]).scope)
    assert sum(r[3] for r in everyone) == 2
    for role in ("enterprise", "district"):
        view = {
            "bbox": {"x0": 120, "y0": 30, "x1": 123, "y1": 32},
            "kinds": ["person", "welder"],
            "scope": access_for(world["users"][role]).scope,
        }
        upsert, _, _ = _rows.__wrapped__(view, datetime.fromtimestamp(0, UTC), True)
        ids = {r[0] for r in upsert}
        far = world[f"B{SECRET}"]["person"].id
        assert far not in ids
        assert ids


def test_the_scope_renders_one_rule_in_sql_and_in_the_orm(world):
    """The SQL fragment (tiles, features, queries) and the ORM filter (APIs) select the same rows for every role."""
    from django.db import connection

    Zone.objects.create(name="园区禁区", kind="forbidden", authority="园区", geom=square(*world["js"], 0.0005))
    scopes = {role: access_for(u).scope for role, u in world["users"].items()}
    for shared in (True, False):
        for role, scope in scopes.items():
            sql, params = scope.where("z.enterprise_id", "z.geom", shared)
            with connection.cursor() as cur:
                cur.execute(f"SELECT z.id FROM geo_core_zone z WHERE {sql}", params)
                by_sql = {r[0] for r in cur.fetchall()}
            by_orm = set(Zone.objects.filter(scope.q("enterprise", "geom", shared)).values_list("id", flat=True))
            assert by_sql == by_orm, (role, shared)
            assert by_sql, role
    assert len(set(Zone.objects.filter(scopes["enterprise"].q("enterprise", "geom", True)))) == 2  # its own, the park's
