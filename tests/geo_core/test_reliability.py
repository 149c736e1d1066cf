"""REL-1: no fix the broker accepted is lost, or stored twice, when the ingest worker is killed (SIGKILL), the broker
restarts, or PostgreSQL restarts under load.

Each test runs its own PostgreSQL cluster and Mosquitto broker (throwaway, on free ports) and the real worker
(`manage.py ingest`) as a subprocess, so they can be killed and restarted without touching anything else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest

from tests.conftest import free_port
from tests.pgcluster import PgCluster

ROOT = Path(__file__).resolve().parents[2]
WELDERS = 100
FIXES_PER_WELDER = 40
T0_MS = 1_795_000_000_000


class Cluster(PgCluster):
    """A throwaway cluster, migrated, with WELDERS welding machines."""

    def __init__(self) -> None:
        super().__init__("rel")
        self.create()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(
                """
                INSERT INTO geo_core_subject (created_at, updated_at, kind, external_id, name, person_type, chip_id,
                    qr_code, mobility, active, provisional, attributes)
                SELECT now(), now(), 'welder', 'RW' || i, '', '', 'RC' || i, 'RQ' || i, 'fixed', true, false, '{}'
                FROM generate_series(1, %s) AS i
                """,
                [WELDERS],
            )
            conn.execute(
                "SELECT geo_core_ensure_position_partition(d::date) FROM generate_series("
                "'2026-11-18'::date, '2026-11-20'::date, '1 day') d"
            )

    def outage(self, seconds: float) -> None:
        """Stop the server (fast: connections are cut), stay down a while, start again."""
        self.ctl("-m", "fast", "-w", "stop")
        time.sleep(seconds)
        self.start()

    def stored(self) -> tuple[int, int, str]:
        """(rows, distinct (subject, time), checksum over chip, time and coordinates)."""
        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute(
                "SELECT s.chip_id, (extract(epoch FROM f.time) * 1000)::bigint, round(ST_X(f.geom)::numeric, 7), "
                "round(ST_Y(f.geom)::numeric, 7) FROM geo_core_positionfix f JOIN geo_core_subject s "
                "ON s.id = f.subject_id ORDER BY 1, 2"
            ).fetchall()
        digest = hashlib.sha256("".join(f"{c},{t},{x},{y};" for c, t, x, y in rows).encode()).hexdigest()
        return len(rows), len({(c, t) for c, t, _, _ in rows}), digest


class Broker:
    """A throwaway Mosquitto with persistence, restartable."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="geo-rel-mq-"))
        self.port = free_port()
        (self.dir / "mosquitto.conf").write_text(
            f"user root\nlistener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {self.dir}/\nautosave_interval 1\nmax_inflight_messages 0\n"
            "max_queued_messages 1000000\n"
        )
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.dir / "mosquitto.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with __import__("socket").create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("broker did not start")

    def restart(self) -> None:
        self.proc.send_signal(signal.SIGTERM)  # a clean stop writes the persistence file
        self.proc.wait(timeout=10)
        self.start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Worker:
    def __init__(self, cluster: Cluster, broker: Broker, client_id: str = "rel-worker", share_group: str = "") -> None:
        self.env = os.environ | {
            "DATABASE_URL": cluster.url,
            "MQTT_URL": f"mqtt://127.0.0.1:{broker.port}",
            "GEO_INGEST_SHARE_GROUP": share_group,
        }
        self.client_id = client_id
        self.log = cluster.dir / f"{client_id}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start and wait until subscribed: a broker drops what arrives before any subscription exists."""
        seen = self.log.read_text().count("mqtt connected") if self.log.exists() else 0
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "ingest",
                    "--client-id",
                    self.client_id,
                    "--batch-size",
                    "300",
                    "--flush-interval",
                    "0.1",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + 60
        while self.log.read_text().count("mqtt connected") <= seen:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"worker did not subscribe: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Publisher:
    """Publishes every fix with QoS 1 and keeps the ones the broker acknowledged (the ones that must be stored)."""

    def __init__(self, broker: Broker) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="rel-publisher", clean_session=False)
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(0.1, 1)
        self.client.connect(("127.0.0.1"), broker.port)
        self.client.loop_start()
        self.expected: set[tuple[str, int, float, float]] = set()

    def _publish(self, topic: str, body: str) -> mqtt.MQTTMessageInfo:
        while True:
            info = self.client.publish(topic, body, qos=1)
            if info.rc == mqtt.MQTT_ERR_SUCCESS or info.rc == mqtt.MQTT_ERR_NO_CONN:
                return info
            time.sleep(0.1)

    def _confirm(self, topic: str, body: str, info: mqtt.MQTTMessageInfo) -> None:
        """Wait for the PUBACK; republish after a broken connection, as a device does (at least once)."""
        for _ in range(100):
            try:
                info.wait_for_publish(timeout=5)
                if info.is_published():
                    return
            except (RuntimeError, ValueError):
                pass
            time.sleep(0.2)
            info = self._publish(topic, body)
        raise AssertionError(f"{topic} never acknowledged")

    def publish_all(self, events: dict[int, threading.Event]) -> None:
        """Publish FIXES_PER_WELDER rounds; events[k] is set when round k has been acknowledged."""
        for k in range(FIXES_PER_WELDER):
            sent = []
            for w in range(1, WELDERS + 1):
                lon, lat = round(121.3 + w * 1e-3, 7), round(31.0 + k * 1e-4, 7)
                topic = f"welder/RC{w}/position"
                body = f'{{"ts": {T0_MS + k * 1000}, "lon": {lon}, "lat": {lat}}}'
                sent.append(((f"RC{w}", T0_MS + k * 1000, lon, lat), topic, body, self._publish(topic, body)))
            for key, topic, body, info in sent:
                self._confirm(topic, body, info)
                self.expected.add(key)
            if k in events:
                events[k].set()
            time.sleep(0.02)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def checksum(self) -> str:
        rows = sorted(self.expected)
        return hashlib.sha256("".join(f"{c},{t},{x:.7f},{y:.7f};" for c, t, x, y in rows).encode()).hexdigest()


