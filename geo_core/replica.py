"""Read replicas (issue 16, part 4): the read-only paths (tiles, OGC features, search, nearby, counts, statistics,
tracks, heat) read from DATABASE_REPLICA_URL, a streaming replica, while it is fresh enough; everything else, and every
write, goes to the primary.

How stale a read can be is bounded, not hoped for. A monitor samples the primary's WAL position every POLL_S and the
replica's replayed position; the replica is known complete up to the last sampled moment whose primary position it
has replayed (`fresh_as_of`). A request uses the replica only while that moment is at most GEO_REPLICA_MAX_LAG_S old,
so no read is staler than that bound (plus one poll); a replica that falls behind, stops or cannot be reached sends
every read back to the primary until it has caught up. The choice is made once per request, so one answer never mixes
the two. Caches filled from the replica (the tile cache) keep an entry only when the replica was complete up to a
moment after the cache's last change notice; otherwise a change announced on the primary could be cached away.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import math
import threading
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connections

from geo_core.db import conninfo

log = logging.getLogger(__name__)
POLL_S = 0.25
ALIAS = "replica"
# The URL names of the read-only paths (one list, applied by the URL confs through on_read_only_routes).
READ_ONLY_ROUTES = frozenset(
    {
        "tile",
        "ogc-tile",
        "ogc-items",
        "ogc-item",
        "search",
        "nearby",
        "district-counts",
        "region-counts",
        "regions",
        "key-area-stats",
        "track",
        "heat-tile",
        "heat-geotiff",
    }
)


# Derived data the primary keeps in tables, refreshed where it is read (a primary read refreshes it when stale): when
# reads go to a replica nobody reads it on the primary, so the monitor runs these there every KEEP_FRESH_S. Rooms
# register their own (layers: the counts per region).
KEEP_FRESH: list[str] = []
KEEP_FRESH_S = 5.0


@dataclass(frozen=True)
class Read:
    alias: str = "default"
    fresh_as_of: float | None = None  # monotonic; None: the primary (always current)


PRIMARY = Read()
_READ: ContextVar[Read | None] = ContextVar("geo_read", default=None)


def configured() -> bool:
    return ALIAS in settings.DATABASES


class Monitor:
    """Follows how far the replica has replayed the primary's WAL."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, int]] = deque()  # (monotonic time, primary LSN) not yet replayed
        self.fresh_as_of = -math.inf
        self.lag_bytes: int | None = None
        self.error = ""
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():  # every read-only request asks: no lock then
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="replica-monitor", daemon=True)
                self._thread.start()

    def lag_s(self) -> float:
        return time.monotonic() - self.fresh_as_of

    def _run(self) -> None:
        primary = replica = None
        kept = -math.inf
        while True:
            try:
                if primary is None:
                    primary = psycopg.connect(conninfo("default"), autocommit=True, application_name="replica-monitor")
                    replica = psycopg.connect(conninfo(ALIAS), autocommit=True, application_name="replica-monitor")
                self.observe(primary, replica)
                self.error = ""
                if time.monotonic() - kept > KEEP_FRESH_S:
                    kept = time.monotonic()
                    self.keep_fresh(primary)
            except psycopg.Error as exc:
                self.error = str(exc)[:200]
                log.warning("replica monitor failed; reads go to the primary", extra={"error": self.error})
                for conn in (primary, replica):
                    if conn is not None:
                        with contextlib.suppress(Exception):
                            conn.close()
                primary = replica = None
                time.sleep(1.0)
            time.sleep(POLL_S)

    @staticmethod
    def keep_fresh(primary: psycopg.Connection) -> None:
        """KEEP_FRESH on the primary; a failure there is logged and does not make the replica look stale."""
        for sql in KEEP_FRESH:
            try:
                primary.execute(sql)
            except psycopg.Error as exc:
                log.warning("keeping derived data fresh failed", extra={"sql": sql[:80], "error": str(exc)[:200]})

    def observe(self, primary: psycopg.Connection, replica: psycopg.Connection) -> None:
        t = time.monotonic()
        (p,) = primary.execute("SELECT pg_current_wal_lsn() - '0/0'").fetchone()
        (r,) = replica.execute("SELECT pg_last_wal_replay_lsn() - '0/0'").fetchone()
        self.samples.append((t, int(p)))
        if r is None:  # not a replica (or not replaying): never fresh
            self.samples.clear()
            self.lag_bytes = None
            return
        while self.samples and self.samples[0][1] <= int(r):
            self.fresh_as_of = max(self.fresh_as_of, self.samples.popleft()[0])
        while len(self.samples) > 10_000:  # a replica far behind: keep the newest
            self.samples.popleft()
        self.lag_bytes = max(int(p) - int(r), 0)


MONITOR = Monitor()


def choose() -> Read:
    """The database a read-only request reads from, chosen once for the request."""
    if not configured():
        return PRIMARY
    MONITOR.ensure_running()
    fresh = MONITOR.fresh_as_of
    if time.monotonic() - fresh <= settings.CONFIG.replica_max_lag_s:
        return Read(ALIAS, fresh)
    return PRIMARY


@contextlib.contextmanager
def reading():
    """Reads inside go to the replica when it is fresh enough (the read-only paths)."""
    token = _READ.set(choose())
    try:
        yield current()
    finally:
        _READ.reset(token)


def current() -> Read:
    return _READ.get() or PRIMARY


def reader():
    """The connection for this request's reads (the primary outside the read-only paths)."""
    return connections[current().alias]


class ReplicaRouter:
    """Django's router: ORM reads of the read-only paths follow the request's choice; writes and migrations go to
    the primary."""

    def db_for_read(self, model, **hints) -> str:
        return current().alias

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == "default"


def collect_metrics():
    """The replica's lag for /metrics (geo_core.metrics), when one is configured."""
    from prometheus_client.core import GaugeMetricFamily

    if not configured():
        return
    MONITOR.ensure_running()
    lag = MONITOR.lag_s()
    yield GaugeMetricFamily(
        "geoservice_replica_lag_seconds",
        "How far behind the primary the replica is known to be "
        "(read-only paths use it while this is within GEO_REPLICA_MAX_LAG_S)",
        value=lag if math.isfinite(lag) else -1,
    )
    yield GaugeMetricFamily(
        "geoservice_replica_lag_bytes",
        "WAL the replica has still to replay",
        value=MONITOR.lag_bytes if MONITOR.lag_bytes is not None else -1,
    )


def read_only(view):
    """A view whose reads may come from the replica (sync or async); the choice is made when it is called."""
    if inspect.iscoroutinefunction(view):

        async def wrapped_async(request, *args, **kwargs):
            with reading():
                return await view(request, *args, **kwargs)

        return functools.wraps(view)(wrapped_async)

    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with reading():
            return view(request, *args, **kwargs)

    return functools.wraps(view)(wrapped)


def on_read_only_routes(patterns: list) -> list:
    """The URL patterns, those named in READ_ONLY_ROUTES wrapped with read_only()."""
    for p in patterns:
        if getattr(p, "name", None) in READ_ONLY_ROUTES:
            p.callback = read_only(p.callback)
    return patterns
