"""The live feed computed once (issue 16, part 1): once per tick for every server process, not once per stream.

Every INTERVAL_S one process (whichever finds the tick due and takes the advisory lock first) reads the subject
states changed since the last batch, for every live kind, with neither view nor scope, stores the batch in the
unlogged table layers_livebatch and NOTIFYs layers_live; every process reads the new batch by its cursor (a primary-key
read, no join) and each of its open streams takes its part in memory: its kinds, its view, its scope (`Scope.mask`,
the same rule as the SQL). One more subscriber costs a filter and a send; one more process, a read of the batch. When
the process that made the batches dies, the next one whose timer finds the tick overdue makes them: nothing to hand
over, the batches chain in the table.

Batches chain without gaps (each starts where the last ended; a batch is named by its end cursor) and the last
HISTORY of them are kept, so a stream that joins (after its snapshot) or falls a little behind takes every batch
after the one it last took; one that falls further behind than that, or a process that finds the chain broken,
reads what it missed from the database once, as a reconnecting client does.

A batch ends short of the oldest transaction still writing (the HORIZON): a state written with an earlier
`updated_at` but committed after the read would otherwise fall behind the cursor and never be sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import orjson
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection, transaction

from geo_core.bell import Bell
from geo_core.scope import Scope
from geo_core.streams import released
from layers import registry

log = logging.getLogger(__name__)
INTERVAL_S = 2.0
HISTORY = 30  # batches kept: a minute at INTERVAL_S
IDLE_STOP_S = 30.0  # the ticker stops when nobody has listened for this long
LIVE_KINDS = sorted({k for kinds in registry.LIVE_KINDS.values() for k in kinds})  # what the streams carry
CHANNEL = "layers_live"
LOCK = (0x4C49, 0)  # advisory lock (class, key) of the process making a batch ("LI")
DUE = 0.95  # a batch is due when the last is this share of INTERVAL_S old (timers are not exact)
WAKE_S = (0.05, 0.25)  # after the tick is due, a process waits this long (at random) before trying: one makes it
HORIZON_MAX_S = 2.0  # a writing transaction older than this (an import, say) does not hold the feed back


def live_rows(extra: str = "", where: str = "") -> str:
    """The one SELECT of live rows: the stream's FIELDS in order (the owner's enterprise id where FIELDS has its
    company code), `extra` columns, then the change time (microseconds); of the live kinds changed since
    %(since)s, and `where`."""
    return f"""
SELECT st.subject_id, s.kind, round(ST_X(st.geom)::numeric, 7)::float8, round(ST_Y(st.geom)::numeric, 7)::float8,
       extract(epoch FROM st.time)::bigint, st.floor, st.live->>'power', st.online,
       s.external_id, s.name, s.person_type, s.enterprise_id{extra},
       (extract(epoch FROM st.updated_at) * 1000000)::bigint AS changed
FROM geo_core_subjectstate st JOIN geo_core_subject s ON s.id = st.subject_id
WHERE s.kind = ANY(%(kinds)s) AND st.updated_at > %(since)s {where}
"""


CHANGED = live_rows(where="AND st.updated_at < %(horizon)s")
# The oldest start of a transaction that is writing now (its rows carry that time as updated_at), or now.
HORIZON = """
SELECT (extract(epoch FROM greatest(coalesce(min(xact_start), clock_timestamp()),
                                    clock_timestamp() - make_interval(secs => %s))) * 1000000)::bigint
FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
"""
LAST = """SELECT newest, extract(epoch FROM clock_timestamp() - made_at)::float8 FROM layers_livebatch
ORDER BY newest DESC LIMIT 1"""
AFTER = """
SELECT start, newest, rows, extract(epoch FROM clock_timestamp() - made_at)::float8 FROM layers_livebatch
WHERE newest > %s AND newest < %s ORDER BY newest
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
    def of(cls, seq: int, start: int, newest: int, rows: list) -> Batch:
        n = len(rows)
        return cls(
            seq,
            start,
            newest,
            [list(r[:-1]) for r in rows],
            np.array([r[1] for r in rows], dtype=object),
            np.array([r[2] for r in rows], dtype=float).reshape(n),
            np.array([r[3] for r in rows], dtype=float).reshape(n),
            np.array([r[11] for r in rows], dtype=object),
        )

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


