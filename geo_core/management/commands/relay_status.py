"""manage.py relay_status [--dead] [--retry-dead]: the relay outbox at a glance, its dead letters, and a way to give
them another round once the city bureau's endpoint is fixed."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.db.models import Count, Min, Q
from django.utils import timezone

from geo_core.models import RelayOutbox


class Command(BaseCommand):
    help = "Show pending, delivered and dead relay rows; list or retry the dead letters"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dead", action="store_true", help="list the dead letters")
        parser.add_argument("--retry-dead", action="store_true", help="queue the dead letters again")

    def handle(self, *args, dead: bool, retry_dead: bool, **options) -> None:
        summary = RelayOutbox.objects.aggregate(
            pending_rows=Count("id", filter=Q(delivered_at__isnull=True, dead=False)),
            delivered_rows=Count("id", filter=Q(delivered_at__isnull=False)),
            dead_rows=Count("id", filter=Q(dead=True)),
            oldest_pending=Min("created_at", filter=Q(delivered_at__isnull=True, dead=False)),
        )
        self.stdout.write(json.dumps({"event": "relay outbox", **summary}, default=str))
        if dead:
            for row in RelayOutbox.objects.filter(dead=True).order_by("id"):
                self.stdout.write(
                    json.dumps(
                        {
                            "id": row.id,
                            "topic": row.topic,
                            "company_code": row.company_code,
                            "attempts": row.attempts,
                            "last_error": row.last_error,
                            "created_at": row.created_at,
                        },
                        default=str,
                        ensure_ascii=False,
                    )
                )
        if retry_dead:
            n = RelayOutbox.objects.filter(dead=True).update(dead=False, attempts=0, next_attempt_at=timezone.now())
            self.stdout.write(json.dumps({"event": "dead letters queued again", "rows": n}))
