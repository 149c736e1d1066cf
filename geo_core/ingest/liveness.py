"""Reporting liveness (ING-6): per enterprise (or device fleet) and feed, when data last came, and whether the feed
is online. Every accepted request touches its feed; a sweep marks silent feeds offline; both record the change."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from geo_core.models import Enterprise, FeedLiveness, FeedStateChange


def threshold_seconds(feed: str) -> float:
    cfg = settings.CONFIG
    return {"positions": cfg.offline_after_positions_s, "welders": cfg.offline_after_welders_s}.get(
        feed, cfg.offline_after_other_s
    )


def touch(enterprise: Enterprise | None, feed: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        live, created = FeedLiveness.objects.select_for_update().get_or_create(
            enterprise=enterprise, feed=feed, defaults={"last_received_at": now, "changed_at": now}
        )
        if created:
            return
        live.last_received_at = max(live.last_received_at, now)
        fields = ["last_received_at"]
        if not live.online:
            live.online, live.changed_at = True, now
            fields += ["online", "changed_at"]
            FeedStateChange.objects.create(liveness=live, online=True, at=now, silent_seconds=0.0)
        live.save(update_fields=fields)


def sweep(now: datetime | None = None) -> list[FeedLiveness]:
    """Mark feeds offline that have been silent longer than their threshold; returns those that changed."""
    now = now or timezone.now()
    changed = []
    with transaction.atomic():
        for live in FeedLiveness.objects.select_for_update(skip_locked=True).filter(online=True):
            silent = (now - live.last_received_at).total_seconds()
            if silent > threshold_seconds(live.feed):
                live.online, live.changed_at = False, now
                live.save(update_fields=["online", "changed_at"])
                FeedStateChange.objects.create(liveness=live, online=False, at=now, silent_seconds=silent)
                changed.append(live)
    return changed
