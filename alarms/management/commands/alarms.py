"""manage.py alarms: an alarm worker (follows committed position batches and device events, ticks every second).
Runs its share of the engine's partitions (GEO_ALARM_PARTITIONS, by park else enterprise) and takes over those of a
worker that dies; a second worker with one partition is a hot standby. Structured logs; stops cleanly on
SIGTERM/SIGINT, saving the state of what it ran."""

from __future__ import annotations

import json
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from alarms.leases import Coordinator


class Command(BaseCommand):
    help = "Run an alarm worker (its share of the alarm partitions)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seconds", type=float, help="stop after this long (tests, benchmarks)")
        parser.add_argument("--name", default="default", help="engine state name (partitions add their number)")
        parser.add_argument("--partitions", type=int, help="partitions in all (default GEO_ALARM_PARTITIONS)")

    def handle(self, *args, seconds, name, partitions, **options) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        count = partitions or settings.CONFIG.alarm_partitions
        coordinator = Coordinator(name=name, count=max(count, 1))
        coordinator.run(stop, until=None if seconds is None else time.monotonic() + seconds)
        self.stdout.write(json.dumps({"event": "alarm worker stopped", **coordinator.worker_stats()}))
