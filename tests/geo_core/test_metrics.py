"""/metrics (issue 16, part 5): Prometheus' text format written by prometheus-client, read only with the metrics
token; ingest, the alarm worker, streams, the live feed and the tile cache as they are."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from prometheus_client.parser import text_string_to_metric_families

from alarms.models import Alarm, EngineSnapshot
from geo_core.models import FeedLiveness

TOKEN = "metrics-token-for-the-test"


@pytest.fixture
def metrics_on(monkeypatch):
    monkeypatch.setattr(settings, "CONFIG", dataclasses.replace(settings.CONFIG, metrics_token=TOKEN))


def scrape(client) -> dict:
    r = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(r.content.decode())}


def test_metrics_need_the_token(client, metrics_on, db):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_guessing_the_metrics_token_is_audited_and_slowed_but_never_stops_prometheus(client, metrics_on, db):
    """Issue 24 (11)."""
    from geo_core.lockout import FREE_TOKEN_FAILURES
    from geo_core.models import AuditEvent

    for k in range(FREE_TOKEN_FAILURES):
        assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer guess-{k}").status_code == 401
    r = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess-more")
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    assert AuditEvent.objects.filter(action="token_failed", target_type="metrics").count() == FREE_TOKEN_FAILURES
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200  # from the same address


def test_metrics_are_off_without_a_token(client, db):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_feeds_alarm_latency_worker_heartbeat_streams_and_tiles(client, metrics_on, enterprise):
    now = datetime.now(UTC)
    FeedLiveness.objects.create(
        enterprise=enterprise,
        feed="positions",
        last_received_at=now - timedelta(seconds=40),
        online=False,
        changed_at=now,
    )
    for k, late in enumerate((0.3, 0.7, 3.0)):
        a = Alarm.objects.create(
            key=f"m{k}",
            type="out_of_bounds",
            category="person",
            severity="warning",
            enterprise=enterprise,
            company_code=enterprise.company_code,
            raised_at=now - timedelta(seconds=late),
            location=Point(121.3, 30.8, srid=4490),
        )
        Alarm.objects.filter(pk=a.pk).update(detected_at=now)
    EngineSnapshot.objects.create(name="default", version="v", state=b"", cursors={})
    m = scrape(client)
    silence = {s.labels["feed"]: s.value for s in m["geoservice_feed_silence_seconds"].samples}
    assert 39 <= silence["positions"] <= 60
    assert [s.value for s in m["geoservice_feed_online"].samples] == [0.0]
    buckets = {
        s.labels["le"]: s.value for s in m["geoservice_alarm_latency_seconds"].samples if s.name.endswith("_bucket")
    }
    assert (buckets["0.5"], buckets["1.0"], buckets["5.0"], buckets["+Inf"]) == (1, 2, 3, 3)
    assert {s.labels["severity"]: s.value for s in m["geoservice_alarms_open"].samples} == {"warning": 3}
    beat = m["geoservice_alarm_worker_heartbeat_age_seconds"].samples[0]
    assert beat.labels["worker"] == "default"
    assert beat.value < 60
    for name in (
        "geoservice_streams_open",
        "geoservice_live_feed_queries",
        "geoservice_live_feed_subscribers",
        "geoservice_tile_cache_hits",
        "geoservice_tile_cache_misses",
    ):
        assert name in m, name
