"""Special equipment's faults as alarms (EQP-1): through the pure engine (severity by fault, ended by the device,
escalated when still reported past its time to handle, once), and end to end through the real broker, the ingest
consumer and the alarm worker: a trapped-passenger reading raises a critical alarm within 2 s of being sent, and a
reading without it ends the alarm."""

from __future__ import annotations

import dataclasses
import time
import uuid

import orjson
import pytest
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point

from alarms.engine import RuleSpec
from alarms.models import Alarm
from alarms.rules.equipment import Fault
from geo_core.ingest.mqtt_consumer import Consumer
from geo_core.models import MaintenanceUnit, RescueStation, SpecialEquipment
from tests.alarms.scenes import engine, kinds
from tests.alarms.test_device_poison import _publish
from tests.alarms.test_worker import started
from tests.geo_core.test_reliability import Broker

FAULT = RuleSpec(1, "equipment_fault")
OVERDUE = RuleSpec(2, "equipment_fault_overdue")
INFO = {"registry_code": "31103101012026000009", "name": "1号客梯"}


def fault(fid: int, code: str, t: float, ended: bool = False, equipment: int = 7) -> Fault:
    return Fault(fid, equipment, code, t, ended, enterprise=None, lon=121.4, lat=30.8, info=INFO)


def test_a_fault_raises_with_its_severity_ends_with_the_device_and_escalates_once_when_left():
    e = engine([FAULT, OVERDUE])
    sig = e.equipment(fault(1, "trapped", 1000.0))
    assert kinds(sig) == [("raise", "equipment_fault")]
    assert sig[0].severity == "critical"
    assert sig[0].evidence["fault_label"] == "困人"
    assert (sig[0].lon, sig[0].lat) == (121.4, 30.8)
    assert e.equipment(fault(1, "trapped", 1001.0)) == []  # the same fault again: one alarm
    assert e.tick(1000.0 + 1799) == []
    late = e.tick(1000.0 + 1800)  # TSG T5002's 30 minutes
    assert kinds(late) == [("raise", "equipment_fault_overdue")]
    assert late[0].evidence["handle_within_s"] == 1800
    assert e.tick(1000.0 + 2400) == []  # once
    done = e.equipment(fault(1, "trapped", 1000.0 + 2500, ended=True))
    assert sorted(kinds(done)) == [("end", "equipment_fault"), ("end", "equipment_fault_overdue")]

    minor = e.equipment(fault(2, "stop_out_of_zone", 5000.0))
    assert minor[0].severity == "orange"
    ended = e.equipment(fault(2, "stop_out_of_zone", 5060.0, ended=True))
    assert kinds(ended) == [("end", "equipment_fault")]
    assert e.tick(5000.0 + 7200) == []  # ended in time: never overdue


@pytest.mark.django_db
def test_a_trapped_passenger_reading_raises_a_critical_alarm_within_2_s_and_a_clear_one_ends_it(scene, monkeypatch):
    """...and the alarm names the maintenance unit's nearest rescue station (hand-built: 300 m and 900 m away)."""
    unit = MaintenanceUnit.objects.create(name="测试维保")
    for name, east in (("远站", 900), ("近站", 300)):
        RescueStation.objects.create(
            unit=unit, name=name, phone="021-9", location=Point(*scene.at(20 + east, 20), srid=4490)
        )
    lift = SpecialEquipment.objects.create(
        registry_code="31103101012026000010",
        kind="elevator",
        name="3号客梯",
        using_unit=scene.enterprise.name,
        enterprise=scene.enterprise,
        maintenance_unit=unit,
        location=Point(*scene.at(20, 20), srid=4490),
    )
    broker = Broker()
    cfg = django_settings.CONFIG
    mqtt = dataclasses.replace(cfg.mqtt, host="127.0.0.1", port=broker.port, username="", password="")
    monkeypatch.setattr(django_settings, "CONFIG", dataclasses.replace(cfg, mqtt=mqtt))
    consumer = Consumer(client_id=f"test-lift-{uuid.uuid4().hex[:8]}", batch_size=500, flush_interval=0.05)
    consumer.start()
    w = started(now=time.time())
    topic = f"equipment/{lift.registry_code}/reading"

    def send(**fields) -> float:
        sent = time.monotonic()
        _publish(broker.port, [(topic, orjson.dumps({"ts": int(time.time() * 1000), **fields}))])
        return sent

    def until(check) -> None:
        deadline = time.monotonic() + 10
        while not check() and time.monotonic() < deadline:
            consumer.flush()
            w.step(time.time(), [], events=True, tick=False)
            time.sleep(0.02)

    try:
        assert consumer.connected.wait(10)
        send(floor=4, direction="up", door="closed")
        sent = send(floor=4, direction="stop", door="closed", faults=["trapped"])
        until(lambda: Alarm.objects.filter(type="equipment_fault").exists())
        took = time.monotonic() - sent
        a = Alarm.objects.get(type="equipment_fault")
        assert took < 2.0, took
        assert (a.severity, a.category, a.enterprise_id) == ("critical", "equipment", scene.enterprise.id)
        assert a.evidence["equipment"]["registry_code"] == lift.registry_code
        assert a.location.distance(lift.location) < 1e-9
        assert a.evidence["dispatch"]["station"] == "近站"
        assert a.evidence["dispatch"]["distance_m"] == pytest.approx(300, abs=3)
        send(floor=4, direction="stop", door="open")
        until(lambda: Alarm.objects.filter(type="equipment_fault", ended_at__isnull=False).exists())
        assert Alarm.objects.get(type="equipment_fault").ended_at is not None
    finally:
        consumer.stop()
        broker.stop()


@pytest.mark.django_db
def test_a_fault_whose_evaluation_failed_is_tried_again_and_raised(scene, monkeypatch):
    """As for device events: an input that fails once is not lost behind the cursor."""
    from datetime import UTC, datetime

    from geo_core.models import EquipmentFault

    lift = SpecialEquipment.objects.create(
        registry_code="31103101012026000011",
        kind="elevator",
        using_unit=scene.enterprise.name,
        enterprise=scene.enterprise,
        location=Point(*scene.at(10, 10), srid=4490),
    )
    w = started(now=time.time())
    real = w.engine.equipment
    calls = {"n": 0}

    def flaky(f):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient")
        return real(f)

    monkeypatch.setattr(w.engine, "equipment", flaky)
    EquipmentFault.objects.create(equipment=lift, code="trapped", started_at=datetime.now(UTC))
    w.step(time.time(), [], events=True, tick=False)
    assert not Alarm.objects.filter(type="equipment_fault").exists()
    w.step(time.time(), [], events=True, tick=False)
    assert Alarm.objects.get(type="equipment_fault").severity == "critical"
