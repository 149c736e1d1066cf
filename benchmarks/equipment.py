"""Special equipment's readings through one ingest worker (issue 27: 10,000 elevators at one reading every 5 s, 2,000
readings/s).

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/equipment.py [--devices 10000] [--runs 3]

Everything is its own: a `<db>_eqbench_<pid>` database (migrated, no demo), --devices elevators registered in it.
1. The store path alone (`geo_core.ingest.devices.process`, what the MQTT consumer calls per batch) on batches of
   --batch readings, one per device, a fresh time each round (every reading applied): readings per second of one
   core, and milliseconds per batch (median, p95), with a fault starting and ending now and then.
2. Through the broker: one `manage.py ingest` worker and a Mosquitto of its own, --rate readings/s for --seconds
   from two publisher processes (each elevator every devices/rate s); the worker's CPU (% of one core) over the
   window, and whether it kept up: the devices whose live state holds one of their last two readings at the end.
The people's alarm latency beside this feed: benchmarks/alarm_latency.py --equipment 10000 (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import BenchDatabase, cpu_seconds, log, start_broker, stop  # noqa: E402


def readings(codes: list[str], t: float, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    import orjson

    out = []
    for code in codes:
        body = {"ts": int(t * 1000), "floor": int(rng.integers(1, 30)), "direction": "up", "door": "closed"}
        body["runs"] = int(rng.integers(1, 10**6))
        if rng.uniform() < 0.001:
            body["faults"] = ["door_lock"]
        out.append((f"equipment/{code}/reading", orjson.dumps(body)))
    return out


def store_path(codes: list[str], batch: int, rounds: int, t0: float) -> dict:
    """Rounds of one reading per device, 5 s apart from `t0` (later than every reading stored before: all applied)."""
    from geo_core.ingest.devices import process

    rng = np.random.default_rng(1)
    times, applied = [], 0
    for r in range(rounds):
        msgs = readings(codes, t0 + r * 5, rng)
        for k in range(0, len(msgs), batch):
            started = time.perf_counter()
            result = process(msgs[k : k + batch])
            times.append(time.perf_counter() - started)
            applied += result.readings
    total = sum(times)
    return {
        "readings": applied,
        "readings_per_s_one_core": round(applied / total),
        "batch": batch,
        "batch_ms_p50": round(1000 * float(np.percentile(times, 50)), 1),
        "batch_ms_p95": round(1000 * float(np.percentile(times, 95)), 1),
    }


def publish(port: int, codes: list[str], rate: float, seconds: float, out: multiprocessing.Queue) -> None:
    """`rate` readings/s over `codes` in 100 ms slices (each device every len(codes)/rate s); the last time sent."""
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.max_inflight_messages_set(2000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    rng = np.random.default_rng(os.getpid())
    k, start, last = 0, time.monotonic(), 0.0
    per_slice = max(1, int(rate / 10))
    while time.monotonic() - start < seconds:
        last = time.time()
        chunk = [codes[(k + j) % len(codes)] for j in range(per_slice)]
        k += per_slice
        for topic, body in readings(chunk, last, rng):
            c.publish(topic, body, qos=1)
        time.sleep(max(0.0, 0.1 - (time.monotonic() - start) % 0.1))
    c.loop_stop()
    c.disconnect()
    out.put((k, last))


def through_broker(codes: list[str], rate: float, seconds: float) -> dict:
    from django.db import connection

    broker, port, _ = start_broker()
    env = os.environ | {"GEO_LOG_LEVEL": "WARNING"}  # start_broker made MQTT_URL its own
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "ingest", "--client-id", "eqbench"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    time.sleep(6)  # connected and subscribed
    cpu0, t0 = cpu_seconds([worker.pid]), time.time()
    q: multiprocessing.Queue = multiprocessing.Queue()
    pubs = [multiprocessing.Process(target=publish, args=(port, codes[k::2], rate / 2, seconds, q)) for k in range(2)]
    for p in pubs:
        p.start()
    sent = [q.get(timeout=seconds + 300) for _ in pubs]
    for p in pubs:
        p.join()
    time.sleep(2.0)
    cpu = cpu_seconds([worker.pid]) - cpu0
    elapsed = time.time() - t0
    last = min(t for _, t in sent)
    period = len(codes) / rate
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM geo_core_equipmentstate WHERE time >= to_timestamp(%s)", [last - 2 * period - 0.2]
        )
        current = cur.fetchone()[0]
    stop([worker, broker])
    return {
        "rate_asked": rate,
        "published": sum(n for n, _ in sent),
        "published_per_s": round(sum(n for n, _ in sent) / seconds),
        "ingest_cpu_percent": round(100 * cpu / elapsed, 1),
        "devices_current": current,
        "devices": len(codes),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    db = BenchDatabase("eqbench")
    try:
        from django.contrib.gis.geos import Point
        from django.core.management import call_command

        from geo_core.models import SpecialEquipment

        call_command("migrate", verbosity=0)
        codes = [f"BENCHLIFT{k:06d}" for k in range(args.devices)]
        SpecialEquipment.objects.bulk_create(
            [
                SpecialEquipment(
                    registry_code=c,
                    kind="elevator",
                    using_unit="bench",
                    location=Point(121.3 + (k % 100) * 1e-3, 30.7 + (k // 100) * 1e-3, srid=4490),
                )
                for k, c in enumerate(codes)
            ],
            batch_size=2000,
        )
        for run in range(1, args.runs + 1):
            # From now on, 5 s apart: after every reading stored before (the broker part's too), within the minutes
            # ahead a reading may be.
            log(event="equipment store path", run=run, **store_path(codes, args.batch, args.rounds, time.time()))
            log(event="equipment through the broker", run=run, **through_broker(codes, args.rate, args.seconds))
    finally:
        db.drop()


if __name__ == "__main__":
    main()
