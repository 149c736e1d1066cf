"""alarms' metrics for /metrics (geo_core.metrics collects them at each scrape, registered in the app's ready()):
how long alarms took from their condition to their detection, the alarms ongoing by severity, and each alarm
worker's heartbeat (read from the database, as every web process answers the same for the worker's process)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric

LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
WINDOW_S = 900  # alarms of the last quarter hour


def collect() -> Iterable[Metric]:
    with connection.cursor() as cur:
        edges = ", ".join(str(b) for b in LATENCY_BUCKETS)
        cur.execute(
            f"""SELECT width_bucket(extract(epoch FROM detected_at - raised_at)::float8, ARRAY[{edges}]::float8[]),
                       count(*), sum(greatest(extract(epoch FROM detected_at - raised_at), 0))
                FROM alarms_alarm WHERE detected_at > now() - make_interval(secs => %s) GROUP BY 1""",
            [WINDOW_S],
        )
        counts = [0] * (len(LATENCY_BUCKETS) + 1)
        total = 0.0
        for bucket, n, seconds in cur.fetchall():
            counts[bucket] += n
            total += float(seconds or 0.0)
        cumulative, buckets = 0, []
        for edge, n in zip([*map(str, LATENCY_BUCKETS), "+Inf"], counts, strict=True):
            cumulative += n
            buckets.append((edge, cumulative))
        yield HistogramMetricFamily(
            "geoservice_alarm_latency_seconds",
            f"From an alarm's condition to its detection, alarms of the last {WINDOW_S // 60} minutes",
            buckets=buckets,
            sum_value=total,
        )
        cur.execute("SELECT severity, count(*) FROM alarms_open WHERE ended_at IS NULL GROUP BY severity")
        open_alarms = GaugeMetricFamily("geoservice_alarms_open", "Ongoing alarms", labels=["severity"])
        for severity, n in cur.fetchall():
            open_alarms.add_metric([severity], n)
        yield open_alarms
        cur.execute("SELECT name, extract(epoch FROM now() - saved_at) FROM alarms_enginesnapshot")
        beat = GaugeMetricFamily(
            "geoservice_alarm_worker_heartbeat_age_seconds",
            "Seconds since an alarm worker last saved its state (every few seconds while it runs)",
            labels=["worker"],
        )
        for name, age in cur.fetchall():
            beat.add_metric([name], float(age))
        yield beat
