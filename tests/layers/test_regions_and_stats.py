"""Regions below the district, counts at every level, key-area statistics, addresses and special equipment
(issue 15, parts 3-6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from alarms.models import Alarm
from geo_core.access import create_user
from geo_core.gisfiles import importer
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import DeviceEvent, Region, Site, SpecialEquipment, Subject, WorkPermit, Zone
from tests.geo_core.conftest import JINSHAN, inside, square
from tests.layers.conftest import bearer

NOW = datetime.now(UTC).replace(microsecond=0)


def rect(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4490)


@pytest.fixture
def town(make_enterprise):
    """Two streets splitting a square of Jinshan west and east; enterprise A with a site in each (一照多址),
    enterprise B with one in the east; a key place in the west street; equipment in both."""
    lon, lat = inside(JINSHAN)
    jinshan = Region.objects.get(code=JINSHAN)
    west = Region.objects.create(
        code="310116101",
        name="石化街道",
        level="township",
        parent=jinshan,
        geom=rect(lon - 0.02, lat - 0.02, lon, lat + 0.02),
    )
    east = Region.objects.create(
        code="310116102",
        name="山阳镇",
        level="township",
        parent=jinshan,
        geom=rect(lon, lat - 0.02, lon + 0.02, lat + 0.02),
    )
    a, b = make_enterprise(), make_enterprise()
    Site(enterprise=a, name="西厂", address="卫零路1号", footprint=square(lon - 0.01, lat, 0.002)).save()
    Site(enterprise=a, name="东厂", address="山阳路8号", footprint=square(lon + 0.01, lat, 0.002)).save()
    Site(enterprise=b, name="乙厂", footprint=square(lon + 0.012, lat + 0.01, 0.002)).save()
    key = Zone.objects.create(
        name="西区重点场所",
        kind="key_place",
        authority="区应急局",
        geom=rect(lon - 0.015, lat - 0.005, lon - 0.005, lat + 0.005),
    )
    for code, x, status, ent in (
        ("EL-1", lon - 0.01, "fault", a),
        ("EL-2", lon + 0.01, "online", a),
        ("EL-3", lon + 0.011, "alarm", None),
        ("EL-4", lon + 0.012, "fault", b),
    ):
        SpecialEquipment.objects.create(
            registry_code=code,
            kind="elevator",
            using_unit="某物业",
            monitoring=status,
            enterprise=ent,
            location=Point(x, lat, srid=4490),
        )
    users = {
        "sup": bearer(create_user("sup", "pw-1234567", "supervisor")),
        "as_a": bearer(create_user("ua", "pw-1234567", "enterprise", enterprise=a)),
    }
    return {"lon": lon, "lat": lat, "west": west, "east": east, "a": a, "b": b, "key": key, **users}


def test_the_region_tree_is_served_level_by_level(client, town):
    top = client.get("/api/regions").json()["regions"]
    assert {r["code"] for r in top} >= {"310000", "610000", "320000"}
    assert all(r["level"] == "province" for r in top)
    streets = client.get("/api/regions?parent=310116").json()["regions"]  # public, like district boundaries
    assert [(r["code"], r["name"], r["level"], r["parent_code"]) for r in streets] == [
        ("310116101", "石化街道", "township", JINSHAN),
        ("310116102", "山阳镇", "township", JINSHAN),
    ]
    districts = client.get("/api/regions?parent=310100&level=district").json()["regions"]
    assert len(districts) == 16
    assert next(d for d in districts if d["code"] == JINSHAN)["children"] == 2
    assert client.get("/api/regions?q=山阳").json()["regions"][0]["code"] == "310116102"
    assert client.get("/api/regions?parent=310116999").status_code == 404
    assert client.get("/api/regions?level=village").status_code == 400
    assert client.get("/api/regions?parent=31'--").status_code == 400


def test_counts_per_township_count_a_multi_site_enterprise_once_in_each(client, town):
    body = client.get("/api/counts/regions?level=township&parent=310116", **town["sup"]).json()
    rows = {r["code"]: r for r in body["regions"]}
    assert rows["310116101"]["enterprises"] == 1  # A
    assert rows["310116102"]["enterprises"] == 2  # A again, and B
    assert body["totals"] == {"enterprises": 2, "enterprises_summed": 3}  # the sum exceeds the enterprises
    assert "counted once in each" in body["note"]
    assert (rows["310116101"]["equipment"], rows["310116101"]["equipment_faults"]) == (1, 1)
    assert (rows["310116102"]["equipment"], rows["310116102"]["equipment_faults"]) == (3, 2)
    mine = {r["code"]: r for r in client.get("/api/counts/regions?level=township", **town["as_a"]).json()["regions"]}
    assert mine["310116102"]["enterprises"] == 1  # its own only
    assert mine["310116102"]["equipment"] == 1  # EL-2; B's and the property company's are not its to see
    # Under a city and under a province alike (issue 28: the totals were 0 under a city, and regions with nothing to
    # count were left out rather than answered with zeros).
    for parent in ("310100", "310000"):
        district = client.get(f"/api/counts/regions?level=district&parent={parent}", **town["sup"]).json()
        assert len(district["regions"]) == 16
        assert next(r for r in district["regions"] if r["code"] == JINSHAN)["enterprises"] == 2
        assert next(r for r in district["regions"] if r["code"] == "310115")["enterprises"] == 0  # Pudong: none
        assert district["totals"]["enterprises"] == 2
    townships = client.get("/api/counts/regions?level=township&parent=310100", **town["sup"]).json()
    assert {r["code"] for r in townships["regions"]} == {"310116101", "310116102"}
    assert townships["totals"]["enterprises"] == 2
    assert client.get("/api/counts/regions?level=township").status_code == 401


def test_sites_name_their_township_and_alarms_filter_by_any_level(client, town):
    feats = client.get("/ogc/collections/sites/items?limit=100", **town["sup"]).json()["features"]
    assert {f["properties"]["name"]: f["properties"]["township"] for f in feats} == {
        "西厂": "310116101",
        "东厂": "310116102",
        "乙厂": "310116102",
    }
    for k, x in enumerate((town["lon"] - 0.01, town["lon"] + 0.01)):
        Alarm.objects.create(
            key=f"t{k}",
            type="out_of_bounds",
            category="person",
            severity="warning",
            enterprise=town["a"],
            company_code=town["a"].company_code,
            raised_at=NOW,
            location=Point(x, town["lat"], srid=4490),
        )
    west = client.get("/api/alarms/?region=310116101", **town["sup"]).json()
    assert west["count"] == 1
    assert client.get(f"/api/alarms/?region={JINSHAN}", **town["sup"]).json()["count"] == 2
    assert client.get("/api/alarms/?region=999999", **town["sup"]).status_code == 400


def welder_at(ent, code: str, lon: float, lat: float, t: datetime) -> Subject:
    s = Subject.objects.create(
        kind="welder", external_id=code, enterprise=ent, chip_id=f"C-{code}", qr_code=f"Q-{code}", mobility="mobile"
    )
    write_fixes(
        FixBatch(
            subject_id=np.array([s.id]),
            time=[t - timedelta(minutes=1)],
            lon=np.array([lon]),
            lat=np.array([lat]),
            source="simulator",
            raw_x=np.array([lon]),
            raw_y=np.array([lat]),
            raw_crs=["cgcs2000"],
        )
    )
    DeviceEvent.objects.create(subject=s, kind="power", time=t, data={"state": "on"})
    return s


def test_welding_and_alarms_inside_and_outside_key_areas(client, town):
    lon, lat, a = town["lon"], town["lat"], town["a"]
    t = NOW - timedelta(hours=2)
    welder_at(a, "W-IN", lon - 0.01, lat, t)  # in the key place
    welder_at(a, "W-OUT", lon + 0.01, lat, t)
    welder_at(a, "W-OLD", lon - 0.01, lat, NOW - timedelta(days=3))  # before the period
    WorkPermit.objects.create(
        enterprise=a,
        ticket_no="DH-1",
        ticket_type="02",
        status=2,
        location=Point(lon - 0.009, lat, srid=4490),
        planned_start=t,
        planned_end=t + timedelta(hours=4),
    )
    Alarm.objects.create(
        key="k1",
        type="out_of_bounds",
        category="person",
        severity="warning",
        enterprise=a,
        company_code=a.company_code,
        raised_at=t,
        location=Point(lon + 0.01, lat, srid=4490),
    )
    q = {"since": (NOW - timedelta(days=1)).isoformat(), "until": NOW.isoformat(), "level": "township"}
    body = client.get("/api/stats/key-areas", q, **town["sup"]).json()
    assert body["key_areas"] == 1
    assert body["totals"] == {
        "welding": {"inside": 1, "outside": 1},
        "hot_work": {"inside": 1, "outside": 0},
        "alarms": {"inside": 0, "outside": 1},
    }
    assert body["by_area"] == [
        {"zone": town["key"].id, "name": "西区重点场所", "welding": 1, "hot_work": 1, "alarms": 0}
    ]
    regions = {r["code"]: r for r in body["by_region"]}
    assert regions["310116101"]["welding_inside"] == 1
    assert regions["310116102"]["welding_outside"] == 1
    assert regions["310116102"]["alarms_outside"] == 1
    bad = client.get("/api/stats/key-areas", {**q, "until": q["since"]}, **town["sup"])
    assert bad.status_code == 400


def test_addresses_are_found_by_search(client, town, tmp_path):
    from tests.geo_core.conftest import credit_code

    csv = tmp_path / "e.csv"
    code = credit_code(org="MA1AD0001")
    csv.write_text(
        f"统一社会信用代码,企业名称,地址,经度,纬度\n{code},无厂区公司,龙胜路99号,{town['lon']},{town['lat']}\n",
        encoding="utf-8",
    )
    assert importer.run(csv, "enterprises").counts["created"] == 1

    def found(q: str) -> list[tuple[str, str]]:
        return [(r["kind"], r["name"]) for r in client.get("/api/search", {"q": q}, **town["sup"]).json()["results"]]

    assert ("enterprise", "无厂区公司") in found("龙胜路")  # no site: placed where the list put it
    assert any(k == "site" and n.startswith("东厂") for k, n in found("山阳路"))
    assert ("equipment", "EL-3") in found("EL-3")
    assert ("region", "石化街道") in found("石化街道")
    assert not any(
        k == "site"
        for k, _ in [
            (r["kind"], r["name"])
            for r in client.get(
                "/api/search",
                {"q": "山阳路"},
                **bearer(create_user("ub", "pw-1234567", "enterprise", enterprise=town["b"])),
            ).json()["results"]
        ]
    )


def test_special_equipment_imports_and_is_served_in_every_format(client, town, tmp_path):
    csv = tmp_path / "elevators.csv"
    csv.write_text(
        "设备注册代码,设备类别,使用单位,维保单位,使用地点,监测状态,经度,纬度\n"
        f"31101160001,电梯,金山某小区物业,上海某电梯维保,石化街道1号,故障,{town['lon'] - 0.01},{town['lat']}\n"
        f"31101160002,扶梯,金山某商场,上海某电梯维保,山阳路1号,在线,{town['lon'] + 0.01},{town['lat']}\n",
        encoding="utf-8",
    )
    report = importer.run(csv, "equipment")
    assert [(o.action, o.field) for o in report.features] == [("created", None), ("refused", "kind")]
    eq = SpecialEquipment.objects.get(registry_code="31101160001")
    assert (eq.kind, eq.monitoring, eq.maintenance_unit.name) == ("elevator", "fault", "上海某电梯维保")
    items = client.get("/ogc/collections/equipment/items?monitoring=fault&limit=100", **town["sup"]).json()
    assert {f["properties"]["registry_code"] for f in items["features"]} == {"EL-1", "EL-4", "31101160001"}
    r = client.get("/ogc/collections/equipment/items?f=csv", **town["sup"])
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "31101160001" in text
    assert "金山某小区物业" in text
    faults = client.get("/ogc/collections/equipment_faults/items?code=310116", **town["sup"]).json()["features"]
    assert faults[0]["properties"]["equipment_faults"] == 4  # EL-1, EL-3, EL-4 and the imported one
