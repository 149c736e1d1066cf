"""Alarms end to end (issue 5: p99 <= 1 s from receipt to push, SOS p99 <= 1 s, at about 3,000 fixes/s plus bursts).

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/alarm_latency.py [--seconds 60] [--runs 3]

Everything is its own: a `<db>_alarmbench` database with the demo scene, a Mosquitto on a free port, one uvicorn
worker (the SSE stream), one `manage.py ingest` worker and one `manage.py alarms` worker. For --seconds:
- background load over MQTT: welder positions at --rate fixes/s spread over the 20,000 demo machines, plus a burst
  of --burst fixes every --burst-every seconds;
- triggers: the 60 demo body cameras, each jumping in and out of a forbidden zone every 8-12 s (a rule made here
  watches cameras in forbidden zones; 20 m deep, so the margin decides at once), and one SOS button press a second;
- a client on GET /api/alarms/stream notes when each alarm arrives.
Latency = arrival at the SSE client - the trigger's time stamp (set when it was published; same clock), per alarm:
receipt (broker) -> ingest commit -> NOTIFY -> alarm worker -> alarm row + outbox commit -> stream -> client.
Also: CPU seconds per process over the run, the alarm worker's peak memory.

Special equipment (issue 27): --equipment N registers N elevators and, in the runs --equipment-modes says "on",
publishes each one's reading every 5 s over its own lane (N=10,000: 2,000 readings/s, the seed's scale) with a few
faults; the summary says how many readings were published and how many devices' live state was current at the
window's end (the ingest kept up), beside the people's alarm latencies of the same set-up with the feed off.

Scale (issue 16): --ingest-workers N shares the device topics among N ingest workers (an MQTT shared subscription);
--alarm-workers N runs N alarm workers over --partitions P; --kill-at S SIGKILLs, S seconds into the last run, the
alarm worker holding the partition of the body cameras (the triggers), so that run's latencies
include the hand-over (the survivor takes the partition from its saved state).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PUBLISHERS = 2  # one Python publisher process does not keep up with 3,000 messages/s plus bursts
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    BenchDatabase,
    cpu_seconds,
    free_port,
    log,
    peak_mb,
    postgres_pids,
    start_broker,
    stop,
    wait_until_up,
)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def load(
    port: int,
    chips: list[str],
    homes: np.ndarray,
    rate: float,
    burst: int,
    burst_every: float,
    seconds: float,
    out: multiprocessing.Queue,
) -> None:
    """Welder positions at `rate` per second in 100 ms slices, and a burst every `burst_every` seconds."""
    import orjson
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.max_inflight_messages_set(60_000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    rng = np.random.default_rng(1)
    sent, k, start = 0, 0, time.monotonic()
    next_burst = start + burst_every / 2
    while time.monotonic() - start < seconds:
        n = int(rate / 10)
        if time.monotonic() >= next_burst:
            n += burst
            next_burst += burst_every
        ts = int(time.time() * 1000)
        for _ in range(n):
            i = k % len(chips)
            k += 1
            lon, lat = (homes[i] + rng.normal(0, 2e-4, 2)).tolist()
            c.publish(
                f"welder/{chips[i]}/position", orjson.dumps({"ts": ts, "lon": lon, "lat": lat, "acc": 100}), qos=1
            )
            sent += 1
        time.sleep(max(0.0, 0.1 - (time.monotonic() - start) % 0.1))
    c.loop_stop()
    c.disconnect()
    out.put(sent)


EQUIPMENT_EVERY_S = 5.0


def equipment_feed(port: int, codes: list[str], seconds: float, out: multiprocessing.Queue) -> None:
    """Every elevator's reading every EQUIPMENT_EVERY_S, spread evenly (one in 2,000 names a fault)."""
    import orjson
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.max_inflight_messages_set(60_000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    rng = np.random.default_rng(3)
    per_slice = max(1, int(len(codes) / EQUIPMENT_EVERY_S / 10))
    sent, k, start, ts = 0, 0, time.monotonic(), 0
    while time.monotonic() - start < seconds:
        ts = int(time.time() * 1000)
        for _ in range(per_slice):
            code = codes[k % len(codes)]
            k += 1
            body = {"ts": ts, "floor": int(rng.integers(1, 30)), "direction": "up", "door": "closed", "runs": k}
            if rng.uniform() < 0.0005:
                body["faults"] = ["door_lock"]
            c.publish(f"equipment/{code}/reading", orjson.dumps(body), qos=1)
            sent += 1
        time.sleep(max(0.0, 0.1 - (time.monotonic() - start) % 0.1))
    c.loop_stop()
    c.disconnect()
    out.put(("equipment", sent, ts / 1000))  # the last readings' time


def triggers(
    port: int, cams: list[str], inside: np.ndarray, outside: np.ndarray, seconds: float, out: multiprocessing.Queue
) -> None:
    """Cameras in and out of their forbidden zones (each every 8-12 s), and one SOS a second."""
    import orjson
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.connect("127.0.0.1", port)
    c.loop_start()
    rng = np.random.default_rng(2)
    start = time.monotonic()
    due = start + rng.uniform(0, 10, len(cams))
    state = np.zeros(len(cams), dtype=bool)
    next_sos, sos, moves = start + 1.0, 0, 0
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        for i in np.flatnonzero(due <= now).tolist():
            state[i] = not state[i]
            lon, lat = (inside if state[i] else outside)[i].tolist()
            c.publish(
                f"camera/{cams[i]}/position",
                orjson.dumps({"ts": int(time.time() * 1000), "lon": lon, "lat": lat}),
                qos=1,
            )
            due[i] = now + rng.uniform(8, 12)
            moves += 1
        if now >= next_sos:
            i = int(rng.integers(len(cams)))
            c.publish(f"camera/{cams[i]}/sos", orjson.dumps({"ts": int(time.time() * 1000)}), qos=1)
            next_sos += 1.0
            sos += 1
        time.sleep(0.01)
    c.loop_stop()
    c.disconnect()
    out.put((moves, sos))


class Client(threading.Thread):
    def __init__(self, base: str, token: str):
        super().__init__(daemon=True)
        u = urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        self.conn.request("GET", "/api/alarms/stream", headers={"Authorization": f"Bearer {token}"})
        self.resp = self.conn.getresponse()
        self.got: list[tuple[float, str, dict]] = []

    def run(self) -> None:
        ev: dict = {}
        while True:
            try:
                line = self.resp.readline()
            except OSError:
                return
            if not line:
                return
            line = line.decode().rstrip("\n")
            if not line:
                if "data" in ev:
                    self.got.append((time.time(), ev.get("event", ""), json.loads(ev["data"])))
                ev = {}
            elif not line.startswith((":", "retry:")):
                k, _, v = line.partition(": ")
                ev[k] = v


def _measure(run, args, client, procs, mq_port, mq_dir, chips, homes, cams, inside, outside, lifts=()) -> dict:
    """One window of --seconds under load: latencies of the alarms it raised, CPU per process, the worker's slow
    steps (those logged during this window)."""
    client.got.clear()
    slow_before = len(_slow_steps(mq_dir))
    pg = postgres_pids()
    cpu0 = {k: cpu_seconds([p.pid]) for k, p in procs.items()} | {"postgres": cpu_seconds(pg)}
    q: multiprocessing.Queue = multiprocessing.Queue()
    t_start = time.time()
    workers = [
        *(
            multiprocessing.Process(
                target=load,
                args=(
                    mq_port,
                    chips[k::PUBLISHERS],
                    homes[k::PUBLISHERS],
                    args.rate / PUBLISHERS,
                    args.burst // PUBLISHERS,
                    args.burst_every,
                    args.seconds,
                    q,
                ),
            )
            for k in range(PUBLISHERS)
        ),
        multiprocessing.Process(target=triggers, args=(mq_port, cams, inside, outside, args.seconds, q)),
        *(
            [multiprocessing.Process(target=equipment_feed, args=(mq_port, list(lifts), args.seconds, q))]
            if lifts
            else []
        ),
    ]
    for w in workers:
        w.start()
    results = [q.get(timeout=args.seconds + 300) for _ in workers]
    for w in workers:
        w.join()
    time.sleep(5)  # let the tail drain
    cpu1 = {k: cpu_seconds([p.pid]) for k, p in procs.items() if k in cpu0} | {"postgres": cpu_seconds(pg)}
    elapsed = time.time() - t_start
    sent = sum(r for r in results if isinstance(r, int))
    moves, sos = next(r for r in results if isinstance(r, tuple) and len(r) == 2)
    feed = next((r for r in results if isinstance(r, tuple) and len(r) == 3), None)
    lat: dict[str, list[float]] = {"sos": [], "out_of_bounds": []}
    detect, push = [], []  # trigger -> alarm row written (ingest + worker), alarm row -> client (outbox + stream)
    for recv, kind, a in client.got:
        if kind == "raised" and a["type"] in lat:
            raised = datetime.fromisoformat(a["raised_at"]).timestamp()
            if raised >= t_start:
                lat[a["type"]].append(recv - raised)
                detected = datetime.fromisoformat(a["detected_at"]).timestamp()
                detect.append(detected - raised)
                push.append(recv - detected)
    summary = {
        "run": run,
        "seconds": args.seconds,
        "background_fixes": sent,
        "background_rate": round(sent / args.seconds),
        "camera_moves": moves,
        "sos_sent": sos,
        **{f"{k}_alarms": len(v) for k, v in lat.items()},
        **{f"{k}_p50_s": round(pct(v, 50), 3) for k, v in lat.items()},
        **{f"{k}_p99_s": round(pct(v, 99), 3) for k, v in lat.items()},
        **{f"{k}_max_s": round(max(v), 3) if v else None for k, v in lat.items()},
        "cpu_percent": {k: round(100 * (cpu1[k] - cpu0[k]) / elapsed, 1) for k in cpu1},
        "alarm_worker_peak_mb": {k: peak_mb(p.pid) for k, p in procs.items() if k.startswith("alarms")},
        "ingest_worker_peak_mb": {k: peak_mb(p.pid) for k, p in procs.items() if k.startswith("ingest")},
    }
    if feed is not None:
        from django.db import connection

        _, published, feed_end = feed
        with connection.cursor() as cur:  # devices whose live state holds a reading of the feed's last 6 s
            cur.execute(
                "SELECT count(*) FROM geo_core_equipmentstate s "
                "JOIN geo_core_specialequipment q ON q.id = s.equipment_id "
                "WHERE q.registry_code LIKE 'BENCHLIFT%%' AND s.time >= to_timestamp(%s)",
                [feed_end - EQUIPMENT_EVERY_S - 1.0],
            )
            current = cur.fetchone()[0]
        summary |= {
            "equipment_readings_published": published,
            "equipment_rate": round(published / args.seconds),
            "equipment_devices_current": current,
            "equipment_devices": len(lifts),
        }
    summary["equipment_feed"] = "on" if lifts else "off"
    summary |= {
        "to_detected_p50_s": round(pct(detect, 50), 3),
        "to_detected_p99_s": round(pct(detect, 99), 3),
        "detected_to_client_p50_s": round(pct(push, 50), 3),
        "detected_to_client_p99_s": round(pct(push, 99), 3),
    }
    all_lat = lat["sos"] + lat["out_of_bounds"]
    summary |= {
        "all_p50_s": round(pct(all_lat, 50), 3),
        "all_p99_s": round(pct(all_lat, 99), 3),
        "target_p99_s": 1.0,
        "met": pct(all_lat, 99) <= 1.0 and pct(lat["sos"], 99) <= 1.0,
    }
    by_type: dict[str, int] = {}
    for _, kind, a in client.got:
        if kind == "raised":
            by_type[a["type"]] = by_type.get(a["type"], 0) + 1
    summary["raised_by_type"] = by_type
    slow = _slow_steps(mq_dir)[slow_before:]
    summary["worker_slow_steps"] = len(slow)
    summary["worker_slowest"] = sorted(slow, key=lambda x: -x["seconds"])[:3]
    log(event="alarm latency", **summary)
    return summary


def _name(role: str, k: int) -> str:
    return role if k == 0 else f"{role}-{k + 1}"


def _kill_park_worker(procs: dict, dsn: str, camera: str, count: int) -> None:
    """SIGKILL the alarm worker whose lease covers the partition of `camera` (by its enterprise's park, its
    enterprise, or none)."""
    import psycopg

    from alarms.leases import PARTITIONS
    from alarms.partitioning import key_of, partition_of

    with psycopg.connect(dsn) as conn:
        ent, park = conn.execute(
            "SELECT e.id, e.park_id FROM geo_core_subject s LEFT JOIN geo_core_enterprise e ON e.id = s.enterprise_id"
            " WHERE s.external_id = %s",
            [camera],
        ).fetchone()
        index = partition_of(key_of(ent, park), count)
        holder = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s AND l.granted",
            [PARTITIONS, count * 1000 + index],
        ).fetchone()
    pid = int(holder[0].split("-")[1])
    name = next(k for k, p in procs.items() if p.pid == pid)
    victim = procs.pop(name)
    victim.kill()
    victim.wait()
    log(event="alarm worker killed", worker=name, pid=pid, partition=f"{index + 1}/{count}")


