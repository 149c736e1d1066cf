"""Live stream cost per subscriber with the fan-out computed once (issue 16, part 1).

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/live_fanout.py [--counts 1,10,100,1000]
        [--seconds 20] [--processes 1,4]

A database of its own with the demo park (22,060 live subjects), K server processes (uvicorn, one worker each; the
streams spread over them in turn; one set-up per --processes value), and a mover of its own that
every 2 s moves the 2,000 people and 2,000 of the welding machines (one UPDATE of their states, as ingest would).
For each count N: N streams of 130 users of every role (supervisors, enterprise users of the 29 enterprises, the
two districts' officers), each with a view of about 1 km2 somewhere in the park (a tablet at zoom 16) or, one in
ten, the whole park (a wall). After a warm-up (snapshots), over --seconds: the server's CPU, PostgreSQL's CPU above
the mover's own (measured with no stream), bytes and deltas received per stream, the slowest stream's gap
between deltas, and the change sets the processes computed and took (their /metrics). Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import BenchDatabase, children, cpu_seconds, log, postgres_pids, start_server

PARK = (121.38, 30.78, 121.48, 30.84)  # the demo park's extent, roughly
MOVE = """
UPDATE geo_core_subjectstate st SET
  geom = ST_SetSRID(ST_MakePoint(ST_X(st.geom) + (random() - 0.5) * 2e-5, ST_Y(st.geom) + (random() - 0.5) * 2e-5,
                                 ST_Z(st.geom)), 4490),
  time = now(), updated_at = now()
WHERE st.subject_id IN (SELECT id FROM geo_core_subject WHERE kind = 'person'
                        UNION ALL (SELECT id FROM geo_core_subject WHERE kind = 'welder' ORDER BY id LIMIT 2000))
