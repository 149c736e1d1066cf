"""manage.py ingest: the ingest worker. Consumes device topics over MQTT and runs the periodic jobs that come from
the absence of data or from time: reporting liveness sweep (1 s), relay forwarding (1 s), nonce purge (1 min),
special equipment gone silent and rescue crews arrived (10 s), equipment upkeep states (1 min); and, in a thread of
its own so that its pages never hold up a person's message, the city IoT platform's pull when configured
(GEO_CITY_IOT_EVERY_S),
day partitions ahead and retention (1 h). Several workers share the device topics with --share-group (each its own
--client-id); the periodic jobs are safe to run in each (row locks with SKIP LOCKED, an advisory lock for partitions).
Structured logs; stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection

from geo_core import equipment_upkeep, partitions
from geo_core.equipment_codes import OFFLINE_AFTER_S
from geo_core.ingest import city_iot, equipment, liveness, relay
from geo_core.ingest.auth import purge_nonces
from geo_core.ingest.mqtt_consumer import Consumer

log = logging.getLogger("geo_core.ingest.worker")


class Periodic:
    """Run each job at most every `every` seconds; a failing job is logged and tried at its next turn."""

    def __init__(self) -> None:
        self.jobs = [
            (1.0, "liveness", lambda: liveness.sweep()),
            (1.0, "relay", lambda: relay.forward_once() if relay.enabled() else None),
            (60.0, "nonces", purge_nonces),
            (10.0, "equipment offline", lambda: equipment.offline_sweep(OFFLINE_AFTER_S)),
            (10.0, "rescue arrivals", equipment_upkeep.arrivals_sweep),
            (60.0, "equipment upkeep", equipment_upkeep.sweep),
            (3600.0, "partitions", self.partitions),
        ]
        self.last = {name: 0.0 for _, name, _ in self.jobs}

    @staticmethod
    def partitions() -> None:
        partitions.ensure_around()
        cutoff = partitions.local_day(datetime.now(partitions.PARK_TZ)) - timedelta(days=settings.CONFIG.retention_days)
        dropped = partitions.drop_before(cutoff)
        if dropped:
            log.info("partitions dropped by retention", extra={"dropped": dropped})

    def tick(self) -> None:
        now = time.monotonic()
        for every, name, job in self.jobs:
            if now - self.last[name] >= every:
                self.last[name] = now
                try:
                    job()
                except DatabaseError as exc:
                    log.warning("periodic job failed", extra={"job": name, "error": str(exc)[:200]})


def city_iot_loop(stopped: threading.Event) -> None:
    """Pull the city IoT platform every GEO_CITY_IOT_EVERY_S (a turn that found a full page goes on at once)."""
    every = settings.CONFIG.city_iot_every_s
    while not stopped.is_set():
        try:
            result = city_iot.pull()
        except DatabaseError as exc:
            log.warning("city IoT pull failed", extra={"error": str(exc)[:200]})
            result = None
        finally:
            close_old_connections()
        busy = result is not None and result.pages >= city_iot.MAX_PAGES
        stopped.wait(0 if busy else every)
    connection.close()


class Command(BaseCommand):
    help = "Run the ingest worker: MQTT device topics, liveness, relay, partitions"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--client-id", default="geoservice-ingest", help="one per worker (its MQTT session)")
        parser.add_argument("--share-group", help="MQTT shared subscription group (default GEO_INGEST_SHARE_GROUP)")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--flush-interval", type=float, default=0.1, help="seconds")
        parser.add_argument("--seconds", type=float, help="stop after this long (tests, benchmarks)")

    def handle(self, *args, client_id, share_group, batch_size, flush_interval, seconds, **options) -> None:
        group = settings.CONFIG.ingest_share_group if share_group is None else share_group
        consumer = Consumer(
            client_id=client_id, batch_size=batch_size, flush_interval=flush_interval, share_group=group
        )
        periodic = Periodic()

        def stop(signum, frame):
            consumer._stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info(
            "ingest worker starting", extra={"client_id": client_id, "batch_size": batch_size, "share_group": group}
        )
        if city_iot.enabled():
            threading.Thread(target=city_iot_loop, args=(consumer._stop,), name="city-iot", daemon=True).start()
        consumer.run(until=None if seconds is None else time.monotonic() + seconds, on_tick=periodic.tick)
        self.stdout.write(json.dumps({"event": "ingest worker stopped", **consumer.stats.__dict__}))
