"""The in-process tile cache, bounded by memory. An entry lives until a change under it is announced (NOTIFY
geo_core_changes with the changed table and extent, see geo_core migration 0006), so a fence edit shows on the next
request, not after a TTL; live layers (positions) expire after their short TTL instead. Hits, misses and
invalidations are counted for the metrics."""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import orjson
import psycopg

from geo_core.db import conninfo

log = logging.getLogger(__name__)
CHANNEL = "geo_core_changes"
EPS = 1e-4  # degrees: extents come from box2d (single precision); widen them by ~10 m


@dataclass
class Entry:
    data: bytes
    etag: str
    tables: tuple[str, ...]
    bounds: tuple[float, float, float, float]  # CGCS2000 lon/lat
    expires: float | None


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    invalidated: int = 0
    expired: int = 0
    notifications: int = 0
    render_seconds: float = 0.0
    renders: int = 0

    def as_dict(self, cache: TileCache) -> dict:
        looked = self.hits + self.misses
        return {
            **self.__dict__,
            "hit_ratio": round(self.hits / looked, 4) if looked else None,
            "mean_render_ms": round(1000 * self.render_seconds / self.renders, 2) if self.renders else None,
            "entries": len(cache.entries),
            "bytes": cache.size,
            "max_bytes": cache.max_bytes,
            "listening": cache.listening,
        }


@dataclass
class TileCache:
    max_bytes: int = 256 * 1024 * 1024
    entries: OrderedDict = field(default_factory=OrderedDict)
    size: int = 0
    stats: Stats = field(default_factory=Stats)
    lock: threading.Lock = field(default_factory=threading.Lock)
    listening: bool = False
    last_notice: float = -math.inf  # monotonic time of the last change notice (a replica must be past it)
    stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def get(self, key: tuple) -> Entry | None:
        self.ensure_listening()
        with self.lock:
            e = self.entries.get(key)
            if e is not None and e.expires is not None and e.expires < time.monotonic():
                self._drop(key)
                self.stats.expired += 1
                e = None
            if e is None:
                self.stats.misses += 1
                return None
            self.entries.move_to_end(key)
            self.stats.hits += 1
            return e

    def put(
        self,
        key: tuple,
        data: bytes,
        tables,
        bounds,
        ttl: float | None,
        seconds: float,
        read_as_of: float | None = None,
    ) -> Entry:
        """Keep a rendered tile. `read_as_of`: rendered from a replica complete up to that moment (monotonic); kept
        only when that is after the last change notice, or a change the replica had not replayed would be kept."""
        e = Entry(data, etag(data), tuple(tables), bounds, None if ttl is None else time.monotonic() + ttl)
        with self.lock:
            self.stats.renders += 1
            self.stats.render_seconds += seconds
            if key in self.entries:
                self._drop(key)
            if not self.listening and ttl is None:
                return e  # without the change feed an entry could go stale: do not keep it
            if read_as_of is not None and read_as_of < self.last_notice:
                return e
            self.entries[key] = e
            self.size += len(data) + 200
            while self.size > self.max_bytes and self.entries:
                self._drop(next(iter(self.entries)))
        return e

    def _drop(self, key: tuple) -> None:
        e = self.entries.pop(key)
        self.size -= len(e.data) + 200

    def invalidate(self, table: str, bbox: list[float] | None) -> int:
        with self.lock:
            self.stats.notifications += 1
            self.last_notice = time.monotonic()
            doomed = []
            for key, e in self.entries.items():
                if table not in e.tables:
                    continue
                if bbox is not None:
                    x0, y0, x1, y1 = bbox
                    b = e.bounds
                    if b[0] > x1 + EPS or b[2] < x0 - EPS or b[1] > y1 + EPS or b[3] < y0 - EPS:
                        continue
                doomed.append(key)
            for key in doomed:
                self._drop(key)
            self.stats.invalidated += len(doomed)
            return len(doomed)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    # --- the change feed ----------------------------------------------------------------------------------------

    def ensure_listening(self) -> None:
        if self.stopping.is_set():
            return
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._listen, name="tile-cache-listener", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop listening (tests, shutdown); the cache then keeps only entries with a TTL."""
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.listening = False
        self.clear()

    def _listen(self) -> None:
        while True:
            try:
                with psycopg.connect(conninfo(), autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.clear()  # whatever changed while not listening
                    self.listening = True
                    while not self.stopping.is_set():
                        for n in conn.notifies(timeout=1.0):
                            note = orjson.loads(n.payload)
                            self.invalidate(note["table"], note.get("bbox"))
                    return
            except (psycopg.Error, OSError) as exc:
                log.warning("tile cache lost its change feed; caching paused", extra={"error": str(exc)[:200]})
            self.listening = False
            self.clear()
            if self.stopping.wait(1.0):
                return


def etag(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


CACHE = TileCache()


def collect_metrics():
    """The tile cache for /metrics (geo_core.metrics)."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    st = CACHE.stats
    yield CounterMetricFamily("geoservice_tile_cache_hits", "Tiles served from the cache", value=st.hits)
    yield CounterMetricFamily("geoservice_tile_cache_misses", "Tiles rendered", value=st.misses)
    yield CounterMetricFamily(
        "geoservice_tile_cache_invalidated", "Tiles dropped by change notices", value=st.invalidated
    )
    yield GaugeMetricFamily("geoservice_tile_cache_bytes", "Bytes held by the tile cache", value=CACHE.size)