def _slow_steps(mq_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (mq_dir / "alarms.log").read_text().splitlines() if "slow alarm step" in x]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=3000.0, help="background welder fixes per second")
    ap.add_argument("--burst", type=int, default=20_000)
    ap.add_argument("--burst-every", type=float, default=20.0)
    ap.add_argument("--runs", type=int, default=3, help="consecutive measured windows on one set-up")
    ap.add_argument("--ingest-workers", type=int, default=1)
    ap.add_argument("--alarm-workers", type=int, default=1)
    ap.add_argument("--partitions", type=int, default=1, help="alarm engine partitions")
    ap.add_argument("--equipment", type=int, default=0, help="elevators registered, each reporting every 5 s")
    ap.add_argument("--equipment-modes", default="on", help="per run, cycled: on,off (the feed on or off)")
    ap.add_argument("--kill-at", type=float, help="seconds into the last run: SIGKILL the park's alarm worker")
    args = ap.parse_args()

    broker, mq_port, mq_dir = start_broker()
    db = BenchDatabase("alarmbench")
    env = os.environ | {"GEO_LOG_LEVEL": "WARNING"}
    from alarms.models import AlarmRule
    from geo_core.access import create_user
    from geo_core.models import ApiToken, Subject, SubjectState, Zone

    db.load_demo()
    rule = AlarmRule.objects.create(
        name="bench: cameras in forbidden zones",
        type="out_of_bounds",
        subject_kinds=["body_camera"],
        zone_kinds=["forbidden"],
    )
    token = ApiToken.issue(create_user("bench", "bench-password-1", "supervisor"))[1]
    welders = list(SubjectState.objects.filter(subject__kind="welder").values_list("subject__chip_id", "geom"))
    chips = [c for c, _ in welders]
    homes = np.array([[g.x, g.y] for _, g in welders])
    cams = list(Subject.objects.filter(kind="body_camera").order_by("id").values_list("external_id", flat=True))
    zones = list(Zone.objects.filter(kind="forbidden").order_by("id"))
    inside, outside = [], []
    for k in range(len(cams)):
        g = zones[k % len(zones)].geom
        c = g.point_on_surface
        x1 = g.extent[2]
        inside.append((c.x, c.y))
        outside.append((x1 + 0.001, c.y))  # ~95 m east of the zone
    inside, outside = np.array(inside), np.array(outside)
    lifts: list[str] = []
    if args.equipment:
        from django.contrib.gis.geos import Point

        from geo_core.models import SpecialEquipment

        lifts = [f"BENCHLIFT{k:06d}" for k in range(args.equipment)]
        SpecialEquipment.objects.bulk_create(
            [
                SpecialEquipment(
                    registry_code=code,
                    kind="elevator",
                    using_unit="bench",
                    location=Point(*homes[k % len(homes)].tolist(), srid=4490),
                )
                for k, code in enumerate(lifts)
            ],
            batch_size=2000,
        )
    modes = args.equipment_modes.split(",")
    log(
        event="scene", welders=len(chips), cameras=len(cams), forbidden_zones=len(zones), rule=rule.id, lifts=len(lifts)
    )

    port = free_port()
    procs = {
        "web": subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "geo_core.asgi:application",
                "--port",
                str(port),
                "--no-access-log",
                "--no-proxy-headers",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    }
    share = {"GEO_INGEST_SHARE_GROUP": "bench"} if args.ingest_workers > 1 else {}
    for k in range(args.ingest_workers):
        procs[_name("ingest", k)] = subprocess.Popen(
            [sys.executable, "manage.py", "ingest", "--client-id", f"bench-ingest-{k}"],
            cwd=ROOT,
            env=env | share,
            stdout=subprocess.DEVNULL,
        )
    alarm_log = (mq_dir / "alarms.log").open("w")
    for k in range(args.alarm_workers):
        procs[_name("alarms", k)] = subprocess.Popen(
            [sys.executable, "manage.py", "alarms", "--partitions", str(args.partitions)],
            cwd=ROOT,
            env=env | {"GEO_LOG_LEVEL": "INFO"},
            stdout=subprocess.DEVNULL,
            stderr=alarm_log,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, 60)
    time.sleep(8)  # the ingest worker subscribes, the alarm worker loads the scene
    client = Client(url, token)
    client.start()
    runs = []
    for run in range(1, args.runs + 1):
        if run == args.runs and args.kill_at is not None:
            threading.Timer(args.kill_at, _kill_park_worker, args=(procs, db.dsn, cams[0], args.partitions)).start()
        feed = lifts if modes[(run - 1) % len(modes)] == "on" else ()
        runs.append(_measure(run, args, client, procs, mq_port, mq_dir, chips, homes, cams, inside, outside, feed))
    met = [r["met"] for r in runs]
    log(
        event="alarm latency, all runs",
        runs=len(runs),
        met_every_run=all(met),
        sos_p99_s=[r["sos_p99_s"] for r in runs],
        all_p99_s=[r["all_p99_s"] for r in runs],
        equipment_feed=[r["equipment_feed"] for r in runs],
        equipment_devices_current=[r.get("equipment_devices_current") for r in runs],
    )
    stop([*procs.values(), broker])
    db.drop()


if __name__ == "__main__":
    main()
