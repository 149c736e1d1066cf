"""Back-pressure for event streams (REL-2): a cap on open streams per caller and per process, and database access that
borrows a pooled connection per query instead of holding one for the life of a stream.

An open stream used to keep the connection its request took (Django returns it when the request ends, and a stream
does not end), so 25 streams emptied a pool of 10 and every other request waited, then failed. Now every stream query
runs through `released()`, which gives the connection back at once: hundreds of streams share the pool.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from functools import wraps

from django.db import connection
from django.http import JsonResponse

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
    """Open streams counted per caller and in all; a refused stream gets 429 (its caller has too many) or 503 (the
    process has too many), both with Retry-After."""

    def __init__(self, per_caller: int = PER_CALLER, total: int = PER_PROCESS):
        self.per_caller, self.total = per_caller, total
        self.open: Counter[str] = Counter()
        self.lock = threading.Lock()

    def take(self, caller: str) -> JsonResponse | None:
        """None when a slot was taken (give it back with `give`), else the refusal to answer with."""
        with self.lock:
            if sum(self.open.values()) >= self.total:
                log.warning("stream refused: process at its cap", extra={"cap": self.total})
                return retry_later(f"{self.total} streams are open on this server")
            if self.open[caller] >= self.per_caller:
                return retry_later(f"{self.per_caller} streams are open for this caller; close one", 429)
            self.open[caller] += 1
            return None

    def give(self, caller: str) -> None:
        with self.lock:
            self.open[caller] -= 1
            if self.open[caller] <= 0:
                del self.open[caller]


SLOTS = Slots()


async def guarded(events, caller: str):
    """The stream's events, its slot given back however it ends (client gone, server stopping)."""
    try:
        async for chunk in events:
            yield chunk
    finally:
        SLOTS.give(caller)
