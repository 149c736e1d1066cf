"""Map queries: nearby with true metric distances, counts per district with a multi-site enterprise, name search,
and a track with its stops and trips; all within the caller's scope."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import morecantile
import numpy as np
import pytest
from django.contrib.gis.geos import Point
from mapbox_vector_tile import decode
from pyproj import Geod

from geo_core.access import create_user
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import ApiToken, Site, Subject, SubjectState
from tests.geo_core.conftest import FENGXIAN, JINSHAN, inside, square

GEOD = Geod(ellps="GRS80")


def east(lon, lat, metres):
    x, y, _ = GEOD.fwd(lon, lat, 90.0, metres)
    return x, y


@pytest.fixture
def people(make_enterprise):
    ent = make_enterprise()
    lon, lat = inside(JINSHAN)
    Site(enterprise=ent, name="一厂", footprint=square(lon, lat)).save()
    now = datetime.now(UTC)
    for k, d in enumerate((100.0, 250.0, 1000.0)):
        s = Subject.objects.create(kind="person", external_id=f"N{k}", enterprise=ent, person_type="01", name=f"张{k}")
        x, y = east(lon, lat, d)
        SubjectState.objects.create(subject=s, time=now, geom=Point(x, y, 0, srid=4490), source="demo")
    token = ApiToken.issue(create_user("q-sup", "pw-1234567", "supervisor"))[1]
    return {"ent": ent, "lon": lon, "lat": lat, "auth": {"HTTP_AUTHORIZATION": f"Bearer {token}"}}


def test_nearby_returns_true_metric_distances(client, people):
    r = client.get(f"/api/nearby/people?lon={people['lon']}&lat={people['lat']}&k=2", **people["auth"]).json()
    got = [(x["properties"]["external_id"], x["distance_m"]) for x in r["results"]]
    assert [g[0] for g in got] == ["N0", "N1"]
    assert got[0][1] == pytest.approx(100.0, abs=0.5)
    assert got[1][1] == pytest.approx(250.0, abs=0.5)
    r = client.get(
        f"/api/nearby/people?lon={people['lon']}&lat={people['lat']}&radius=300&k=10", **people["auth"]
    ).json()
    assert len(r["results"]) == 2


def test_counts_per_district_count_a_multi_site_enterprise_once_per_district(client, people, make_enterprise):
    ent = people["ent"]
    lon, lat = inside(JINSHAN)
    Site(enterprise=ent, name="二厂", footprint=square(lon + 0.01, lat + 0.01)).save()  # also Jinshan
    Site(enterprise=ent, name="三厂", footprint=square(*inside(FENGXIAN))).save()
    rows = {r["code"]: r for r in client.get("/api/counts/districts", **people["auth"]).json()["districts"]}
    assert rows[JINSHAN]["enterprises"] == 1
    assert rows[FENGXIAN]["enterprises"] == 1


def test_counts_per_district_as_a_choropleth_layer_within_the_callers_scope(client, people, make_enterprise):
    """The same counts as tiles and features; an enterprise's user counts only its own rows."""
    other = make_enterprise()
    lon, lat = inside(JINSHAN)
    Site(enterprise=other, name="他厂", footprint=square(lon + 0.02, lat)).save()
    Site(enterprise=people["ent"], name="三厂", footprint=square(*inside(FENGXIAN))).save()
    for k, (ent, power) in enumerate([(people["ent"], "on"), (people["ent"], "off"), (other, "on")]):
        w = Subject.objects.create(
            kind="welder", external_id=f"WC{k}", enterprise=ent, chip_id=f"C{k}", qr_code=f"Q{k}", mobility="fixed"
        )
        SubjectState.objects.create(
            subject=w, time=datetime.now(UTC), geom=Point(lon, lat, 0, srid=4490), source="demo", live={"power": power}
        )
    token = ApiToken.issue(create_user("q-ent", "pw-1234567", "enterprise", enterprise=people["ent"]))[1]
    own = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    z = 9
    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, z)
    for auth, want in ((people["auth"], (2, 3, 2)), (own, (1, 2, 1))):
        tile = client.get(f"/tiles/district_counts/{z}/{t.x}/{t.y}.pbf", **auth)
        assert tile.status_code == 200
        feats = {f["properties"]["code"]: f["properties"] for f in decode(tile.content)["district_counts"]["features"]}
        jinshan = feats[JINSHAN]
        assert (jinshan["enterprises"], jinshan["welders"], jinshan["powered"]) == want
        api = {r["code"]: r for r in client.get("/api/counts/districts", **auth).json()["districts"]}
        assert {k: api[JINSHAN][k] for k in ("enterprises", "welders", "powered")} == {
            "enterprises": want[0],
            "welders": want[1],
            "powered": want[2],
        }
        items = client.get(f"/ogc/collections/district_counts/items?code={JINSHAN}", **auth).json()["features"]
        assert items[0]["properties"]["welders"] == want[1]
    assert client.get(f"/tiles/district_counts/{z}/{t.x}/{t.y}.pbf").status_code == 401  # not public


