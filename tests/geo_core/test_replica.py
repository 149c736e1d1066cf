"""Read replicas (issue 16, part 4): the read-only paths read from a streaming replica while it is within
GEO_REPLICA_MAX_LAG_S of the primary, then from the primary; a tile read from a replica that has not replayed a
change is not cached past that change. A real replica: pg_basebackup of a throwaway primary, started beside it."""

from __future__ import annotations

import json
import time
import urllib.request

import mapbox_vector_tile
import morecantile
import psycopg
import pytest

from tests.conftest import start_server, until
from tests.pgcluster import PgCluster

MAX_LAG_S = 2.0
METRICS_TOKEN = "replica-test-metrics-token"
LON, LAT = 121.30, 30.75


@pytest.fixture(scope="module")
def replicated():
    primary = PgCluster.new("rep")
    replica = primary.replica()
    env = {
        "DATABASE_URL": primary.url,
        "DATABASE_REPLICA_URL": replica.url,
        "GEO_REPLICA_MAX_LAG_S": str(MAX_LAG_S),
        "GEO_METRICS_TOKEN": METRICS_TOKEN,
    }
    proc, base = start_server(env)
    try:
        yield primary, replica, base
    finally:
        proc.terminate()
        proc.wait(10)
        replica.stop()
        primary.stop()


def _district(primary: PgCluster, code: str, dx: float) -> None:
    x, y = LON + dx, LAT
    with psycopg.connect(primary.dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO geo_core_region (code, name, level, geom, source) VALUES (%s, %s, 'district', "
            "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4490)), 'test')",
            [code, f"测试区{code}", x, y, x + 0.01, y + 0.01],
        )


def _codes(base: str) -> set[str]:
    with urllib.request.urlopen(f"{base}/ogc/collections/districts/items?limit=100", timeout=10) as r:
        return {f["properties"]["code"] for f in json.load(r)["features"]}


def _tile_codes(base: str) -> set[str]:
    t = morecantile.tms.get("WebMercatorQuad").tile(LON + 0.005, LAT + 0.005, 12)
    with urllib.request.urlopen(f"{base}/tiles/districts/{t.z}/{t.x}/{t.y}.pbf", timeout=10) as r:
        layers = mapbox_vector_tile.decode(r.read())
    return {f["properties"]["code"] for f in layers.get("districts", {}).get("features", [])}


def _replayed(replica: PgCluster, code: str) -> bool:
    with psycopg.connect(replica.dsn) as conn:
        return conn.execute("SELECT count(*) FROM geo_core_region WHERE code = %s", [code]).fetchone()[0] == 1


def test_reads_come_from_the_replica_only_while_it_is_fresh(replicated):
    primary, replica, base = replicated
    _district(primary, "310901", 0.0)
    assert until(lambda: _replayed(replica, "310901"))
    assert until(lambda: "310901" in _codes(base) and "310901" in _tile_codes(base))

    with psycopg.connect(replica.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        _district(primary, "310902", 0.002)
        t0 = time.monotonic()
        # Within the bound the replica answers, as it was before the change: the proof that it is read.
        stale_items, stale_tile = _codes(base), _tile_codes(base)
        assert time.monotonic() - t0 < MAX_LAG_S - 0.5, "too slow to observe the replica"
        assert "310902" not in stale_items
        assert "310902" not in stale_tile
        # Past the bound every read goes to the primary: nothing staler than GEO_REPLICA_MAX_LAG_S is served.
        time.sleep(MAX_LAG_S + 0.6)
        assert "310902" in _codes(base)
        assert "310902" in _tile_codes(base)
        conn.execute("SELECT pg_wal_replay_resume()")
    assert until(lambda: _replayed(replica, "310902"))
    # Caught up: back on the replica; the tile read there before the change was not kept in the cache.
    assert until(lambda: "310902" in _codes(base))
    assert "310902" in _tile_codes(base)
    assert until(lambda: 0 <= _lag(base) < 1.0)  # what /metrics says, once the monitor has polled


def _lag(base: str) -> float:
    req = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        lines = r.read().decode().splitlines()
    return float(next(x for x in lines if x.startswith("geoservice_replica_lag_seconds")).split()[1])


def _counted_on_replica(replica: PgCluster) -> bool:
    with psycopg.connect(replica.dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM layers_regioncount_made WHERE level = 'district' "
            "AND made_at > now() - interval '30 seconds'"
        ).fetchone()
    return row[0] == 1


def test_counts_read_on_the_replica_are_kept_fresh_by_the_primary(replicated):
    """Counts are refreshed where they are read, and a replica cannot write: the replica monitor refreshes them on
    the primary (geo_core.replica.KEEP_FRESH), and the replica replays them."""
    _, replica, base = replicated
    _codes(base)  # a read-only request: the monitor runs
    assert until(lambda: _counted_on_replica(replica), 20)
