"""The MQTT consumer for device topics (ING-2, REL-1).

QoS 1 with persistent sessions (clean_session=False, fixed client ids; one for the machines' lane, one beside it for
people's devices, see LANES), so the broker keeps what arrives while the worker is down. Messages are acknowledged by
hand, only after the batch holding them has committed: a worker killed between receipt and commit gets them again
(and the (subject, time) key stores a repeated fix once). A database outage keeps the batch, reconnects and retries;
nothing is acknowledged until it is stored.

Several workers share the load through MQTT shared subscriptions (`$share/<group>/<topic>`, GEO_INGEST_SHARE_GROUP):
the broker gives each message to one worker of the group, each worker with its own client id and persistent
session. Two fixes of one subject may then be stored by two workers in either order; what depends on their order
keeps it itself: the state table moves forward only to a newer fix (writer.py) and the alarm engine evaluates a
subject's fixes in time order, leaving a late one out of real-time evaluation (as a late fix of one worker).
Brokers that hash a shared group by topic (EMQX `hash_topic`) deliver one subject's fixes in order, to one worker.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from geo_core.ingest.devices import DeviceResult, process
from geo_core.models import Quarantine

log = logging.getLogger(__name__)
# Lanes, each its own MQTT session: devices people carry (SOS buttons, body cameras, phones: stored first), welding
# machines, and special equipment's monitors.
# A burst of welder positions (20,000 machines) must not hold up a person's alarm, neither in the broker's queue and
# the socket (a session of their own) nor in a batch (flushed alone, ahead of the machines').
LANES = {
    "people": ["camera/+/position", "phone/+/position", "camera/+/sos", "phone/+/sos"],
    "machines": ["welder/+/+"],
    "equipment": ["equipment/+/reading"],  # a flood of elevator readings never queues ahead of a person's SOS
}
TOPICS = [t for topics in LANES.values() for t in topics]
# An equipment batch is kept small: a person's message waits for the batch being stored, and 500 readings store in
# about 70 ms (benchmarks/equipment.py) where 5,000 would hold a person's SOS for most of a second.
EQUIPMENT_BATCH = 500


def shared(topic: str, group: str) -> str:
    """The topic filter of a shared subscription of `group` (no group: the topic itself)."""
    return f"$share/{group}/{topic}" if group else topic


class _Pending(NamedTuple):
    mid: int
    qos: int
    topic: str
    payload: bytes
    lane: str
    session: int  # which connection of its lane delivered it: a message id means nothing on another connection


@dataclass
class Stats(DeviceResult):
    """What the worker received, stored (DeviceResult's counters, summed) and how its batches went."""

    stored_batches: int = 0
    db_retries: int = 0
    last_batch_seconds: float = 0.0


class _NoWake:
    """Stands in for paho's wake-up socket while a batch of acknowledgements is queued."""

    def send(self, data: bytes) -> int:
        return len(data)

    def close(self) -> None:
        pass


class Consumer:
    def __init__(
        self,
        client_id: str = "geoservice-ingest",
        batch_size: int = 5000,
        flush_interval: float = 0.1,
        share_group: str = "",
    ):
        self.client_id = client_id
        self.share_group = share_group
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.stats = Stats()
        # Per lane: people's devices are stored ahead of any backlog; machines and equipment take turns.
        self._pending: dict[str, list[_Pending]] = {lane: [] for lane in LANES}
        self._spent = {"machines": 0.0, "equipment": 0.0}  # storing time while both have a backlog (fair shares)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._session = dict.fromkeys(LANES, 0)
        self._up: set[str] = set()
        self.connected = threading.Event()  # every lane connected
        ep = settings.CONFIG.mqtt
        self._endpoint = ep
        # The machines' lane keeps the worker's client id (its persistent session); people's is beside it.
        self.clients = {
            lane: self._client(client_id if lane == "machines" else f"{client_id}-{lane}", lane, ep) for lane in LANES
        }

    def _client(self, client_id: str, lane: str, ep) -> mqtt.Client:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True, userdata=lane
        )
        if ep.username:
            client.username_pw_set(ep.username, ep.password)
        client.max_inflight_messages_set(65535)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    # paho callbacks (network thread) ---------------------------------------------------------------------------
    def _on_connect(self, client, lane, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("mqtt connect refused", extra={"lane": lane, "reason": str(reason_code)})
            return
        # A session from before the lanes (or from before or after sharing) may still hold other subscriptions.
        client.unsubscribe([f for t in TOPICS for f in (t, shared(t, self.share_group)) if f not in self.filters(lane)])
        client.subscribe([(f, 1) for f in self.filters(lane)])
        with self._lock:
            self._session[lane] += 1
            self._up.add(lane)
            if self._up == set(LANES):
                self.connected.set()
        log.info(
            "mqtt connected",
            extra={"lane": lane, "session_present": flags.session_present, "topics": self.filters(lane)},
        )

    def filters(self, lane: str) -> list[str]:
        return [shared(t, self.share_group) for t in LANES[lane]]

    def _on_disconnect(self, client, lane, flags, reason_code, properties) -> None:
        # Unacknowledged messages will come again from the broker; forget them here so they are not acked twice.
        with self._lock:
            self._up.discard(lane)
            self.connected.clear()
            pending = self._pending[lane]
            dropped = len(pending)
            pending.clear()
        log.warning("mqtt disconnected", extra={"lane": lane, "reason": str(reason_code), "unacked_dropped": dropped})

    def _on_message(self, client, lane, msg) -> None:
        urgent = lane == "people"
        with self._lock:
            pending = self._pending[lane]
            pending.append(_Pending(msg.mid, msg.qos, msg.topic, msg.payload, lane, self._session[lane]))
            self.stats.received += 1
            full = len(pending) >= self._cap(lane)
        if full or urgent:
            self._wake.set()

    def _cap(self, lane: str) -> int:
        return min(self.batch_size, EQUIPMENT_BATCH) if lane == "equipment" else self.batch_size

    def _next(self) -> list[_Pending]:
        """The next batch (under the lock): people's messages alone and first; then, of machines and equipment, the
        lane that has had less of the worker's time while both were waiting (each gets half under a double backlog,
        whatever its batches cost), each batch up to its lane's cap."""
        people = self._pending["people"]
        if people:
            batch, self._pending["people"] = people[: self.batch_size], people[self.batch_size :]
            return batch
        lanes = [lane for lane in ("machines", "equipment") if self._pending[lane]]
        if not lanes:
            return []
        if len(lanes) == 1:
            self._spent = dict.fromkeys(self._spent, 0.0)  # no credit kept for a lane that had nothing to store
        lane = min(lanes, key=self._spent.__getitem__)
        cap = self._cap(lane)
        batch, self._pending[lane] = self._pending[lane][:cap], self._pending[lane][cap:]
        return batch

    def _backlog(self) -> bool:
        """A full batch (or a person's message) is waiting: flush again at once."""
        with self._lock:
            return bool(self._pending["people"]) or any(
                len(self._pending[lane]) >= self._cap(lane) for lane in ("machines", "equipment")
            )

    # the flush loop (caller's thread) ---------------------------------------------------------------------------
    def start(self) -> None:
        for client in self.clients.values():
            client.connect_async(self._endpoint.host, self._endpoint.port, keepalive=30)
            client.loop_start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.flush()
        for client in self.clients.values():
            client.loop_stop()
            client.disconnect()

    def flush(self) -> int:
        with self._lock:
            # People's messages go alone, in a small batch that commits in milliseconds, not behind the thousands
            # of welder positions of a full batch (the next flush takes those).
            batch = self._next()
        if not batch:
            return 0
        started = time.perf_counter()
        while True:
            try:
                result = process([(p.topic, p.payload) for p in batch], source="mqtt")
                break
            except (OperationalError, InterfaceError) as exc:
                # The database is away (restart, failover): keep the batch, reconnect, try again.
                self.stats.db_retries += 1
                log.warning("database unavailable, batch kept", extra={"messages": len(batch), "error": str(exc)[:200]})
                connection.close()
                if self._stop.wait(1.0):
                    return 0
            except Exception:
                # Anything else must not wedge the stream: store message by message, quarantining what fails.
                log.exception("batch failed; storing message by message", extra={"messages": len(batch)})
                result = self._one_by_one(batch)
                break
        with self._lock:
            sessions = {lane: self._session[lane] if lane in self._up else -1 for lane in LANES}
        # Messages of a connection that has since dropped are redelivered by the broker: stored twice, kept once.
        for lane, client in self.clients.items():
            self._ack(
                client, [(p.mid, p.qos) for p in batch if p.lane == lane and p.qos and p.session == sessions[lane]]
            )
        self.stats.add(result)
        self.stats.stored_batches += 1
        self.stats.last_batch_seconds = time.perf_counter() - started
        lane = batch[0].lane
        if lane in self._spent:
            with self._lock:
                self._spent[lane] += self.stats.last_batch_seconds
        return len(batch)

    def _ack(self, client: mqtt.Client, acks: list[tuple[int, int]]) -> None:
        """PUBACK the stored messages. paho's ack() wakes its network thread through a socketpair on every call, a
        system call per message that costs more than storing the message; the wake-ups are held back during the
        batch and given once at the end (paho is pinned; tests/geo_core/test_reliability.py covers the acks)."""
        real = client._sockpairW
        if real is None or len(acks) < 2:
            for mid, qos in acks:
                client.ack(mid, qos)
            return
        client._sockpairW = _NoWake()
        try:
            for mid, qos in acks:
                client.ack(mid, qos)
        finally:
            if isinstance(client._sockpairW, _NoWake):
                client._sockpairW = real
            with contextlib.suppress(OSError):  # BlockingIOError: a wake-up is already pending
                real.send(b"0")

    def _one_by_one(self, batch: list[_Pending]) -> DeviceResult:
        total = DeviceResult(received=len(batch))
        for p in batch:
            try:
                r = process([(p.topic, p.payload)], source="mqtt")
            except (OperationalError, InterfaceError):
                raise
            except Exception as exc:
                # A poison message is quarantined and then acknowledged like any other: were it left unacknowledged,
                # the persistent session would hand it back after every restart and stop the worker again.
                try:
                    Quarantine.of("mqtt", p.topic, p.payload, f"could not be stored: {exc}").save()
                except (OperationalError, InterfaceError):
                    raise
                except Exception:
                    log.exception("message could not even be quarantined; dropped", extra={"topic": p.topic[:200]})
                total.quarantined += 1
                continue
            total.add(r)
        return total

    def run(self, until: float | None = None, on_tick=None) -> None:
        """Flush every flush_interval (or when a batch fills) until stopped or `until` (monotonic seconds)."""
        self.start()
        try:
            while not self._stop.is_set() and (until is None or time.monotonic() < until):
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                close_old_connections()  # a long-running worker: drop connections that broke or aged
                while self.flush() and self._backlog():
                    pass
                if on_tick:
                    on_tick()
        finally:
            self.stop()
