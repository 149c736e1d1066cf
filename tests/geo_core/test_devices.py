"""Device messages (welder chips, body cameras, phones): positions, events, live state; bad and unknown input kept
aside with the reason; the HTTP fallback and the MQTT consumer with a real broker."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings as django_settings
from django.db import connection

from coord_transform import transform
from geo_core.ingest import vendors
from geo_core.ingest.devices import process
from geo_core.ingest.mqtt_consumer import Consumer
from geo_core.models import DeviceEvent, DeviceVendor, Quarantine, Subject, SubjectState, UnknownDevice
from tests.geo_core.test_reliability import Broker

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0)


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def msg(topic: str, **payload) -> tuple[str, bytes]:
    return topic, json.dumps(payload).encode()


@pytest.fixture
def welder():
    return Subject.objects.create(
        kind="welder", external_id="WM1", chip_id="860000000000001", qr_code="Q1", mobility="mobile"
    )


@pytest.fixture
def camera():
    return Subject.objects.create(kind="body_camera", external_id="BC1")


def history(subject) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT time, ST_X(geom), ST_Y(geom), accuracy_m, raw_crs, source FROM geo_core_positionfix "
            "WHERE subject_id = %s ORDER BY time",
            [subject.id],
        )
        return cur.fetchall()


def test_chip_position_power_heartbeat_scan_and_tamper(welder):
    chip = welder.chip_id
    result = process(
        [
            msg(f"welder/{chip}/position", ts=ms(NOW), lon=121.45, lat=31.20, acc=150),
            msg(f"welder/{chip}/power", ts=ms(NOW), state="on", current_a=160),
            msg(f"welder/{chip}/heartbeat", ts=ms(NOW + timedelta(seconds=5)), battery=88),
            msg(
                f"welder/{chip}/scan",
                ts=ms(NOW),
                operator_id="W-01",
                decision="allow",
                phone={"lon": 121.455, "lat": 31.198},
            ),
            msg(f"welder/{chip}/tamper", ts=ms(NOW), kind="removal"),
        ]
    )
    assert (result.positions, result.events, result.quarantined, result.unknown) == (1, 4, 0, 0)
    ((_, lon, lat, acc, crs, source),) = history(welder)
    assert (lon, lat, acc, crs, source) == (121.45, 31.20, 150.0, "cgcs2000", "mqtt")
    live = SubjectState.objects.get(subject=welder).live
    assert live["power"] == "on"
    assert live["battery"] == 88
    assert live["tamper"] == "removal"
    scan = DeviceEvent.objects.get(kind="scan")
    expected = transform([121.455], [31.198], "gcj02", "cgcs2000")  # phones report GCJ-02 by default
    assert (scan.location.x, scan.location.y) == pytest.approx((expected.x[0], expected.y[0]), abs=1e-9)


def test_the_same_fix_and_event_twice_are_stored_once(welder):
    batch = [
        msg(f"welder/{welder.chip_id}/position", ts=ms(NOW), lon=121.45, lat=31.2),
        msg(f"welder/{welder.chip_id}/power", ts=ms(NOW), state="off"),
    ]
    process(batch)
    again = process(batch)
    assert (again.positions, again.duplicates) == (0, 1)
    assert len(history(welder)) == 1
    assert DeviceEvent.objects.count() == 1


def test_malformed_messages_are_quarantined_with_the_reason_and_do_not_stop_the_batch(welder):
    chip = welder.chip_id
    result = process(
        [
            (f"welder/{chip}/position", b"{not json"),
            msg(f"welder/{chip}/position", ts=ms(NOW), lon=121.45),
            msg(f"welder/{chip}/position", ts=ms(NOW), lon=121.45, lat=95.0),
            msg(f"welder/{chip}/power", ts=ms(NOW), state="maybe"),
            msg(f"welder/{chip}/explode", ts=ms(NOW)),
            msg(f"welder/{chip}/position", ts=ms(NOW + timedelta(seconds=1)), lon=121.46, lat=31.21),
        ]
    )
    assert result.positions == 1
    reasons = {e["index"]: e["reason"] for e in result.errors}
    assert reasons[0].startswith("payload: not JSON")
    assert reasons[1] == "lat: is required"
    assert reasons[2] == "lat: latitude 95.0 is out of range [-90, 90]"
    assert reasons[3] == "state: 'maybe' is not one of ['off', 'on']"
    assert "not 'explode'" in reasons[4]
    assert Quarantine.objects.count() == 5


def test_unknown_devices_are_recorded_not_dropped():
    process(
        [msg("welder/999/position", ts=ms(NOW), lon=121.45, lat=31.2), msg("welder/999/power", ts=ms(NOW), state="on")]
    )
    unknown = UnknownDevice.objects.get(kind="welder_chip", identifier="999")
    assert unknown.messages == 2
    process([msg("welder/999/heartbeat", ts=ms(NOW))])
    unknown.refresh_from_db()
    assert unknown.messages == 3


def test_body_camera_in_cgcs2000_and_phone_in_gcj02(camera):
    phone = Subject.objects.create(kind="phone", external_id="PH1")
    process(
        [
            msg("camera/BC1/position", ts=ms(NOW), lon=121.40, lat=30.78),
            msg("phone/PH1/position", ts=ms(NOW), lon=121.40, lat=30.78),
        ]
    )
    assert history(camera)[0][1:3] == (121.40, 30.78)
    expected = transform([121.40], [30.78], "gcj02", "cgcs2000")
    assert history(phone)[0][1:3] == pytest.approx((expected.x[0], expected.y[0]), abs=1e-9)


def test_http_fallback_takes_a_vendors_token_for_its_own_devices_only(client, welder, camera):
    """Issue 24 (9): one token per vendor, each for its own devices (the seed's chip vendors' platforms)."""
    mine, secret = vendors.issue("chips-a", "甲芯片")
    _, other_secret = vendors.issue("chips-b", "乙芯片")
    Subject.objects.filter(pk=welder.pk).update(vendor=mine)
    auth = {"Authorization": f"Bearer {secret}"}
    here = {"ts": ms(NOW), "lon": 121.4, "lat": 30.7}
    body = {
        "messages": [
            {"topic": f"welder/{welder.chip_id}/position", "payload": here},
            {"topic": "camera/BC1/sos", "payload": here},
            {"topic": "welder/NEWCHIP/position", "payload": here},
        ]
    }
    assert client.post("/api/devices/v1/messages", body, content_type="application/json").status_code == 401
    answer = client.post("/api/devices/v1/messages", body, content_type="application/json", headers=auth).json()
    assert answer["positions"] == 1
    assert answer["refused"] == 1  # the body camera is not chips-a's: no SOS raised in its name
    refusal = next(e for e in answer["errors"] if e["index"] == 1)
    assert "not a device of vendor chips-a" in refusal["reason"]
    assert not DeviceEvent.objects.filter(subject=camera).exists()
    assert UnknownDevice.objects.filter(identifier="NEWCHIP").exists()  # unregistered: recorded, as over MQTT
    resp = client.post(
        f"/api/devices/v1/welder/{welder.chip_id}/power",
        {"ts": ms(NOW), "state": "on"},
        content_type="application/json",
        headers=auth,
    )
    assert resp.json()["events"] == 1
    other = {"Authorization": f"Bearer {other_secret}"}
    resp = client.post(
        f"/api/devices/v1/welder/{welder.chip_id}/power",
        {"ts": ms(NOW), "state": "off"},
        content_type="application/json",
        headers=other,
    )
    assert resp.json()["refused"] == 1
    DeviceVendor.objects.filter(code="chips-a").update(active=False)
    assert (
        client.post("/api/devices/v1/messages", body, content_type="application/json", headers=auth).status_code == 401
    )


def test_mqtt_consumer_stores_and_acknowledges_what_a_real_broker_delivers(welder, monkeypatch):
    """QoS 1 through a Mosquitto of the test's own; the consumer runs in this thread (this test's transaction)."""
    broker = Broker()
    ep = dataclasses.replace(django_settings.CONFIG.mqtt, host="127.0.0.1", port=broker.port, username="", password="")
    monkeypatch.setattr(django_settings, "CONFIG", dataclasses.replace(django_settings.CONFIG, mqtt=ep))
    client_id = f"test-ingest-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(client_id=client_id, batch_size=100, flush_interval=0.05)
    consumer.start()
    try:
        assert consumer.connected.wait(10)
        time.sleep(0.3)  # subscription settles
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        pub.connect(ep.host, ep.port)
        pub.loop_start()
        for k in range(20):
            body = json.dumps({"ts": ms(NOW + timedelta(seconds=k)), "lon": 121.45, "lat": 31.2})
            pub.publish(f"welder/{welder.chip_id}/position", body, qos=1).wait_for_publish(5)
        pub.publish("welder/nochip/position", b"{}", qos=1).wait_for_publish(5)
        pub.loop_stop()
        pub.disconnect()
        deadline = time.monotonic() + 10
        while consumer.stats.positions < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
            consumer.flush()
    finally:
        consumer.stop()
        for cid in (client_id, f"{client_id}-people"):  # both lanes' sessions
            cleaner = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=cid, clean_session=True)
            cleaner.connect(ep.host, ep.port)
            cleaner.disconnect()
        broker.stop()
    assert consumer.stats.positions == 20
    assert len(history(welder)) == 20
    assert UnknownDevice.objects.filter(identifier="nochip").exists()


def test_a_chip_moved_to_another_machine_is_attributed_to_the_new_one_at_once(welder):
    process([msg(f"welder/{welder.chip_id}/position", ts=ms(NOW), lon=121.45, lat=31.2)])
    chip = welder.chip_id
    Subject.objects.filter(pk=welder.pk).update(chip_id="860000000000999")
    other = Subject.objects.create(kind="welder", external_id="WM2", chip_id=chip, qr_code="Q2", mobility="fixed")
    process([msg(f"welder/{chip}/position", ts=ms(NOW + timedelta(seconds=1)), lon=121.46, lat=31.21)])
    assert len(history(welder)) == 1
    assert len(history(other)) == 1


def test_http_fallback_takes_equipment_readings_from_its_vendor_only(client):
    """A monitor's readings are its vendor's to send: another vendor's trapped-passenger reading is refused, and
    raises nothing."""
    from django.contrib.gis.geos import Point

    from geo_core.models import EquipmentFault, SpecialEquipment

    mine, secret = vendors.issue("lifts-a", "甲电梯物联")
    _, other = vendors.issue("lifts-b", "乙电梯物联")
    SpecialEquipment.objects.create(
        registry_code="31103101012026000077",
        kind="elevator",
        using_unit="测试大厦",
        location=Point(121.4, 30.8, srid=4490),
        vendor=mine,
    )
    body = {
        "messages": [
            {"topic": "equipment/31103101012026000077/reading", "payload": {"ts": ms(NOW), "faults": ["trapped"]}}
        ]
    }
    refused = client.post(
        "/api/devices/v1/messages", body, content_type="application/json", headers={"Authorization": f"Bearer {other}"}
    ).json()
    assert refused["refused"] == 1
    assert not EquipmentFault.objects.exists()
    taken = client.post(
        "/api/devices/v1/messages", body, content_type="application/json", headers={"Authorization": f"Bearer {secret}"}
    ).json()
    assert taken["readings"] == 1
    assert EquipmentFault.objects.get().code == "trapped"
