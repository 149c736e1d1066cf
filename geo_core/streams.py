"""Back-pressure for event streams (REL-2): a cap on open streams per caller and per process, and database access that
borrows a pooled connection per query instead of holding one for the life of a stream.

An open stream used to keep the connection its request took (Django returns it when the request ends, and a stream
does not end), so 25 streams emptied a pool of 10 and every other request waited, then failed. Now every stream query
runs through `released()`, which gives the connection back at once: hundreds of streams share the pool.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone

from geo_core.boundary import retry_later

log = logging.getLogger(__name__)
PER_CALLER = 8  # a wall of maps opens a few streams per user (alarms, live view); eight is generous
PER_PROCESS = 1000


def released(fn: Callable) -> Callable:
    """Run `fn` (a database read of a stream) and give this thread's connection back to the pool afterwards."""

    @wraps(fn)
    def inner(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()  # pooled: back to the pool; not pooled: closed (streams poll seconds apart)

    return inner


class Slots:
    """Open streams counted per caller across every web process (StreamSlot rows: two workers must not let a caller
    open 16) and in all per process; a refused stream gets 429 (its caller has too many) or 503 (the process has
    too many), both with Retry-After. `take` and `give` read the database: call them off the event loop."""

    FRESH_S = 30.0  # a row not refreshed this long is a dead process's
    REFRESH_S = 10.0

    def __init__(self, per_caller: int = PER_CALLER, total: int = PER_PROCESS):
        self.per_caller, self.total = per_caller, total
        self.open: Counter[str] = Counter()
        self.rows: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        self.holder = f"{socket.gethostname()}:{os.getpid()}"[:128]
        self.refresher: threading.Thread | None = None

    def take(self, caller: str) -> JsonResponse | None:
        """None when a slot was taken (give it back with `give`), else the refusal to answer with."""
        from geo_core.models import StreamSlot

        with self.lock:
            if sum(self.open.values()) >= self.total:
                log.warning("stream refused: process at its cap", extra={"cap": self.total})
                return retry_later(f"{self.total} streams are open on this server")
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('stream:' || %s))", [caller])  # one caller at a time
            live = StreamSlot.objects.filter(caller=caller, seen_at__gt=now - timedelta(seconds=self.FRESH_S))
            if live.count() >= self.per_caller:
                return retry_later(f"{self.per_caller} streams are open for this caller; close one", 429)
            row = StreamSlot.objects.create(caller=caller, holder=self.holder, seen_at=now)
        with self.lock:
            self.open[caller] += 1
            self.rows.setdefault(caller, []).append(row.id)
            if self.refresher is None or not self.refresher.is_alive():
                self.refresher = threading.Thread(target=self._refresh, daemon=True, name="stream-slots")
                self.refresher.start()
        return None

    def give(self, caller: str) -> int | None:
        """The caller's stream ended: counted out here at once (no database); the id of its row, for `forget`."""
        with self.lock:
            self.open[caller] -= 1
            if self.open[caller] <= 0:
                del self.open[caller]
            ids = self.rows.get(caller, [])
            row = ids.pop() if ids else None
            if not ids:
                self.rows.pop(caller, None)
        return row

    @staticmethod
    def forget(row: int) -> None:
        from geo_core.models import StreamSlot

        StreamSlot.objects.filter(pk=row).delete()

    def _refresh(self) -> None:
        """While this process holds streams: their rows stay fresh; rows of dead processes are swept."""
        from geo_core.models import StreamSlot

        while True:
            time.sleep(self.REFRESH_S)
            with self.lock:
                held = [i for ids in self.rows.values() for i in ids]
            try:
                now = timezone.now()
                if held:
                    StreamSlot.objects.filter(pk__in=held).update(seen_at=now)
                StreamSlot.objects.filter(seen_at__lt=now - timedelta(seconds=10 * self.FRESH_S)).delete()
            except Exception:  # the database away for a moment: try again next time
                log.warning("stream slots not refreshed", exc_info=True)
            finally:
                connection.close()


SLOTS = Slots()


async def take(caller: str) -> JsonResponse | None:
    """SLOTS.take off the event loop, its connection given back at once."""
    return await sync_to_async(released(SLOTS.take))(caller)


async def guarded(events, caller: str):
    """The stream's events, its slot given back however it ends (client gone, server stopping)."""
    try:
        async for chunk in events:
            yield chunk
    finally:
        row = SLOTS.give(caller)
        if row is not None:
            try:
                await sync_to_async(released(SLOTS.forget))(row)
            except (Exception, asyncio.CancelledError):  # cancelled meanwhile: the row goes stale, stops counting
                log.info("stream slot left to go stale", extra={"caller": caller})
