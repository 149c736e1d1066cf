"""Watch a running service's alarms for a while (issue 12's demo day): every `--every` seconds, how many are open,
by type, and how many were raised since the watch began; at the end, the totals and the open-alarm curve.

    eval "$(scripts/services.sh env)"; .venv/bin/python manage.py alarm_curve --minutes 30 [--every 30]
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime

from django.core.management.base import BaseCommand

from alarms.models import Alarm, AlarmStatus

OPEN = [AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED]


class Command(BaseCommand):
    help = "Sample the open alarms by type over a while; print the curve and the counts raised by type."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--minutes", type=float, default=30.0)
        parser.add_argument("--every", type=float, default=30.0)

    def handle(self, *args, minutes: float, every: float, **options) -> None:
        began = datetime.now(UTC)
        curve = []
        deadline = time.monotonic() + minutes * 60
        while True:
            open_now = Counter(
                Alarm.objects.filter(status__in=OPEN, ended_at__isnull=True).values_list("type", flat=True)
            )
            raised = Counter(Alarm.objects.filter(detected_at__gte=began).values_list("type", flat=True))
            point = {
                "event": "alarms",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "open": sum(open_now.values()),
                "open_by_type": dict(open_now.most_common()),
                "raised_since_start": dict(raised.most_common()),
            }
            curve.append(point["open"])
            self.stdout.write(json.dumps(point, ensure_ascii=False))
            if time.monotonic() + every > deadline:
                break
            time.sleep(every)
        summary = {
            "event": "alarm curve",
            "minutes": minutes,
            "open_max": max(curve),
            "open_last": curve[-1],
            "open_curve": curve,
            "raised_by_type": point["raised_since_start"],
            "raised_per_hour": {
                k: round(v * 60 / max(minutes, 1e-9), 1) for k, v in point["raised_since_start"].items()
            },
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
