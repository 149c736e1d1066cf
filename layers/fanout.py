"""The live feed computed once per process (issue 16, part 1).

Every INTERVAL_S one query reads the subject states changed since the last tick, for every live kind, with neither
view nor scope; each open stream then takes its part of that batch in memory: its kinds, its view, its scope
(`Scope.mask`, the same rule as the SQL). One more subscriber costs a filter and a send, not a query.

Batches chain without gaps (each starts where the last ended) and the last HISTORY of them are kept, so a stream
that joins (after its snapshot) or falls a little behind takes every batch after the one it last took; one that falls
further behind than that reads what it missed from the database once, as a reconnecting client does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection

from geo_core.scope import Scope
from geo_core.streams import released

log = logging.getLogger(__name__)
INTERVAL_S = 2.0
HISTORY = 30  # batches kept: a minute at INTERVAL_S
IDLE_STOP_S = 30.0  # the ticker stops when nobody has listened for this long
LIVE_KINDS = ["person", "welder", "body_camera", "phone"]

CHANGED = """
SELECT st.subject_id, s.kind, round(ST_X(st.geom)::numeric, 7)::float8, round(ST_Y(st.geom)::numeric, 7)::float8,
       extract(epoch FROM st.time)::bigint, st.floor, st.live->>'power', st.online,
       s.external_id, s.name, s.person_type, s.enterprise_id,
       (extract(epoch FROM st.updated_at) * 1000000)::bigint AS changed
FROM geo_core_subjectstate st JOIN geo_core_subject s ON s.id = st.subject_id
WHERE s.kind = ANY(%(kinds)s) AND st.updated_at > %(since)s
"""


@dataclass
class Batch:
    """The rows changed in (start, newest] (cursors in microseconds), as the stream's FIELDS rows (the enterprise id
    last, to be replaced by its code) and as arrays to filter on."""

    seq: int
    start: int
    newest: int
    rows: list[list]
    kind: np.ndarray = field(repr=False)
    lon: np.ndarray = field(repr=False)
    lat: np.ndarray = field(repr=False)
    enterprise: np.ndarray = field(repr=False)
    _scoped: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, seq: int, start: int, rows: list[tuple]) -> Batch:
        n = len(rows)
        newest = max((r[-1] for r in rows), default=start)
        return cls(
            seq, start, max(start, newest), [list(r[:-1]) for r in rows],
            np.array([r[1] for r in rows], dtype=object), np.array([r[2] for r in rows], dtype=float).reshape(n),
            np.array([r[3] for r in rows], dtype=float).reshape(n), np.array([r[11] for r in rows], dtype=object),
        )  # fmt: skip

    def part(self, kinds: list[str], scope: Scope, bbox: dict) -> tuple[list[list], list[int]]:
        """(rows inside the view, ids of rows outside it) among those of `kinds` that `scope` may see. The scope's and
        kinds' mask is computed once per batch, whoever asks: a stream's own work is its view."""
        if not self.rows:
            return [], []
        key = (scope.key, tuple(kinds))
        mask = self._scoped.get(key)
        if mask is None:
            seen = self._scoped.get(scope.key)
            if seen is None:
                seen = self._scoped[scope.key] = scope.mask(self.enterprise, self.lon, self.lat)
            mask = self._scoped[key] = seen & np.isin(self.kind, kinds)
        inside = (
            (self.lon >= bbox["x0"]) & (self.lon <= bbox["x1"]) & (self.lat >= bbox["y0"]) & (self.lat <= bbox["y1"])
        )
        rows = self.rows
        return [rows[i] for i in np.flatnonzero(mask & inside)], [rows[i][0] for i in np.flatnonzero(mask & ~inside)]


_codes: tuple[float, dict[int, str]] = (0.0, {})
CODES_TTL_S = 30.0


def company_codes(ids=()) -> dict[int, str]:
    """Enterprise id -> company code, kept for CODES_TTL_S (or read again, at most once a second, when an id is new):
    every stream's every tick needs it, and a join per query would cost the shared database pool what a few hundred
    streams cannot afford (ingest must not wait)."""
    global _codes
    age = time.monotonic() - _codes[0]
    if age > CODES_TTL_S or (age > 1.0 and any(i is not None and i not in _codes[1] for i in ids)):
        with connection.cursor() as cur:
            cur.execute("SELECT id, company_code FROM geo_core_enterprise")
            _codes = (time.monotonic(), dict(cur.fetchall()))
    return _codes[1]


def known_company_codes() -> dict[int, str]:
    """The codes as last read, without reading (for the event loop, where the database may not be called)."""
    return _codes[1]


@released
def _changed(since_us: int) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(CHANGED, {"kinds": LIVE_KINDS, "since": datetime.fromtimestamp(since_us / 1e6, UTC)})
        rows = cur.fetchall()
    company_codes({r[11] for r in rows})  # fresh for the streams that filter this batch on the event loop
    return rows


class Feed:
    """One per process (FEED): a ticker task on the server's event loop, started by the first subscriber."""

    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.history: deque[Batch] = deque(maxlen=HISTORY)
        self.queries = 0  # for the tests and the metrics: one per tick, however many listen
        self.subscribers = 0
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new: asyncio.Condition | None = None
        self._cursor = 0
        self._seq = 0
        self._idle_since = time.monotonic()

    @property
    def seq(self) -> int:
        return self._seq

    def _ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._new = asyncio.Condition()
            self.history.clear()
            self._cursor = int((time.time() - self.interval) * 1e6)
            self._task = loop.create_task(self._run(), name="live-feed")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.subscribers == 0 and time.monotonic() - self._idle_since > IDLE_STOP_S:
                self._task = None
                return
            try:
                rows = await sync_to_async(_changed)(self._cursor)
            except DatabaseError as exc:  # pool busy or database away: the next tick reads from the same cursor
                log.warning("live feed read failed; retrying", extra={"error": str(exc)[:200]})
                continue
            self.queries += 1
            self._seq += 1
            batch = Batch.of(self._seq, self._cursor, rows)
            self._cursor = batch.newest
            self.history.append(batch)
            async with self._new:
                self._new.notify_all()

    def join(self) -> int:
        """A stream joins (before reading its snapshot): the sequence number it will take batches after."""
        self._ensure()
        self.subscribers += 1
        return self._seq

    def leave(self) -> None:
        self.subscribers -= 1
        if self.subscribers == 0:
            self._idle_since = time.monotonic()

    async def after(self, seq: int, timeout: float) -> list[Batch] | None:
        """The batches after `seq` (waiting up to `timeout` for one); None when `seq` is older than the history
        (the caller reads what it missed from the database)."""
        self._ensure()
        if self._seq <= seq:
            async with self._new:
                try:
                    await asyncio.wait_for(self._new.wait_for(lambda: self._seq > seq), timeout)
                except TimeoutError:
                    return []
        batches = [b for b in self.history if b.seq > seq]
        if not batches or batches[0].seq != seq + 1:
            return None
        return batches


FEED = Feed()


def collect_metrics():
    """The live feed for /metrics (geo_core.metrics)."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    yield CounterMetricFamily("geoservice_live_feed_queries", "Reads of the live feed (one a tick, whatever the "
                              "number of streams)", value=FEED.queries)  # fmt: skip
    yield GaugeMetricFamily("geoservice_live_feed_subscribers", "Live streams taking the feed", value=FEED.subscribers)
