"""manage.py alarms: the alarm worker (follows committed position batches and device events, ticks every second).
Structured logs; stops cleanly on SIGTERM/SIGINT; the state is saved as it goes."""

from __future__ import annotations

import json
import signal
import threading
import time

from django.core.management.base import BaseCommand

from alarms.worker import AlarmWorker


class Command(BaseCommand):
    help = "Run the alarm worker"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seconds", type=float, help="stop after this long (tests, benchmarks)")
        parser.add_argument("--name", default="default", help="engine state name (one per worker)")

    def handle(self, *args, seconds, name, **options) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        worker = AlarmWorker(name=name)
        worker.run(until=None if seconds is None else time.monotonic() + seconds, stop=stop)
        worker.save()
        self.stdout.write(json.dumps({"event": "alarm worker stopped", **worker.stats}))
