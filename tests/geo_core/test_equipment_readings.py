"""Special equipment's IoT readings on the device path (EQP-1): the live state follows the newest reading, a repeat or
a late reading changes nothing, faults open and close as readings name them (and as pressure passes the device's own
limit), bad fields are quarantined with their reason and the good readings kept, unknown devices counted, silent
monitors go offline; the device's map row changes only when its monitoring state does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from geo_core.ingest import equipment
from geo_core.ingest.devices import process
from geo_core.models import EquipmentFault, EquipmentState, Quarantine, SpecialEquipment, UnknownDevice

pytestmark = pytest.mark.django_db
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


@pytest.fixture
def lift(db) -> SpecialEquipment:
    return SpecialEquipment.objects.create(
        registry_code="31103101012026000001",
        kind="elevator",
        name="1号客梯",
        using_unit="测试大厦",
        location=Point(121.40, 30.80, srid=4490),
    )


@pytest.fixture
def boiler(db) -> SpecialEquipment:
    return SpecialEquipment.objects.create(
        registry_code="11103101012026000002",
        kind="boiler",
        name="2号锅炉",
        using_unit="测试化工",
        location=Point(121.41, 30.80, srid=4490),
        attributes={"limits": {"pressure_max_mpa": 1.25}},
    )


def reading(code: str, at: datetime, **fields) -> tuple[str, bytes]:
    return f"equipment/{code}/reading", orjson.dumps({"ts": int(at.timestamp() * 1000), **fields})


def test_the_live_state_follows_the_newest_reading_and_faults_open_and_close(lift):
    code = lift.registry_code
    r = process(
        [
            reading(code, T0, floor=3, direction="up", door="closed", runs=1200, running_h=812.5),
            reading(code, T0 + timedelta(seconds=5), floor=5, direction="stop", door="closed", faults=["trapped"]),
        ]
    )
    assert (r.readings, r.faults, r.quarantined) == (2, 1, 0)
    state = EquipmentState.objects.get(equipment=lift)
    assert state.live == {"floor": 5, "direction": "stop", "door": "closed", "faults": ["trapped"]}
    lift.refresh_from_db()
    assert lift.monitoring == "alarm"  # trapped passengers: 报警
    (fault,) = EquipmentFault.objects.filter(equipment=lift)
    assert (fault.code, fault.started_at, fault.ended_at) == ("trapped", T0 + timedelta(seconds=5), None)

    # The same reading again, and one from before: nothing changes.
    again = process([reading(code, T0 + timedelta(seconds=5), floor=5, faults=["trapped"]), reading(code, T0, floor=1)])
    assert (again.readings, again.duplicates) == (0, 2)
    assert EquipmentState.objects.get(equipment=lift).live["floor"] == 5

    # Released: the fault ends at the first reading without it; the device is online again.
    process([reading(code, T0 + timedelta(seconds=60), floor=5, direction="stop", door="open")])
    fault.refresh_from_db()
    assert fault.ended_at == T0 + timedelta(seconds=60)
    lift.refresh_from_db()
    assert lift.monitoring == "online"


def test_pressure_past_the_devices_own_limit_is_a_fault(boiler):
    code = boiler.registry_code
    process([reading(code, T0, pressure_mpa=1.10, temperature_c=180.0)])
    assert not EquipmentFault.objects.exists()
    process([reading(code, T0 + timedelta(seconds=5), pressure_mpa=1.31)])
    (fault,) = EquipmentFault.objects.all()
    assert fault.code == "overpressure"
    assert fault.reading == {"pressure_mpa": 1.31}
    boiler.refresh_from_db()
    assert boiler.monitoring == "fault"


def test_bad_fields_are_quarantined_by_reason_and_the_good_readings_kept(lift):
    code = lift.registry_code
    r = process(
        [
            reading(code, T0, floor=2),
            reading(code, T0 + timedelta(seconds=1), floor=999),
            reading(code, T0 + timedelta(seconds=2), direction="sideways"),
            reading(code, T0 + timedelta(seconds=3), faults=["melted"]),
            reading(code, T0 + timedelta(seconds=4), colour="red"),
            (f"equipment/{code}/position", b'{"ts": 1795000000000}'),
            (f"equipment/{code}/reading", b"\x00"),
            reading("NOT-REGISTERED", T0, floor=1),
        ]
    )
    assert r.readings == 1
    assert r.unknown == 1
    reasons = [e["reason"] for e in r.errors]
    assert any(x.startswith("floor:") for x in reasons), reasons
    assert any(x.startswith("direction:") for x in reasons)
    assert any(x.startswith("faults:") and "melted" in x for x in reasons)
    assert any(x.startswith("colour:") for x in reasons)
    assert any(x.startswith("topic:") for x in reasons)
    assert any(x.startswith("payload:") for x in reasons)
    assert Quarantine.objects.count() == 6
    assert UnknownDevice.objects.get(kind="equipment").identifier == "NOT-REGISTERED"


def test_the_map_row_changes_only_with_the_monitoring_state(lift):
    """Readings every few seconds must not drop the equipment tiles each time: the row (and its change notice)
    moves only when 在线/故障/报警/离线 does."""
    code = lift.registry_code
    process([reading(code, T0, floor=1)])
    lift.refresh_from_db()
    first = lift.updated_at
    process([reading(code, T0 + timedelta(seconds=k), floor=k) for k in range(1, 6)])
    lift.refresh_from_db()
    assert lift.updated_at == first
    assert EquipmentState.objects.get(equipment=lift).live["floor"] == 5


def test_a_silent_monitor_goes_offline_and_comes_back_with_its_next_reading(lift):
    code = lift.registry_code
    process([reading(code, T0, floor=1)])
    with connection.cursor() as cur:
        cur.execute("UPDATE geo_core_equipmentstate SET time = now() - interval '10 minutes'")
    assert equipment.offline_sweep(300) == 1
    assert equipment.offline_sweep(300) == 0
    lift.refresh_from_db()
    assert lift.monitoring == "offline"
    process([reading(code, datetime.now(UTC), floor=2)])
    lift.refresh_from_db()
    assert lift.monitoring == "online"
