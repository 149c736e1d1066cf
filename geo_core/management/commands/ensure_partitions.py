"""manage.py ensure_partitions: create the day partitions of the position history around today (or a range)."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand

from geo_core.partitions import ensure_around, ensure_partitions


class Command(BaseCommand):
    help = "Create position-history day partitions (GEO_PARTITION_DAYS_BEHIND/AHEAD around today, or --from/--to)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="first", type=date.fromisoformat)
        parser.add_argument("--to", dest="last", type=date.fromisoformat)

    def handle(self, *args, first: date | None, last: date | None, **options) -> None:
        names = ensure_partitions(first, last or first) if first else ensure_around()
        self.stdout.write(
            json.dumps({"event": "partitions ready", "first": names[0], "last": names[-1], "count": len(names)})
        )
