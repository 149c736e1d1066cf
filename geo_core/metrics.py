"""Prometheus metrics at /metrics (OPS-2, issue 16 part 5), written by prometheus-client.

Read with the metrics token (`Authorization: Bearer $GEO_METRICS_TOKEN`), never anonymously; with no token
configured the endpoint is off. What the web process counts itself (open streams, the live feed, the tile cache, the
database pool) comes from its own state; what other processes do (ingest, the alarm worker) is read from the
database at scrape time, as an exporter does, so every web process answers the same for them. Other rooms add their
own collectors with `register` (layers: the live feed; tiles: the cache; alarms: latency, open alarms, the worker's
heartbeat).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from geo_core import audit, lockout, replica

FIX_WINDOW_S = 60  # fixes of the last minute (at 20,000 machines a quarter hour would be millions of rows a scrape)

_extra: list[Callable[[], Iterable[Metric]]] = []


def register(collect: Callable[[], Iterable[Metric]]) -> None:
    """A room's own metrics, collected at each scrape."""
    if collect not in _extra:
        _extra.append(collect)


def _database() -> Iterable[Metric]:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT l.feed, coalesce(e.company_code, ''), extract(epoch FROM now() - l.last_received_at), l.online
               FROM geo_core_feedliveness l LEFT JOIN geo_core_enterprise e ON e.id = l.enterprise_id"""
        )
        silence = GaugeMetricFamily(
            "geoservice_feed_silence_seconds", "Seconds since a feed last sent data", labels=["feed", "company"]
        )
        online = GaugeMetricFamily(
            "geoservice_feed_online", "1 while a feed is online (ING-6)", labels=["feed", "company"]
        )
        for feed, company, age, up in cur.fetchall():
            silence.add_metric([feed, company], float(age))
            online.add_metric([feed, company], 1.0 if up else 0.0)
        yield silence
        yield online
        cur.execute(
            """SELECT source, count(*), avg(extract(epoch FROM received_at - time))
               FROM geo_core_positionfix WHERE time > now() - make_interval(secs => %s) GROUP BY source""",
            [FIX_WINDOW_S],
        )
        stored = GaugeMetricFamily(
            "geoservice_fixes_stored_per_second",
            "Fixes stored per second over the last minute, by source",
            labels=["source"],
        )
        lag = GaugeMetricFamily(
            "geoservice_ingest_lag_seconds", "Mean time from a fix to its storage, by source", labels=["source"]
        )
        for source, n, mean in cur.fetchall():
            stored.add_metric([source], n / FIX_WINDOW_S)
            lag.add_metric([source], float(mean or 0.0))
        yield stored
        yield lag


def _process() -> Iterable[Metric]:
    from geo_core.streams import SLOTS

    yield GaugeMetricFamily(
        "geoservice_streams_open",
        "Event streams open on this process (live and alarms)",
        value=sum(SLOTS.open.values()),
    )
    pool = getattr(connection, "pool", None)
    if pool is not None:
        stats = pool.get_stats()
        for key in ("pool_size", "pool_available", "requests_waiting"):
            yield GaugeMetricFamily(f"geoservice_db_{key}", f"Database connection pool: {key}", value=stats.get(key, 0))
        yield CounterMetricFamily(
            "geoservice_db_requests_errors", "Pool requests that failed", value=stats.get("requests_errors", 0)
        )


class _Collector:
    def collect(self) -> Iterable[Metric]:
        yield from _process()
        yield from _database()
        yield from replica.collect_metrics()
        for extra in _extra:
            yield from extra()


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(_Collector())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics with the metrics token (Prometheus' `authorization: credentials_file`)."""
    token = settings.CONFIG.metrics_token
    if not token:
        return HttpResponse("metrics are off: set GEO_METRICS_TOKEN\n", status=404, content_type="text/plain")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        lockout.token_refused(audit.address_of(request), "metrics")  # guessing is slowed (429) and in the trail
        return HttpResponse(
            "the metrics token is required\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    t0 = time.perf_counter()
    body = generate_latest(REGISTRY)
    body += b"# scrape took %.3f s\n" % (time.perf_counter() - t0)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
