"""Issue 24 (2): no device payload stops ingest. Every class of garbage goes through the real broker and the real
consumer on a device topic, is quarantined with its raw bytes and acknowledged; a real SOS sent after it still raises
within ALM-6's 5 s, and a restart of the consumer on its persistent session is not handed the poison again."""

from __future__ import annotations

import dataclasses
import time
import uuid

import orjson
import paho.mqtt.client as mqtt
from django.conf import settings as django_settings

from alarms.models import Alarm
from geo_core.ingest.mqtt_consumer import Consumer
from geo_core.models import Quarantine, Subject
from tests.alarms.conftest import T0
from tests.alarms.test_worker import started
from tests.geo_core.test_reliability import Broker

GARBAGE = {
    "nul": b"\x00",
    "invalid-utf8": b"\xff\xfe\xc3\x28{",
    "ten-megabytes": b'{"ts": 1795000000000, "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}',
    "deep-json": b"[" * 200_000 + b"]" * 200_000,
    "wrong-types": b'{"ts": "yesterday", "lon": [121.3], "lat": {"a": 1}}',
    "not-an-object": b"[1, 2, 3]",
    "surrogate": b'{"ts": 1795000000000, "lon": 121.3, "lat": 30.7, "acc": "\\ud800"}',
}

# A power event must name its state; this one's only text holds a NUL (jsonb refuses it too).
NUL_IN_JSON = b'{"ts": 1795000000000, "note": "a\\u0000b"}'


def _publish(port: int, messages: list[tuple[str, bytes]]) -> None:
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    for topic, payload in messages:
        pub.publish(topic, payload, qos=1).wait_for_publish(30)
    pub.loop_stop()
    pub.disconnect()


def test_garbage_on_device_topics_is_quarantined_and_a_real_sos_still_raises(scene, monkeypatch):
    chip = Subject.objects.filter(kind="welder").exclude(chip_id="").values_list("chip_id", flat=True).first()
    if chip is None:
        chip = "POISON-CHIP"
        Subject.objects.create(
            kind="welder",
            external_id=chip,
            enterprise=scene.enterprise,
            chip_id=chip,
            qr_code=f"QR-{chip}",
            mobility="fixed",
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
    client_id = f"test-poison-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(client_id=client_id, batch_size=500, flush_interval=0.05)
    consumer.start()
    w = started()
    try:
        assert consumer.connected.wait(10)
        time.sleep(0.3)
        poison = [(f"welder/{chip}/position", p) for p in GARBAGE.values()]
        poison += [("phone/BC1/sos", GARBAGE["nul"]), (f"welder/{chip}/power", NUL_IN_JSON)]
        _publish(broker.port, poison)
        deadline = time.monotonic() + 60
        while Quarantine.objects.count() < len(poison) and time.monotonic() < deadline:
            consumer.flush()
            time.sleep(0.05)
        rows = list(Quarantine.objects.order_by("id"))
        assert len(rows) == len(poison), [r.reason for r in rows]
        by_raw = {bytes(r.raw): r for r in rows}
        assert by_raw[b"\x00"].payload == "\\x00"  # readable, and the bytes kept as they came
        assert bytes(by_raw[b"\xff\xfe\xc3\x28{"].raw) == b"\xff\xfe\xc3\x28{"
        big = next(r for r in rows if r.size == len(GARBAGE["ten-megabytes"]))
        assert len(bytes(big.raw)) == 64 * 1024

        # The worker is alive and a real SOS behind the garbage raises within 5 s of being sent.
        sent = time.monotonic()
        _publish(broker.port, [("camera/BC1/sos", orjson.dumps({"ts": int(T0 * 1000), "lon": 121.3, "lat": 30.75}))])
        while not Alarm.objects.filter(type="sos").exists() and time.monotonic() - sent < 10:
            consumer.flush()
            w.step(T0 + 0.1, [], events=True, tick=False)
            time.sleep(0.02)
        assert Alarm.objects.filter(type="sos").exists()
        assert time.monotonic() - sent < 5.0
    finally:
        consumer.stop()
    # A restart on the same persistent session: the poison was acknowledged, nothing comes back.
    again = Consumer(client_id=client_id, batch_size=500, flush_interval=0.05)
    again.start()
    try:
        assert again.connected.wait(10)
        time.sleep(1.0)
        again.flush()
        assert again.stats.received == 0
        assert Quarantine.objects.count() == len(poison)
    finally:
        again.stop()
        broker.stop()