@pytest.fixture
def rig():
    cluster = Cluster()
    broker = Broker()
    worker = Worker(cluster, broker)
    yield cluster, broker, worker
    worker.stop()
    broker.stop()
    cluster.stop()


def _wait_for(cluster: Cluster, n: int, seconds: float = 90) -> tuple[int, int, str]:
    deadline = time.monotonic() + seconds
    got = cluster.stored()
    while got[0] < n and time.monotonic() < deadline:
        time.sleep(0.5)
        got = cluster.stored()
    time.sleep(1.0)  # anything arriving twice would show now
    return cluster.stored()


def test_worker_sigkill_and_broker_restart_lose_nothing_and_store_nothing_twice(rig):
    cluster, broker, worker = rig
    worker.start()
    publisher = Publisher(broker)
    marks = {10: threading.Event(), 25: threading.Event()}
    thread = threading.Thread(target=publisher.publish_all, args=(marks,))
    thread.start()
    assert marks[10].wait(60)
    worker.kill()  # mid-stream: whatever it held unacknowledged comes again
    time.sleep(0.5)
    worker.start()
    assert marks[25].wait(60)
    broker.restart()  # both clients reconnect; queued and in-flight messages survive in the broker's store
    thread.join(timeout=120)
    publisher.close()
    assert len(publisher.expected) == WELDERS * FIXES_PER_WELDER
    rows, distinct, checksum = _wait_for(cluster, len(publisher.expected))
    assert rows == distinct == len(publisher.expected)
    assert checksum == publisher.checksum()
    log = worker.log.read_text()
    assert log.count('"session_present": true') >= 2  # the restarted worker and the broker restart found the session


def test_two_workers_share_the_topics_and_a_killed_one_loses_nothing(rig):
    """Two workers behind one MQTT shared subscription: both store, and killing one mid-stream loses nothing (its
    unacknowledged messages come again when it is back) and stores nothing twice."""
    cluster, broker, _ = rig
    workers = [Worker(cluster, broker, f"rel-shared-{i}", share_group="rel") for i in (1, 2)]
    try:
        for w in workers:
            w.start()
        publisher = Publisher(broker)
        marks = {10: threading.Event()}
        thread = threading.Thread(target=publisher.publish_all, args=(marks,))
        thread.start()
        assert marks[10].wait(60)
        workers[0].kill()
        time.sleep(0.5)
        workers[0].start()
        thread.join(timeout=120)
        publisher.close()
        rows, distinct, checksum = _wait_for(cluster, len(publisher.expected))
        assert len(publisher.expected) == WELDERS * FIXES_PER_WELDER
        assert rows == distinct == len(publisher.expected)
        assert checksum == publisher.checksum()
    finally:
        for w in workers:
            w.stop()
    for w in workers:
        log = w.log.read_text()
        assert '"$share/rel/welder/+/+"' in log
        stopped = json.loads(log[log.rindex('{"event": "ingest worker stopped"') :].splitlines()[0])
        assert stopped["received"] > 0  # the broker gave both workers a share


def test_postgresql_restart_under_load_loses_nothing(rig):
    cluster, broker, worker = rig
    worker.start()
    publisher = Publisher(broker)
    marks = {15: threading.Event()}
    thread = threading.Thread(target=publisher.publish_all, args=(marks,))
    thread.start()
    assert marks[15].wait(60)
    cluster.outage(2.0)  # the worker's connection breaks mid-stream; it keeps its batch and reconnects
    thread.join(timeout=120)
    publisher.close()
    rows, distinct, checksum = _wait_for(cluster, len(publisher.expected))
    assert rows == distinct == len(publisher.expected) == WELDERS * FIXES_PER_WELDER
    assert checksum == publisher.checksum()
    assert "database unavailable, batch kept" in worker.log.read_text()