"""


def users(n: int = 130) -> list[str]:
    from geo_core.access import create_user
    from geo_core.models import ApiToken, Enterprise, Region

    enterprises = list(Enterprise.objects.order_by("id"))
    districts = [Region.objects.get(code=c) for c in ("310116", "310120")]
    tokens = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            u = create_user(f"bench-sup-{i}", "Pw-strong-123!", "supervisor")
        elif kind == 1:
            u = create_user(
                f"bench-ent-{i}", "Pw-strong-123!", "enterprise", enterprise=enterprises[i % len(enterprises)]
            )
        else:
            u = create_user(f"bench-dis-{i}", "Pw-strong-123!", "district", district=districts[i % 2])
        tokens.append(ApiToken.issue(u)[1])
    return tokens


class Mover(threading.Thread):
    def __init__(self, dsn: str):
        super().__init__(daemon=True)
        self.dsn, self.stop = dsn, threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stop.is_set():
                t0 = time.monotonic()
                conn.execute(MOVE)
                self.stop.wait(max(0.0, 2.0 - (time.monotonic() - t0)))


class Stream:
    def __init__(self):
        self.bytes = 0
        self.deltas = 0
        self.last = None
        self.gap = 0.0
        self.counting = False
        self.status = 0
        self.retries = 0


async def stream(base: str, token: str, bbox: str, s: Stream, stop: asyncio.Event) -> None:
    """One map's stream; refused (503 while the database pool is busy with others' snapshots) it tries again after a
    couple of seconds, as a browser's EventSource does."""
    u = urlsplit(base)
    for _attempt in range(10):
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        writer.write(
            (
                f"GET /api/live/stream?layers=people,welders&bbox={bbox} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = (await reader.readline()).split()
        s.status = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
        if s.status == 200 or stop.is_set():
            break
        s.retries += 1
        writer.close()
        await asyncio.sleep(2.0)
    try:
        while not stop.is_set():
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 1.0)
            except TimeoutError:
                continue
            if not chunk:
                break
            now = time.monotonic()
            if s.counting:
                s.bytes += len(chunk)
                d = chunk.count(b"event: delta")
                if d:
                    s.deltas += d
                    if s.last is not None:
                        s.gap = max(s.gap, now - s.last)
                    s.last = now
    finally:
        writer.close()


def views(n: int, rng: random.Random) -> list[str]:
    out = []
    for i in range(n):
        if i % 10 == 0:
            out.append(",".join(map(str, PARK)))
            continue
        x = rng.uniform(PARK[0], PARK[2] - 0.01)
        y = rng.uniform(PARK[1], PARK[3] - 0.009)
        out.append(f"{x:.5f},{y:.5f},{x + 0.0105:.5f},{y + 0.009:.5f}")
    return out


METRICS_TOKEN = "live-fanout-bench"


def feed_counts(bases: list[str]) -> tuple[float, float]:
    """(change sets computed, change sets taken) summed over the server processes, from their /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    made = taken = 0.0
    for base in bases:
        req = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        for m in text_string_to_metric_families(urllib.request.urlopen(req, timeout=30).read().decode()):
            if m.name == "geoservice_live_feed_queries":
                made += m.samples[0].value
            elif m.name == "geoservice_live_feed_batches":
                taken += m.samples[0].value
    return made, taken


async def measure(bases: list[str], tokens: list[str], n: int, seconds: float, server_pids, rng) -> dict:
    stop = asyncio.Event()
    streams = [Stream() for _ in range(n)]
    tasks = []
    for i, v in enumerate(views(n, rng)):  # people open their maps over a while, not in one instant: 100 a second
        base = bases[i % len(bases)]
        tasks.append(asyncio.create_task(stream(base, tokens[i % len(tokens)], v, streams[i], stop)))
        await asyncio.sleep(0.01)
    await asyncio.sleep(10)  # the last snapshots, and retries after a refusal
    for s in streams:
        s.counting = True
    m0 = await asyncio.to_thread(feed_counts, bases)
    c0, p0, t0 = cpu_seconds(server_pids()), cpu_seconds(postgres_pids()), time.monotonic()
    await asyncio.sleep(seconds)
    c1, p1, t1 = cpu_seconds(server_pids()), cpu_seconds(postgres_pids()), time.monotonic()
    m1 = await asyncio.to_thread(feed_counts, bases)
    for s in streams:
        s.counting = False
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    span = t1 - t0
    live = [s for s in streams if s.deltas]
    return {
        "processes": len(bases),
        "streams": n,
        "change_sets_computed": int(m1[0] - m0[0]),
        "change_sets_taken": int(m1[1] - m0[1]),
        "answered_200": sum(s.status == 200 for s in streams),
        "retried": sum(s.retries > 0 for s in streams),
        "receiving": len(live),
        "server_cpu_pct": round(100 * (c1 - c0) / span, 1),
        "postgres_cpu_pct": round(100 * (p1 - p0) / span, 1),
        "server_cpu_ms_per_stream_per_s": round(1000 * (c1 - c0) / span / n, 3),
        "bytes_per_stream_per_5s": int(statistics.median(s.bytes for s in streams) * 5 / span),
        "deltas_per_stream": statistics.median(s.deltas for s in streams),
        "max_gap_s": round(max((s.gap for s in live), default=0.0), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", default="1,10,100,1000")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--processes", default="1", help="server processes, one set-up per value: 1,4")
    args = ap.parse_args()
    os.environ["GEO_METRICS_TOKEN"] = METRICS_TOKEN
    db = BenchDatabase("fanout")
    procs = []
    mover = None
    try:
        db.load_demo()
        tokens = users()
        from django.db import connections

        connections.close_all()
        mover = Mover(db.dsn)
        mover.start()
        time.sleep(6)
        p0, t0 = cpu_seconds(postgres_pids()), time.monotonic()
        time.sleep(args.seconds)
        log(
            event="mover alone",
            postgres_cpu_pct=round(100 * (cpu_seconds(postgres_pids()) - p0) / (time.monotonic() - t0), 1),
        )
        for k in (int(c) for c in args.processes.split(",")):
            folder = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
            started = [start_server(folder / f"server-{i}.log") for i in range(k)]
            procs[:] = [p for p, _ in started]
            bases = [b for _, b in started]
            log(event="servers", processes=k, logs=str(folder))

            def server_pids() -> list[int]:
                return [pid for p in procs for pid in (p.pid, *children(p.pid))]

            rng = random.Random(16)
            for n in (int(c) for c in args.counts.split(",")):
                log(event="live fan-out", **asyncio.run(measure(bases, tokens, n, args.seconds, server_pids, rng)))
                time.sleep(3)
            for p in procs:
                p.kill()
                p.wait()
            time.sleep(3)
    finally:
        if mover:
            mover.stop.set()
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=15)
            except Exception:
                p.kill()
        db.drop()


if __name__ == "__main__":
    main()
