"""REL-1 with ALM: the broker stops for longer than the silence limit while 20,000 welding machines are powered on.
Through the real path (Mosquitto, the ingest consumer, PostGIS, the alarm worker): one outage alarm, no alarm per
machine, and the outage ends when data flows again."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid

import paho.mqtt.client as mqtt
from django.conf import settings as django_settings

from alarms.models import Alarm
from geo_core.ingest.mqtt_consumer import Consumer
from geo_core.models import DeviceEvent, Subject
from tests.alarms.conftest import T0
from tests.alarms.test_worker import started
from tests.geo_core.test_reliability import Broker

MACHINES = 20_000
SILENT_S = 600.0  # the default welder_silent limit


def _publish_all(port: int, chips: list[str], kind: str, ts_ms: int) -> None:
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    body = {"power": {"ts": ts_ms, "state": "on"}, "heartbeat": {"ts": ts_ms, "power": "on", "battery": 80}}[kind]
    infos = [pub.publish(f"welder/{c}/{kind}", json.dumps(body), qos=1) for c in chips]
    for info in infos:
        info.wait_for_publish(30)
    pub.loop_stop()
    pub.disconnect()


def _drain(consumer: Consumer, want: int) -> None:
    deadline = time.monotonic() + 120
    while DeviceEvent.objects.count() < want and time.monotonic() < deadline:
        consumer.flush()
        time.sleep(0.05)
    assert DeviceEvent.objects.count() >= want


def test_broker_stopped_longer_than_the_silence_limit_is_one_outage_and_ends_when_data_flows(scene, monkeypatch):
    chips = [f"OUT-{k:05d}" for k in range(MACHINES)]
    Subject.objects.bulk_create(
        [
            Subject(
                kind="welder",
                external_id=c,
                enterprise=scene.enterprise,
                chip_id=c,
                qr_code=f"QR-{c}",
                mobility="fixed",
            )
            for c in chips
        ],
        batch_size=5000,
    )
    broker = Broker()
    cfg = django_settings.CONFIG
    monkeypatch.setattr(
        django_settings,
        "CONFIG",
        dataclasses.replace(
            cfg, mqtt=dataclasses.replace(cfg.mqtt, host="127.0.0.1", port=broker.port, username="", password="")
        ),
    )
    consumer = Consumer(client_id=f"test-outage-{uuid.uuid4().hex[:8]}", batch_size=5000, flush_interval=0.05)
    consumer.start()
    try:
        assert consumer.connected.wait(10)
        time.sleep(0.3)
        _publish_all(broker.port, chips, "power", int(T0 * 1000))
        _drain(consumer, MACHINES)
        w = started(now=T0)
        for k in range(10):  # the worker reads device events a page per step
            w.step(T0 + 1 + k, [])
        ids = Subject.objects.filter(chip_id__in=chips).values_list("id", flat=True)
        assert sum((w.engine.power_of(i) or (False, 0))[0] for i in ids) == MACHINES
        # The broker goes down; nothing arrives for longer than the silence limit.
        broker.proc.kill()
        broker.proc.wait()
        for now in (T0 + SILENT_S + 10, T0 + SILENT_S + 60):
            w.step(now, [])
        outage = Alarm.objects.get(type="feed_outage")
        assert outage.evidence["silent"] == MACHINES
        assert outage.ended_at is None
        assert not Alarm.objects.filter(type="welder_silent").exists()
        # It comes back; the machines' heartbeats flow again (the consumer reconnects by itself).
        broker.start()
        assert consumer.connected.wait(30)
        back = T0 + SILENT_S + 120
        _publish_all(broker.port, chips, "heartbeat", int(back * 1000))
        _drain(consumer, 2 * MACHINES)
        for k in range(10):
            w.step(back + 1 + k, [])
        w.step(back + SILENT_S - 10, [])
        outage.refresh_from_db()
        assert outage.ended_at is not None
        assert outage.evidence["end"]["reason"] == "data flows again"
        assert not Alarm.objects.filter(type="welder_silent").exists()
        assert Alarm.objects.filter(type="feed_outage").count() == 1
    finally:
        consumer.stop()
        broker.stop()
