"""Issue 24 (9): device messages are authenticated at the broker. A Mosquitto of the test's own runs with the password
and ACL files the service writes from its vendors (as `make run` does for its broker): nobody connects anonymously
or with a wrong password; a vendor publishes its own devices' topics and nothing else reaches the service; a new
device of a vendor works once the files are written again (the broker reloads them on SIGHUP)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from geo_core.ingest import vendors
from geo_core.models import Subject
from tests.conftest import free_port

pytestmark = pytest.mark.django_db
SERVICE = ("svc", "svc-password-for-the-test")


class AuthBroker:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="geo-auth-mq-"))
        self.port = free_port()
        vendors.write_broker_files(self.dir, *SERVICE)
        (self.dir / "mosquitto.conf").write_text(
            f"user root\nlistener {self.port} 127.0.0.1\nallow_anonymous false\n"
            f"password_file {self.dir}/passwd\nacl_file {self.dir}/acl\npid_file {self.dir}/mosquitto.pid\n"
        )
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.dir / "mosquitto.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not (self.dir / "mosquitto.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)

    def rewrite(self) -> None:
        vendors.write_broker_files(self.dir, *SERVICE, self.dir / "mosquitto.pid")
        time.sleep(0.5)  # the broker reloads on SIGHUP

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def connect(port: int, user: str | None, password: str | None) -> tuple[mqtt.Client, int]:
    """(client, CONNACK reason code value: 0 accepted)."""
    done = threading.Event()
    result: list[int] = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    if user is not None:
        c.username_pw_set(user, password)
    c.on_connect = lambda cl, ud, flags, rc, props: (result.append(rc.value), done.set())
    c.connect("127.0.0.1", port)
    c.loop_start()
    done.wait(5)
    return c, result[0] if result else -1


@pytest.fixture
def broker():
    b = AuthBroker()
    yield b
    b.stop()


def test_only_a_vendors_own_devices_reach_the_service(broker):
    a, a_secret = vendors.issue("chips-a", "甲芯片")
    b, _ = vendors.issue("chips-b", "乙芯片")
    Subject.objects.create(kind="welder", external_id="WA", chip_id="CHIP-A", qr_code="QA", mobility="fixed", vendor=a)
    Subject.objects.create(kind="welder", external_id="WB", chip_id="CHIP-B", qr_code="QB", mobility="fixed", vendor=b)
    Subject.objects.create(kind="phone", external_id="PH-B", vendor=b)
    broker.rewrite()

    for user, password in ((None, None), ("chips-a", "wrong"), ("nobody", "x")):
        c, rc = connect(broker.port, user, password)
        c.loop_stop()
        assert rc != 0, user  # refused at CONNECT

    got: list[str] = []
    svc, rc = connect(broker.port, *SERVICE)
    assert rc == 0
    svc.on_message = lambda cl, ud, m: got.append(m.topic)
    svc.subscribe([("welder/#", 1), ("phone/#", 1)])
    time.sleep(0.3)
    vendor, rc = connect(broker.port, "chips-a", a_secret)
    assert rc == 0
    for topic in ("welder/CHIP-A/position", "welder/CHIP-B/position", "phone/PH-B/sos", "welder/NEW/position"):
        vendor.publish(topic, b'{"ts": 1}', qos=1)
    time.sleep(1.0)
    assert got == ["welder/CHIP-A/position"]  # another vendor's machine, its phone's SOS, an unknown chip: dropped

    # A new device of vendor a: once the files are written again, its messages pass.
    Subject.objects.create(
        kind="welder", external_id="WA2", chip_id="CHIP-A2", qr_code="QA2", mobility="fixed", vendor=a
    )
    broker.rewrite()
    vendor.publish("welder/CHIP-A2/power", b'{"ts": 1}', qos=1)
    time.sleep(1.0)
    assert got[-1] == "welder/CHIP-A2/power"
    # A rotated secret: the old one is no longer let in.
    vendors.issue("chips-a", "甲芯片")  # a new secret: the old one stops working
    broker.rewrite()
    c, rc = connect(broker.port, "chips-a", a_secret)
    assert rc != 0
    for client in (svc, vendor, c):
        client.loop_stop()


def test_device_ids_that_would_widen_a_topic_pattern_get_no_acl_line():
    a, _ = vendors.issue("chips-w", "通配")
    Subject.objects.create(kind="phone", external_id="#", vendor=a)
    Subject.objects.create(kind="phone", external_id="+", vendor=a)
    _, acl = vendors.broker_files(*SERVICE)
    assert "phone/#/+" not in acl
    assert "phone/+/+" not in acl