def _make(cur, interval: float, last: tuple[int, float] | None) -> tuple[int, int, list] | None:
    """This tick's batch (start, newest, rows), stored and notified, when it is due after the `last` (cursor, age);
    else None. In the caller's transaction, which holds LOCK."""
    if last is not None and last[1] < interval * DUE:
        return None
    cur.execute(HORIZON, [HORIZON_MAX_S])  # before the read below: its snapshot then has every commit before it
    horizon = cur.fetchone()[0]
    fresh = last is not None and last[1] < HISTORY * interval
    start = last[0] if fresh else horizon - int(interval * 1e6)  # none for a while: the chain starts again
    if horizon <= start:
        return None
    cur.execute(
        CHANGED,
        {
            "kinds": LIVE_KINDS,
            "since": datetime.fromtimestamp(start / 1e6, UTC),
            "horizon": datetime.fromtimestamp(horizon / 1e6, UTC),
        },
    )
    rows = cur.fetchall()
    newest = horizon - 1  # the next batch reads updated_at >= horizon
    cur.execute(
        "INSERT INTO layers_livebatch (start, newest, rows) VALUES (%s, %s, %s)", [start, newest, orjson.dumps(rows)]
    )
    cur.execute(
        "DELETE FROM layers_livebatch WHERE made_at < clock_timestamp() - make_interval(secs => %s)",
        [HISTORY * interval],
    )
    cur.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(newest)])
    return start, newest, rows


@released
def _advance(after: int | None, interval: float) -> tuple[list[tuple[int, int, list]], int | None, float, bool]:
    """Make this tick's batch if it is due and no other process is making it; then the batches after cursor `after`
    (None: a process starting takes none made before), oldest first, as (start, newest, rows). Also: the newest
    batch's cursor and age in seconds (None and 0 when there is none), and whether this process made it."""
    made = None
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK)
        if cur.fetchone()[0]:
            cur.execute(LAST)
            last = cur.fetchone()
            made = _make(cur, interval, last)
        else:
            last = None  # another process is making one: read below
    with connection.cursor() as cur:
        found, rows = [], []
        if after is not None:  # those made by others before this process's own, if it made one
            cur.execute(AFTER, [after, made[1] if made else 2**62])
            rows = cur.fetchall()
            found = [(b[0], b[1], orjson.loads(b[2])) for b in rows]
        if made is None and rows:
            last = (rows[-1][1], rows[-1][3])
        elif made is None and last is None:
            cur.execute(LAST)
            last = cur.fetchone()
    if made is not None:
        found.append(made)
        last = (made[1], 0.0)
    newest, age = last or (None, 0.0)
    ids = {r[11] for b in found for r in b[2]}
    if ids:
        company_codes(ids)  # fresh for the streams that filter these batches on the event loop
    return found, newest, age, made is not None


BELL = Bell(CHANNEL)


class Feed:
    """One per process (FEED): a ticker task on the server's event loop, started by the first subscriber, that makes
    the tick's batch when it is due and takes the batches every process makes."""

    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.history: deque[Batch] = deque(maxlen=HISTORY)
        self.queries = 0  # batches this process made: for the tests and the metrics (one a tick across processes)
        self.taken = 0  # batches this process took, made here or elsewhere
        self.subscribers = 0
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new: asyncio.Condition | None = None
        self._cursor: int | None = None  # the newest batch taken (None: none yet; the first taken starts the chain)
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
            self._cursor = None
            self._task = loop.create_task(self._run(), name="live-feed")

    def _take(self, found: list[tuple[int, int, list]]) -> None:
        for start, newest, rows in found:
            if self._cursor is not None and start != self._cursor:  # a break in the chain: a number is skipped,
                self.history.clear()  # so streams find their next batch missing and read what they missed
                self._seq += 1
            self._seq += 1
            self.history.append(Batch.of(self._seq, start, newest, rows))
            self._cursor = newest
            self.taken += 1

    async def _run(self) -> None:
        wait = 0.0
        bell = BELL.current()
        while True:
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bell.wait(), wait)
            if self.subscribers == 0 and time.monotonic() - self._idle_since > IDLE_STOP_S:
                self._task = None
                return
            bell = BELL.current()  # taken before reading: a batch made meanwhile rings it
            try:
                found, newest, age, made = await sync_to_async(_advance)(self._cursor, self.interval)
            except DatabaseError as exc:  # pool busy or database away: the next try reads from the same cursor
                log.warning("live feed read failed; retrying", extra={"error": str(exc)[:200]})
                wait = self.interval
                continue
            if self._cursor is None and not found:
                self._cursor = newest  # starting: the chain goes on from the newest batch (its streams' snapshots
                # are read after it)
            self.queries += made
            if found:
                self._take(found)
                async with self._new:
                    self._new.notify_all()
            # The next batch is due when the newest is `interval` old; the bell rings when another process makes it.
            wait = max(self.interval - age, 0.0) + random.uniform(*WAKE_S)

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

    yield CounterMetricFamily(
        "geoservice_live_feed_queries",
        "Change sets of the live feed computed by this process "
        "(one a tick across every process, whatever the number of streams)",
        value=FEED.queries,
    )
    yield CounterMetricFamily(
        "geoservice_live_feed_batches",
        "Change sets of the live feed this process took, made here or by another process",
        value=FEED.taken,
    )
    yield GaugeMetricFamily("geoservice_live_feed_subscribers", "Live streams taking the feed", value=FEED.subscribers)
