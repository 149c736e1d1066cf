"""Special equipment kept (EQP-1, seed 001): upkeep states at the seed's thresholds (维保逾期, 超期未检,
下月应检, contract and licence expiry), a fault sent to the maintenance unit's nearest rescue station (hand-built
stations), the crew's arrival by check-in or by its staff's tags, the one-click check-in refused away from the device,
bulk reassignment and moving a device audited and checked by role and owner, the list and its files in the caller's
scope, faults per month, and units and stations imported from a file."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.contrib.gis.geos import Point

from geo_core import equipment_upkeep
from geo_core.access import create_user
from geo_core.gisfiles import importer
from geo_core.ingest.devices import process
from geo_core.models import (
    ApiToken,
    AuditEvent,
    EquipmentDispatch,
    EquipmentFault,
    MaintenanceUnit,
    Region,
    RescueStation,
    Site,
    SpecialEquipment,
    Subject,
    SubjectState,
    UpkeepRecord,
)
from geo_core.partitions import PARK_TZ
from tests.geo_core.conftest import JINSHAN, inside, square

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def today():
    return datetime.now(PARK_TZ).date()


def offset(lon: float, lat: float, east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    """A point east_m and north_m metres away (near 30.8 N: 95.6 km per degree of longitude, 110.9 km of latitude)."""
    return lon + east_m / 95_600.0, lat + north_m / 110_900.0


@pytest.fixture
def kept(db, make_enterprise) -> dict:
    lon, lat = inside(JINSHAN)
    a = make_enterprise("KA")
    b = make_enterprise("KB")
    Site(enterprise=a, name="A厂区", footprint=square(lon, lat, 0.0005)).save()
    crew = make_enterprise("KCREW")  # the maintenance unit's own people report as this one
    unit = MaintenanceUnit.objects.create(name="金山电梯维保", phone="021-1", enterprise=crew)
    other = MaintenanceUnit.objects.create(name="奉贤电梯维保")
    # Stations at 3 km, 1.2 km and 5 km: the 1.2 km one is the nearest; the other unit's is closer still (400 m).
    for name, east in (("三公里站", 3000), ("一点二公里站", 1200), ("五公里站", -5000)):
        RescueStation.objects.create(unit=unit, name=name, location=Point(*offset(lon, lat, east), srid=4490))
    RescueStation.objects.create(unit=other, name="别家站", location=Point(*offset(lon, lat, 400), srid=4490))
    lift = SpecialEquipment.objects.create(
        registry_code="31103101160000001",
        kind="elevator",
        name="A厂1号梯",
        using_unit="A",
        enterprise=a,
        maintenance_unit=unit,
        address="金山区测试路1号",
        location=Point(lon, lat, srid=4490),
    )
    lift_b = SpecialEquipment.objects.create(
        registry_code="31103101160000002",
        kind="elevator",
        name='=HYPERLINK("http://x")',
        using_unit="B",
        enterprise=b,
        maintenance_unit=other,
        location=Point(lon + 0.02, lat, srid=4490),
    )
    users = {
        "sup": create_user("kp-sup", "pw-1234567", "supervisor"),
        "js": create_user("kp-js", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN)),
        "a": create_user("kp-a", "pw-1234567", "enterprise", enterprise=a),
        "b": create_user("kp-b", "pw-1234567", "enterprise", enterprise=b),
        "reader": create_user("kp-r", "pw-1234567", "reader"),
    }
    return {
        "lon": lon,
        "lat": lat,
        "lift": lift,
        "lift_b": lift_b,
        "unit": unit,
        "other": other,
        "crew": crew,
        "auth": {k: auth(u) for k, u in users.items()},
    }


def state_of(e: SpecialEquipment) -> str:
    e.refresh_from_db()
    return e.upkeep


def test_upkeep_states_follow_the_seed_thresholds(kept):
    lift = kept["lift"]
    now = datetime.now(UTC)
    assert equipment_upkeep.sweep() == 0 and state_of(lift) == "ok"  # noqa: PT018  (no dates: nothing to remind)
    lift.maintained_at = now - timedelta(days=13)  # 15-day interval: due within 3 days
    lift.save()
    equipment_upkeep.sweep()
    assert state_of(lift) == "maintenance_due"
    lift.maintained_at = now - timedelta(days=16)
    lift.inspection_due = today() + timedelta(days=40)  # before next month's end
    lift.save()
    equipment_upkeep.sweep()
    assert state_of(lift) == "maintenance_overdue"  # the worse of the two
    concerns = {(c.equipment, c.state) for c in equipment_upkeep.concerns()}
    assert concerns == {(lift.id, "maintenance_overdue")}  # 下月应检 is a state to see, not a reminder
    lift.maintained_at = now
    lift.save()
    equipment_upkeep.sweep()
    assert state_of(lift) == "inspection_due"
    lift.inspection_due = today() - timedelta(days=1)
    lift.save()
    equipment_upkeep.sweep()
    assert state_of(lift) == "inspection_overdue"
    unit = kept["unit"]
    unit.licence_expires = today() + timedelta(days=10)
    unit.save()
    by_state = {c.state: c for c in equipment_upkeep.concerns() if c.equipment == lift.id}
    assert set(by_state) == {"inspection_overdue", "qualification_expiring"}
    assert by_state["qualification_expiring"].info["maintenance_unit"] == "金山电梯维保"


def test_a_fault_goes_to_the_units_nearest_station_and_the_crew_is_seen_arriving(kept):
    lift, lon, lat = kept["lift"], kept["lon"], kept["lat"]
    assert [s["name"] for s in equipment_upkeep.nearest_stations(lift.id)] == ["一点二公里站", "三公里站", "五公里站"]
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    body = orjson.dumps({"ts": int(t0.timestamp() * 1000), "floor": 3, "faults": ["trapped"]})
    process([(f"equipment/{lift.registry_code}/reading", body)])
    d = EquipmentDispatch.objects.select_related("station").get(fault__equipment=lift)
    assert d.station.name == "一点二公里站"  # the unit's nearest, not the other unit's closer one
    assert d.distance_m == pytest.approx(1200, abs=15)
    assert d.dispatched_at == t0
    # A crew member's tag 2 km away: not there; inside the site: arrived, by name.
    person = Subject.objects.create(
        kind="person", external_id="W1", name="维保员王", enterprise=kept["crew"], person_type="03"
    )
    seen = datetime.now(UTC)
    SubjectState.objects.create(
        subject=person, time=seen, geom=Point(*offset(lon, lat, 2000), 0, srid=4490), source="demo"
    )
    assert equipment_upkeep.arrivals_sweep() == 0
    SubjectState.objects.filter(subject=person).update(geom=Point(*offset(lon, lat, 20), 0, srid=4490))
    assert equipment_upkeep.arrivals_sweep() == 1
    d.refresh_from_db()
    assert (d.arrival, d.arrived_by, d.arrived_at) == ("position", "维保员王", seen)
    card = equipment_card(kept, "sup")
    assert card["faults_open"][0]["dispatch"]["station"] == "一点二公里站"
    assert card["stations"][0]["distance_m"] == pytest.approx(1200, abs=15)


def equipment_card(kept, who: str, client=None) -> dict:
    from django.test import Client

    return (client or Client()).get(f"/api/equipment/{kept['lift'].id}", **kept["auth"][who]).json()


def test_check_in_is_refused_away_from_the_device_and_a_maintenance_record_ends_the_overdue_state(client, kept):
    lift, lon, lat = kept["lift"], kept["lon"], kept["lat"]
    lift.maintained_at = datetime.now(UTC) - timedelta(days=20)
    lift.save()
    equipment_upkeep.sweep()
    assert state_of(lift) == "maintenance_overdue"
    url = f"/api/equipment/{lift.id}/checkins"
    far = dict(zip(("lon", "lat"), offset(lon, lat, 500), strict=True))
    r = client.post(
        url, {"kind": "maintenance", "by": "维保员王", **far, "accuracy_m": 30}, "application/json", **kept["auth"]["a"]
    )
    assert r.status_code == 400
    assert "beyond the position's accuracy" in r.json()["error"]
    vague = {"kind": "maintenance", "by": "王", "lon": lon, "lat": lat, "accuracy_m": 5000}
    assert "too vague" in client.post(url, vague, "application/json", **kept["auth"]["a"]).json()["error"]
    # Inside the site (the footprint is 110 m by 96 m), within accuracy: recorded, and the state is in order again.
    near = dict(zip(("lon", "lat"), offset(lon, lat, 40), strict=True))
    r = client.post(
        url,
        {"kind": "maintenance", "by": "维保员王", **near, "accuracy_m": 15},
        "application/json",
        **kept["auth"]["a"],
    )
    assert r.status_code == 201, r.content
    assert r.json()["distance_m"] == 0
    assert state_of(lift) == "ok"
    assert UpkeepRecord.objects.get(equipment=lift).unit == kept["unit"]
    # An inspection records its verdict and next due day; a reader records nothing; another enterprise cannot see it.
    insp = {"kind": "inspection", "by": "检验员李", **near, "accuracy_m": 15, "passed": True, "next_due": "2030-01-31"}
    assert client.post(url, insp, "application/json", **kept["auth"]["js"]).status_code == 201
    lift.refresh_from_db()
    assert (lift.inspection_passed, lift.inspection_due.isoformat()) == (True, "2030-01-31")
    assert client.post(url, insp, "application/json", **kept["auth"]["reader"]).status_code in (403, 404)
    assert client.post(url, insp, "application/json", **kept["auth"]["b"]).status_code == 404
    records = client.get(f"/api/equipment/{lift.id}/records", **kept["auth"]["a"]).json()["records"]
    assert [r["kind"] for r in records] == ["inspection", "maintenance"]


def test_bulk_reassignment_and_moving_a_device_are_audited_and_checked(client, kept):
    lift, lift_b, other = kept["lift"], kept["lift_b"], kept["other"]
    body = {"equipment": [lift.id, lift_b.id], "maintenance_unit": other.id}
    # Enterprise A cannot see B's device: the whole request is refused, nothing changes.
    assert client.post("/api/equipment/reassign", body, "application/json", **kept["auth"]["a"]).status_code == 404
    assert SpecialEquipment.objects.get(pk=lift.id).maintenance_unit == kept["unit"]
    r = client.post("/api/equipment/reassign", body, "application/json", **kept["auth"]["sup"])
    assert r.status_code == 200
    assert r.json()["changed"] == 1  # B's was the other unit's already
    assert SpecialEquipment.objects.get(pk=lift.id).maintenance_unit == other
    event = AuditEvent.objects.get(action="reassigned")
    assert event.detail["before"] == {str(lift.id): "金山电梯维保"}
    # 设备迁移: the using unit moves its own device; another enterprise's cannot; a bad point is refused by field.
    url = f"/api/equipment/{lift.id}"
    to = {"location": {"type": "Point", "coordinates": [kept["lon"] + 0.001, kept["lat"]]}, "address": "新址"}
    r = client.patch(url, to, "application/json", **kept["auth"]["a"])
    assert r.status_code == 200, r.content
    assert r.json()["address"] == "新址"
    moved = AuditEvent.objects.get(action="moved")
    assert moved.detail["before"]["address"] == "金山区测试路1号"
    assert client.patch(url, to, "application/json", **kept["auth"]["b"]).status_code == 404
    bad = client.patch(
        url, {"location": {"type": "Point", "coordinates": [999, 0]}}, "application/json", **kept["auth"]["a"]
    )
    assert bad.status_code == 400
    assert "location.coordinates[0]" in bad.json()["error"]
    assert client.patch(url, {"address": "x"}, "application/json", **kept["auth"]["reader"]).status_code in (403, 404)


def test_the_list_and_its_files_honour_the_callers_scope(client, kept):
    ent_a = client.get("/api/equipment", **kept["auth"]["a"]).json()
    assert [r["registry_code"] for r in ent_a["equipment"]] == [kept["lift"].registry_code]
    sup = client.get("/api/equipment?q=HYPERLINK", **kept["auth"]["sup"]).json()
    assert [r["registry_code"] for r in sup["equipment"]] == [kept["lift_b"].registry_code]
    r = client.get("/api/equipment?f=xlsx", **kept["auth"]["sup"])
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content))) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
        strings = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in z.namelist() else sheets
    assert "<f>" not in sheets  # no cell is a formula
    assert "设备注册代码" in strings
    assert "报警信息" in strings
    csv = b"".join(client.get("/api/equipment?f=csv", **kept["auth"]["a"]).streaming_content).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("设备名称,设备注册代码,设备类别,状态,位置,报警信息,更新时间")
    assert kept["lift"].registry_code in csv
    assert kept["lift_b"].registry_code not in csv
    every = b"".join(client.get("/api/equipment?f=csv", **kept["auth"]["sup"]).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in every  # made inert in a CSV
    assert client.get("/api/equipment?upkeep=nonsense", **kept["auth"]["a"]).status_code == 400


def test_faults_are_counted_by_month_and_quarter_within_scope(client, kept):
    lift, lift_b = kept["lift"], kept["lift_b"]
    jan = datetime(2026, 1, 15, 2, tzinfo=UTC)
    for e, code, t in (
        (lift, "trapped", jan),
        (lift, "door_lock", jan + timedelta(days=3)),
        (lift, "trapped", datetime(2026, 3, 2, tzinfo=UTC)),
        (lift_b, "overspeed", jan),
    ):
        EquipmentFault.objects.create(equipment=e, code=code, started_at=t, ended_at=t + timedelta(minutes=5))
    q = "from=2025-12-01T00:00:00Z&to=2026-12-01T00:00:00Z"
    month = client.get(f"/api/equipment-faults/stats?{q}", **kept["auth"]["a"]).json()["periods"]
    assert [(p["period"], p["total"]) for p in month] == [("2026-01", 2), ("2026-03", 1)]
    assert month[0]["by_code"] == {"door_lock": 1, "trapped": 1}
    quarter = client.get(f"/api/equipment-faults/stats?by=quarter&{q}", **kept["auth"]["sup"]).json()["periods"]
    assert [(p["period"], p["total"]) for p in quarter] == [("2026-Q1", 4)]
    # The history across devices, by unit and period, within scope; the same as a file.
    unit = kept["unit"].id
    listed = client.get(f"/api/equipment-faults?unit={unit}&{q}", **kept["auth"]["sup"]).json()
    assert [(f["registry_code"], f["label"], f["minutes"]) for f in listed["faults"]][-1] == (
        lift.registry_code,
        "困人",
        5.0,
    )
    assert listed["total"] == 3
    assert client.get(f"/api/equipment-faults?{q}", **kept["auth"]["a"]).json()["total"] == 3  # not B's
    csv = b"".join(client.get(f"/api/equipment-faults?f=csv&{q}", **kept["auth"]["a"]).streaming_content)
    assert csv.decode("utf-8-sig").count("困人") == 2


def test_service_age_is_a_distribution_per_district(client, kept):
    lift = kept["lift"]
    lift.manufactured_on = today() - timedelta(days=int(12.5 * 365))
    lift.save()
    r = client.get("/api/equipment/service-age", **kept["auth"]["sup"]).json()
    assert r["buckets"] == ["0-5", "5-10", "10-15", "15-20", "20-25", "25+"]
    assert r["no_date"] == 1  # B's has no manufacturing date
    (jinshan,) = r["regions"]
    assert (jinshan["code"], jinshan["counts"]) == (JINSHAN, [0, 0, 1, 0, 0, 0])
    assert client.get("/api/equipment/service-age", **kept["auth"]["b"]).json()["regions"] == []


def test_units_and_stations_import_from_a_file_and_stations_need_a_known_unit(tmp_path, kept):
    lon, lat = kept["lon"], kept["lat"]
    units = tmp_path / "units.csv"
    units.write_text(
        "维保单位名称,资质证书编号,资质有效期至,值班电话,经度,纬度\n"
        f"山阳电梯维保,TS3431001,2027/3/1,021-3,{lon},{lat}\n"
        f"漕泾电梯维保,TS3431002,明年,021-4,{lon},{lat}\n",
        encoding="utf-8",
    )
    report = importer.run(units, "maintenance_units")
    assert [(o.action, o.field) for o in report.features] == [("created", None), ("refused", "licence_expires")]
    assert MaintenanceUnit.objects.get(name="山阳电梯维保").licence_expires.isoformat() == "2027-03-01"
    stations = tmp_path / "stations.csv"
    stations.write_text(
        f"站点名称,维保单位,经度,纬度\n一号站,山阳电梯维保,{lon},{lat}\n二号站,不存在的单位,{lon},{lat}\n",
        encoding="utf-8",
    )
    report = importer.run(stations, "rescue_stations")
    assert [(o.action, o.field) for o in report.features] == [("created", None), ("refused", "unit")]
    assert importer.run(stations, "rescue_stations").counts.get("unchanged") == 1  # a second run changes nothing


def test_the_report_api_feed_records_its_own_equipments_maintenance_and_inspections(kept):
    from geo_core.ingest.equipment_feeds import handle_records

    lift, lift_b = kept["lift"], kept["lift_b"]
    lift.maintained_at = datetime.now(UTC) - timedelta(days=20)
    lift.inspection_due = today() - timedelta(days=3)
    lift.save()
    equipment_upkeep.sweep()
    assert state_of(lift) == "inspection_overdue"
    done = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    records = [
        {"REGISTRY_CODE": lift.registry_code, "KIND": "维保", "DONE_TIME": done, "BY": "维保员王"},
        {
            "REGISTRY_CODE": lift.registry_code,
            "KIND": "检验",
            "DONE_TIME": done,
            "BY": "检验员李",
            "RESULT": "合格",
            "NEXT_DUE": "2027-12-01",
        },
        {"REGISTRY_CODE": lift_b.registry_code, "KIND": "维保", "DONE_TIME": done, "BY": "王"},  # B's device
        {"REGISTRY_CODE": lift.registry_code, "KIND": "检验", "DONE_TIME": done, "BY": "李", "RESULT": "合格"},
        {"REGISTRY_CODE": lift.registry_code, "KIND": "保养", "DONE_TIME": done, "BY": "王"},
    ]
    report = handle_records(lift.enterprise, records)
    assert report.accepted == 2
    assert [(r.index, r.field) for r in report.rejected] == [(2, "REGISTRY_CODE"), (3, "NEXT_DUE"), (4, "KIND")]
    assert state_of(lift) == "ok"  # maintained and inspected: in order again
    assert lift.inspection_due.isoformat() == "2027-12-01"
    again = handle_records(lift.enterprise, records[:2])
    assert (again.accepted, again.duplicates) == (0, 2)
    assert UpkeepRecord.objects.filter(equipment=lift, source="report_api").count() == 2


def test_units_and_stations_are_kept_by_the_authorities_and_counted_within_scope(client, kept):
    lon, lat = kept["lon"], kept["lat"]
    body = {"name": "新维保单位", "phone": "021-5", "licence_expires": "2027-06-30",
            "location": {"type": "Point", "coordinates": [lon, lat]}}  # fmt: skip
    assert client.post("/api/maintenance-units", body, "application/json", **kept["auth"]["a"]).status_code == 403
    r = client.post("/api/maintenance-units", body, "application/json", **kept["auth"]["js"])
    assert r.status_code == 201, r.content
    uid = r.json()["id"]
    dup = client.post("/api/maintenance-units", body, "application/json", **kept["auth"]["sup"])
    assert dup.status_code == 400
    assert "exists" in dup.json()["error"]
    station = {"name": "一号站", "location": {"type": "Point", "coordinates": [lon + 0.01, lat]}}
    r = client.post(f"/api/maintenance-units/{uid}/stations", station, "application/json", **kept["auth"]["sup"])
    assert [s["name"] for s in r.json()["stations"]] == ["一号站"]
    sid = r.json()["stations"][0]["id"]
    assert (
        client.patch(
            f"/api/rescue-stations/{sid}", {"name": "改名站"}, "application/json", **kept["auth"]["b"]
        ).status_code
        == 403
    )
    assert client.delete(f"/api/rescue-stations/{sid}", **kept["auth"]["sup"]).status_code == 204
    assert {
        e.action
        for e in AuditEvent.objects.filter(target_type__in=["geo_core.maintenanceunit", "geo_core.rescuestation"])
    } == {"created", "deleted"}
    # Each sees how many devices a unit keeps among those it may see: B's device is not counted for A.
    units = {u["name"]: u for u in client.get("/api/maintenance-units", **kept["auth"]["a"]).json()["units"]}
    assert (units["金山电梯维保"]["devices"], units["奉贤电梯维保"]["devices"]) == (1, 0)
    units = {u["name"]: u for u in client.get("/api/maintenance-units", **kept["auth"]["sup"]).json()["units"]}
    assert (units["金山电梯维保"]["devices"], units["奉贤电梯维保"]["devices"]) == (1, 1)
