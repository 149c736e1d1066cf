"""The reports on a schedule: the last complete week's and month's report for the city and each district, made once
each (reports.files.due); `--loop` checks every `--every` seconds (the demo runs it), without it one pass.

    .venv/bin/python manage.py report_files [--loop] [--every 600] [--regions 310100,310116]
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import datetime

from django.core.management.base import BaseCommand

from geo_core.models import Region
from geo_core.partitions import PARK_TZ
from reports import files

log = logging.getLogger("reports.schedule")


class Command(BaseCommand):
    help = "Make the weekly and monthly reports that are due (city and districts)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--every", type=float, default=600.0)
        parser.add_argument("--regions", default="", help="codes; default the city 310100 and its districts")

    def handle(self, *args, loop: bool, every: float, regions: str, **options) -> None:
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        while True:
            qs = (
                Region.objects.filter(code__in=regions.split(","))
                if regions
                else Region.objects.filter(code="310100")
                | Region.objects.filter(level="district", code__startswith="3101")
            )
            owed = files.due(datetime.now(PARK_TZ).date(), list(qs.order_by("code")))
            for k, (kind, region, start) in enumerate(owed, 1):
                if stop:
                    return
                files.make(kind, region, start, "schedule")
                log.info("report progress", extra={"done": k, "of": len(owed)})
            if not loop:
                self.stdout.write(f"{len(owed)} reports made")
                return
            for _ in range(int(every)):
                if stop:
                    return
                time.sleep(1)