def test_search_finds_enterprises_and_people(client, people):
    r = client.get(f"/api/search?q={people['ent'].company_code}", **people["auth"]).json()["results"]
    assert r[0]["kind"] == "enterprise"
    assert r[0]["code"] == people["ent"].company_code
    r = client.get("/api/search?q=张1", **people["auth"]).json()["results"]
    assert [x["code"] for x in r] == ["N1"]
    assert r[0]["location"]["type"] == "Point"


def test_track_with_stops_and_trips(client, people):
    s = Subject.objects.get(external_id="N0")
    t0 = float(int(time.time()) // 60 * 60 - 7200)
    lon, lat = people["lon"], people["lat"]
    pts = [(lon, lat)] * 150  # 5 min standing (2 s fixes)
    pts += [east(lon, lat, 2.4 * k) for k in range(1, 201)]  # walking 480 m
    end = east(lon, lat, 480)
    pts += [end] * 100  # 200 s standing
    times = [datetime.fromtimestamp(t0 + 2 * k, UTC) for k in range(len(pts))]
    arr = np.array(pts)
    n = len(pts)
    write_fixes(
        FixBatch(
            subject_id=np.full(n, s.id),
            time=times,
            lon=arr[:, 0],
            lat=arr[:, 1],
            source="simulator",
            raw_x=arr[:, 0],
            raw_y=arr[:, 1],
            raw_crs=["cgcs2000"] * n,
        )
    )
    q = {"from": times[0].isoformat(), "to": (times[-1] + timedelta(seconds=1)).isoformat()}
    r = client.get("/api/tracks/N0", q, **people["auth"]).json()
    assert r["fixes"] == 450
    assert len(r["stops"]) == 2
    assert r["stops"][0]["seconds"] >= 290
    # The trip runs from the last fix of the first stop to the first of the second (each reaches 20 m out).
    assert len(r["trips"]) == 1
    assert 480 - 2 * 20 <= r["trips"][0]["metres"] <= 480
    assert len(r["line"]["coordinates"]) < 10  # a straight walk simplifies to a few points
    # Each kept vertex carries its fix's time (here a straight walk: the first and the last fix).
    assert len(r["times"]) == len(r["line"]["coordinates"])
    assert r["times"][0] == t0
    assert r["times"][-1] == t0 + 2 * (n - 1)
    assert r["times"] == sorted(r["times"])


def test_trails_layer_holds_the_last_minutes_of_each_person_in_scope(client, people, make_enterprise):
    """A line per person over the last 15 minutes: as tiles and as features, within the caller's scope, without
    the fixes from before the window."""
    other = make_enterprise()
    lon, lat = people["lon"], people["lat"]
    now = time.time()
    mover = Subject.objects.get(external_id="N0")
    stranger = Subject.objects.create(kind="person", external_id="X1", enterprise=other, person_type="02")
    for subject, dx in ((mover, 0.0), (stranger, 0.0005)):
        old = [now - 1500 + 10 * k for k in range(5)]  # 25 minutes ago: outside the window
        new = [now - 300 + 10 * k for k in range(30)]  # the last 5 minutes, walking east
        pts = np.array([(lon + dx, lat)] * 5 + [east(lon + dx, lat, 3.0 * k) for k in range(30)])
        times = [datetime.fromtimestamp(t, UTC) for t in old + new]
        write_fixes(
            FixBatch(
                subject_id=np.full(len(pts), subject.id),
                time=times,
                lon=pts[:, 0],
                lat=pts[:, 1],
                source="simulator",
                raw_x=pts[:, 0],
                raw_y=pts[:, 1],
                raw_crs=["cgcs2000"] * len(pts),
            )
        )
    token = ApiToken.issue(create_user("t-ent", "pw-1234567", "enterprise", enterprise=people["ent"]))[1]
    own = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    z = 16
    t = morecantile.tms.get("WebMercatorQuad").tile(lon + 0.0004, lat, z)
    for auth, want in ((people["auth"], {"N0", "X1"}), (own, {"N0"})):
        r = client.get(f"/tiles/trails/{z}/{t.x}/{t.y}.pbf", **auth)
        feats = decode(r.content)["trails"]["features"]
        assert {f["properties"]["external_id"] for f in feats} == want
        assert all(f["geometry"]["type"] == "LineString" for f in feats)
        assert all(f["properties"]["fixes"] == 30 for f in feats)  # the 5 old fixes are not in the line
        items = client.get(
            f"/ogc/collections/trails/items?bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}", **auth
        ).json()
        assert {f["properties"]["external_id"] for f in items["features"]} == want
        line = next(f for f in items["features"] if f["properties"]["external_id"] == "N0")["geometry"]
        metres = GEOD.line_length(*zip(*line["coordinates"], strict=True))
        assert metres == pytest.approx(87.0, abs=0.5)  # 29 steps of 3 m
    far = client.get("/ogc/collections/trails/items?bbox=100,20,100.1,20.1", **people["auth"]).json()
    assert far["numberMatched"] == 0
