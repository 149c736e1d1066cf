"""Ingest throughput and latency (issue 4), against a raw COPY of the same rows as the limit.

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/ingest.py [--fixes 200000] [--realistic 60]

Everything is its own: a `<db>_bench_<pid>` database with the demo scene, a Mosquitto on a free port, a uvicorn server
(2 workers) and one `manage.py ingest` worker. Parts:
1. raw COPY of N position rows straight into geo_core_positionfix (the limit);
2. HTTP batch ingest: the same number of fixes as signed report API requests of 10,000 records, 4 client threads;
3. MQTT: one message per fix, QoS 1, from 2 publisher processes, stored by one worker (--mqtt-workers 1,2: by one,
   then by two sharing the topics through an MQTT shared subscription);
4. realistic load for --realistic seconds: 20,000 welders every 10 s over MQTT and 2,000 tags every 2 s over HTTP;
   latency from the fix's send time to its batch's NOTIFY (sent at commit), p50/p99; CPU and peak memory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
import urllib.request
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    BenchDatabase,
    children,
    cpu_seconds,
    free_port,
    log,
    peak_mb,
    postgres_pids,
    start_broker,
    stop,
    wait_until_up,
)


def publisher(port: int, messages: list[tuple[str, bytes]], done: multiprocessing.Queue) -> None:
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.max_inflight_messages_set(5000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    # At most ~60k unacknowledged QoS 1 messages per client (16-bit message ids): keep a window.
    window: deque = deque()
    for topic, body in messages:
        window.append(c.publish(topic, body, qos=1))
        if len(window) >= 30_000:
            window.popleft().wait_for_publish(120)
    for info in window:
        info.wait_for_publish(120)
    c.loop_stop()
    c.disconnect()
    done.put(len(messages))


def listen(dsn: str, seconds: float, out: multiprocessing.Queue) -> None:
    """In its own process: note when each batch's NOTIFY arrives (sent by PostgreSQL at commit). The fixes are
    looked up afterwards, so nothing here delays the next arrival."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("LISTEN geo_core_positions")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for note in conn.notifies(timeout=1.0):
                out.put((time.time(), json.loads(note.payload)))
    out.put(None)  # the end: the reader drains up to here (Queue.empty() is no guarantee)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixes", type=int, default=200_000)
    ap.add_argument("--realistic", type=float, default=60.0, help="seconds of realistic load (0 to skip)")
    ap.add_argument(
        "--mqtt-workers",
        default="1",
        help="ingest worker counts for the MQTT drain, e.g. 1,2 (shared subscription when more than one)",
    )
    args = ap.parse_args()

    import psycopg

    broker, mq_port, _ = start_broker()
    db = BenchDatabase("bench")
    dsn = db.dsn
    env = os.environ | {"GEO_LOG_LEVEL": "WARNING"}
    from demo.loader import demo_credentials
    from geo_core.ingest.signing import signed_headers
    from geo_core.models import Subject
    from geo_core.partitions import ensure_partitions

    now = db.load_demo().replace(microsecond=0)
    creds = json.loads(Path(demo_credentials()).read_text())
    ensure_partitions((now - timedelta(days=3)).date(), (now + timedelta(days=1)).date())
    people = {
        c["company_code"]: list(
            Subject.objects.filter(enterprise__company_code=c["company_code"], kind="person").values_list(
                "external_id", "id"
            )
        )
        for c in creds
    }
    chips = list(Subject.objects.filter(kind="welder").values_list("chip_id", "id"))
    results: dict[str, object] = {"fixes": args.fixes}
    n = args.fixes
    t_hist = now - timedelta(days=2)  # history times: distinct per fix, in existing partitions

    # 1. raw COPY: the same number of rows straight into the table -------------------------------------------------
    pid_list = [pid for rows in people.values() for _, pid in rows]
    rows = []
    for i in range(n):
        sid = pid_list[i % len(pid_list)]
        t = (t_hist + timedelta(seconds=i // len(pid_list), microseconds=1)).isoformat()
        rows.append(f"{sid}\t{t}\tSRID=4490;POINT Z (121.4 30.78 0)\t2.5\tcopy\t121.4\t30.78\tcgcs2000\n")
    data = "".join(rows).encode()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        t0 = time.perf_counter()
        with cur.copy(
            "COPY geo_core_positionfix (subject_id, time, geom, accuracy_m, source, raw_x, raw_y, raw_crs) FROM STDIN"
        ) as copy:
            copy.write(data)
        conn.commit()
        copy_rate = n / (time.perf_counter() - t0)
    results["raw_copy_rows_per_s"] = round(copy_rate)
    log(event="measured", case="raw COPY", rows_per_s=round(copy_rate))

    # 2. HTTP batch ingest -----------------------------------------------------------------------------------------
    port = free_port()
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "geo_core.asgi:application",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-access-log",
            "--no-proxy-headers",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, 60)
    t_http = now - timedelta(days=1)
    bodies = []
    per_request = 10_000
    for k in range(n // per_request):
        c = creds[k % len(creds)]
        ids = people[c["company_code"]]
        recs = [
            {
                "PERSON_ID": ids[i % len(ids)][0],
                "TIME_STAMP": (t_http + timedelta(seconds=k * 1000 + i // len(ids))).isoformat(),
                "LONGITUDE": 121.40 + (i % 97) * 1e-5,
                "LATITUDE": 30.78,
            }
            for i in range(per_request)
        ]
        bodies.append((c, json.dumps({"records": recs}).encode()))

    def send(item) -> int:
        c, body = item
        path = "/api/report/v1/positions"
        headers = signed_headers(c["app_id"], c["app_secret"], "POST", path, body) | {
            "Content-Type": "application/json"
        }
        req = urllib.request.Request(url + path, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(req, timeout=300) as resp:
            return json.load(resp)["accepted"]

    web_pids = [web.pid, *children(web.pid)]
    cpu0 = cpu_seconds(web_pids)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as ex:
        accepted = sum(ex.map(send, bodies))
    el = time.perf_counter() - t0
    http_rate = accepted / el
    results["http_fixes_per_s"] = round(http_rate)
    results["http_vs_copy"] = round(http_rate / copy_rate, 3)
    results["http_server_cpu_cores"] = round((cpu_seconds(web_pids) - cpu0) / el, 2)
    log(
        event="measured",
        case="HTTP batch ingest",
        fixes=accepted,
        fixes_per_s=round(http_rate),
        ratio_to_copy=results["http_vs_copy"],
    )

    # 3. MQTT, one message per fix, one worker. The worker's persistent session is made first; the messages are
    # then queued in the broker while the worker is stopped, and the worker's drain of them is timed: its own
    # sustained rate, not the publishers'.
    def start_workers(k: int) -> list[subprocess.Popen]:
        share = {"GEO_INGEST_SHARE_GROUP": "bench"} if k > 1 else {}
        return [
            subprocess.Popen(
                [sys.executable, "manage.py", "ingest", "--client-id", f"bench-worker-{i}"],
                cwd=ROOT,
                env=env | share,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(k)
        ]

    def stored_mqtt() -> int:
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT count(*) FROM geo_core_positionfix WHERE source = 'mqtt'").fetchone()[0]

    for round_no, k in enumerate(int(c) for c in args.mqtt_workers.split(",")):
        workers = start_workers(k)
        time.sleep(4)  # connected and subscribed: the sessions exist
        for w in workers:
            w.terminate()
            w.wait(30)
        t_mq = now - timedelta(hours=12 + 2 * round_no)  # each round's fixes new (distinct times)
        msgs = [
            (
                f"welder/{chips[i % len(chips)][0]}/position",
                json.dumps(
                    {
                        "ts": int((t_mq + timedelta(seconds=i // len(chips))).timestamp() * 1000),
                        "lon": 121.45,
                        "lat": 31.2,
                        "acc": 100,
                    }
                ).encode(),
            )
            for i in range(n)
        ]
        before = stored_mqtt()
        done = multiprocessing.Queue()
        t0 = time.perf_counter()
        pubs = [
            multiprocessing.Process(target=publisher, args=(mq_port, h, done)) for h in (msgs[: n // 2], msgs[n // 2 :])
        ]
        for p in pubs:
            p.start()
        for p in pubs:
            p.join()
        log(
            event="measured",
            case="MQTT publish (two publisher processes)",
            msgs_per_s=round(n / (time.perf_counter() - t0)),
        )
        workers = start_workers(k)
        count = before
        deadline = time.monotonic() + 600
        while count == before and time.monotonic() < deadline:  # the workers' start-up is not part of their rate
            time.sleep(0.05)
            count = stored_mqtt()
        first_count, t0 = count, time.perf_counter()
        worker_cpu0 = cpu_seconds([w.pid for w in workers])
        pg0 = cpu_seconds(postgres_pids())
        while count < before + n and time.monotonic() < deadline:
            time.sleep(0.2)
            count = stored_mqtt()
        el = time.perf_counter() - t0
        rate = round((count - first_count) / el)
        cores = round((cpu_seconds([w.pid for w in workers]) - worker_cpu0) / el, 2)
        results[f"mqtt_msgs_per_s_{k}_workers"] = rate
        log(
            event="measured",
            case=f"MQTT one message per fix, {k} worker(s)",
            stored=count - before,
            msgs_per_s=rate,
            workers_cpu_cores=cores,
            postgres_cpu_cores=round((cpu_seconds(postgres_pids()) - pg0) / el, 2),
        )
        if round_no < len(args.mqtt_workers.split(",")) - 1:
            for w in workers:
                w.terminate()
                w.wait(30)
    # 4. realistic load: latency from send to committed (NOTIFY) ------------------------------------------------------
    if args.realistic > 0:
        latencies: list[float] = []

        arrivals_q: multiprocessing.Queue = multiprocessing.Queue()
        listener = multiprocessing.Process(target=listen, args=(dsn, args.realistic + 10, arrivals_q), daemon=True)

        import paho.mqtt.client as mqtt

        listener.start()
        time.sleep(1)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        pub.max_inflight_messages_set(20000)
        pub.connect("127.0.0.1", mq_port)
        pub.loop_start()
        pids = [web.pid, *children(web.pid), *[w.pid for w in workers], *postgres_pids()]
        cpu0 = cpu_seconds(pids)
        t_start = time.monotonic()
        tick = 0
        pool = ThreadPoolExecutor(4)

        def send_tags(c: dict) -> None:
            stamp = datetime.now(UTC).isoformat()  # stamped when sent: the latency is the service's, not the queue's
            recs = [
                {"PERSON_ID": e, "TIME_STAMP": stamp, "LONGITUDE": 121.40, "LATITUDE": 30.78}
                for e, _ in people[c["company_code"]]
            ]
            send((c, json.dumps({"records": recs}).encode()))

        slices = 10  # each second's 2,000 welder fixes go out in ten slices, as independent devices would
        while time.monotonic() - t_start < args.realistic:
            group = chips[(tick % 10) * 2000 : (tick % 10 + 1) * 2000]
            for k in range(slices):
                ms = int(time.time() * 1000)
                for chip, _ in group[k * 200 : (k + 1) * 200]:
                    pub.publish(f"welder/{chip}/position", f'{{"ts": {ms}, "lon": 121.45, "lat": 31.2}}', qos=1)
                if tick % 2 == 0 and k < len(creds) // 3 + 1:  # 2,000 tags every 2 s, one request per enterprise
                    for c in creds[k * 3 : (k + 1) * 3]:
                        pool.submit(send_tags, c)
                time.sleep(max(0.0, tick + (k + 1) / slices - (time.monotonic() - t_start)))
            tick += 1
        el = time.monotonic() - t_start
        cpu = cpu_seconds(pids) - cpu0
        time.sleep(3)
        pool.shutdown()
        pub.loop_stop()
        arrivals = []
        while (item := arrivals_q.get(timeout=args.realistic + 60)) is not None:
            arrivals.append(item)
        listener.join(timeout=30)
        with psycopg.connect(dsn) as conn:
            for arrived, payload in arrivals:
                times = conn.execute(
                    "SELECT extract(epoch FROM time) FROM geo_core_positionfix WHERE batch_id = %s "
                    "AND time BETWEEN %s AND %s",
                    [payload["batch"], payload["first"], payload["last"]],
                ).fetchall()
                latencies.extend(arrived - float(t) for (t,) in times)
        lat = np.array(latencies) * 1000
        results["realistic"] = {
            "seconds": round(el),
            "fixes": int(lat.size),
            "fixes_per_s": round(lat.size / el),
            "latency_ms_p50": round(float(np.percentile(lat, 50)), 1) if lat.size else None,
            "latency_ms_p99": round(float(np.percentile(lat, 99)), 1) if lat.size else None,
            "cpu_cores_web_worker_postgres": round(cpu / el, 2),
        }
        log(event="measured", case="realistic load", **results["realistic"])

    results["peak_rss_mb"] = {
        "web": max(filter(None, [peak_mb(p) for p in [web.pid, *children(web.pid)]]), default=None),
        "worker": peak_mb(workers[0].pid),
        "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    stop([*workers, web, broker])
    log(event="summary", **results)
    db.drop()


if __name__ == "__main__":
    main()
