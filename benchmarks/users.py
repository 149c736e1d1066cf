"""People with maps open (issue 16, part 2): the service as `make run` runs it, the demo moving, and N simulated
users of every role acting at human pace, from one asyncio process (aiohttp).

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/users.py [--users 100,300,1000] [--seconds 120]
        [--think 10] [--web-workers 2]

Set-up, all its own: a database with the demo park, a Mosquitto, uvicorn with --web-workers workers (as `make run`),
a web process of its own for the report API (--report-workers, as docs/scaling.md says to run it; 0: none), the
ingest worker, the alarm worker and the simulator (2,000 people over the signed report API every 5 s, 20,000
welding machines over MQTT every 60 s). Users: 30 % park supervisors, 30 % district officers, 30 % enterprise users
(29 enterprises), 10 % read-only API clients (the city brain), each with its own token.

A map user opens the page (style, tile set, the tiles of its view at zoom 15-17 on a tablet or 12-14 on a wall), keeps
the live stream of its view and the alarm stream open, and every think time (exponential, mean --think s) does one
thing: pans (new tiles; the live stream follows the view with a new snapshot, as web/src/live.js does), zooms,
searches, asks what is nearby, opens an alarm (list, detail; acknowledges one in four it may act on), plays a track
back (30 minutes of a subject in view), reads counts, or exports the day's alarms as CSV. An API client reads OGC
features and counts. Users start over --ramp s; then --seconds are measured.

Reported per user count: p50/p95/p99/max and errors per request kind (an error: a 5xx, a refused or broken
connection, or a 4xx the user did not cause; a 409 on acknowledging an alarm another user has just acknowledged is
counted apart), live data age (receipt of a delta - the time of each fix that moved in it: ingest lag included; and
receipt - the server's change time), the longest gap between deltas,
alarm push lag (receipt - detected_at), the processes' CPU and memory, and what /metrics said at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import morecantile
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import (  # noqa: E402
    BenchDatabase,
    children,
    cpu_seconds,
    free_port,
    log,
    postgres_pids,
    start_broker,
    stop,
    wait_until_up,
)

PARK = (121.38, 30.78, 121.48, 30.84)
PARK_TZ = ZoneInfo("Asia/Shanghai")
TILE_LAYERS = (
    "district_counts,equipment_faults,districts,township_counts,townships,enterprises,sites,zones,permits,"
    "equipment,trails"
)  # web/src/map.js
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
METRICS_TOKEN = "bench-metrics-token-users"
ACTIONS = {"pan": 30, "zoom": 10, "search": 10, "nearby": 10, "alarm": 15, "track": 8, "counts": 10, "export": 7}
COMPLEX = {"search", "export", "track"}  # seed 004: complex searches and reports (3 s average, 5 s peak)
SEARCH_TERMS = ["张伟", "王芳", "焊机", "化工", "HJ", "动火", "罐区", "仓库", "1号", "储罐"]  # two characters or more


def accounts(n: int) -> list[tuple[str, str]]:
    """(role, token) for n users, each an account of its own (a person; streams are capped per caller). The password
    hash is computed once and shared: 1,000 PBKDF2 hashes would take minutes and measure nothing."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from geo_core.models import ApiToken, Enterprise, Region, UserProfile

    enterprises = list(Enterprise.objects.order_by("id"))
    districts = [Region.objects.get(code=c) for c in ("310116", "310120")]
    roles = ["supervisor", "district", "enterprise"] * 3 + ["reader"]
    password = make_password("Pw-strong-123!")
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"bench-user-{i}", password=password) for i in range(n)]
    )
    profiles, out = [], []
    for i, user in enumerate(users):
        role = roles[i % len(roles)]
        profiles.append(
            UserProfile(
                user=user,
                role=role,
                enterprise=enterprises[i % len(enterprises)] if role == "enterprise" else None,
                district=districts[i % 2] if role == "district" else None,
            )
        )
        out.append((role, ApiToken.issue(user, f"bench-{i}")[1]))
    UserProfile.objects.bulk_create(profiles)
    return out


class Record:
    """What every user saw, by request kind."""

    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: dict[str, str] = {}
        self.conflicts = 0
        self.data_age: list[float] = []  # at each delta: now - the time of each fix that moved in it
        self.change_age: list[float] = []  # at each delta: now - the server's change time it reached
        self.gaps: list[float] = []
        self.alarm_lag: list[float] = []
        self.streams_open = 0
        self.measuring = False

    def took(self, kind: str, seconds: float) -> None:
        if self.measuring:
            self.lat[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        if self.measuring:
            self.errors[kind] += 1
            self.examples.setdefault(kind, what[:200])


class User:
    def __init__(
        self,
        i: int,
        role: str,
        token: str,
        base: str,
        session: aiohttp.ClientSession,
        rec: Record,
        think: float,
        rng: random.Random,
    ):
        self.i, self.role, self.base, self.session, self.rec = i, role, base, session, rec
        self.headers = {"Authorization": f"Bearer {token}"}
        self.think, self.rng = think, rng
        self.wall = i % 10 == 9  # one in ten a command-centre wall: the whole park
        self.z = rng.randint(12, 13) if self.wall else rng.randint(15, 17)
        self.lon = rng.uniform(PARK[0] + 0.01, PARK[2] - 0.01)
        self.lat = rng.uniform(PARK[1] + 0.005, PARK[3] - 0.005)
        self.seen: list[str] = []  # external ids of subjects in the live view (for tracks)
        self.live: asyncio.Task | None = None

    # --- requests -------------------------------------------------------------------------------------------------
    async def get(self, kind: str, path: str, expect_json: bool = True, ok=(200,)):
        t0 = time.perf_counter()
        try:
            async with self.session.get(self.base + path, headers=self.headers) as r:
                body = await r.read()
                self.rec.took(kind, time.perf_counter() - t0)
                if r.status not in ok:
                    self.rec.error(kind, f"{r.status} {path}: {body[:120]!r}")
                    return None
                return json.loads(body) if expect_json and body else body
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
            self.rec.took(kind, time.perf_counter() - t0)
            self.rec.error(kind, f"{type(exc).__name__} {path}: {exc}")
            return None

    def view(self) -> tuple[float, float, float, float]:
        # a tablet (1280 x 800 px) or a wall (3840 x 2160 px) at zoom z: degrees per pixel at the equator, scaled
        w, h = (3840, 2160) if self.wall else (1280, 800)
        dx = w * 360 / (256 * 2**self.z)
        dy = h * 360 / (256 * 2**self.z) * 0.86
        return self.lon - dx / 2, self.lat - dy / 2, self.lon + dx / 2, self.lat + dy / 2

    async def tiles(self, only_new_of: set | None = None) -> set:
        x0, y0, x1, y1 = self.view()
        wanted = {(t.x, t.y, t.z) for t in WEB_MERCATOR.tiles(x0, y0, x1, y1, [self.z])}
        todo = wanted - (only_new_of or set())
        # a browser asks six at a time per host
        sem = asyncio.Semaphore(6)

        async def one(t):
            async with sem:
                await self.get(
                    "tile", f"/tiles/{TILE_LAYERS}/{t[2]}/{t[0]}/{t[1]}.pbf", expect_json=False, ok=(200, 204)
                )

        await asyncio.gather(*(one(t) for t in todo))
        return wanted

    # --- streams --------------------------------------------------------------------------------------------------
    async def live_stream(self) -> None:
        bbox = ",".join(f"{v:.5f}" for v in self.view())
        path = f"/api/live/stream?layers=people,welders,cameras&bbox={bbox}"
        t0 = time.perf_counter()
        try:
            async with self.session.get(
                self.base + path, headers=self.headers, timeout=aiohttp.ClientTimeout(total=None, sock_read=60)
            ) as r:
                if r.status != 200:
                    self.rec.took("live_snapshot", time.perf_counter() - t0)
                    self.rec.error("live_snapshot", f"{r.status} {path}")
                    return
                last, event, cursor, first = None, "", 0, True
                self.rec.streams_open += 1
                try:
                    async for raw in r.content:
                        line = raw.decode().rstrip("\n")
                        if line.startswith("id: "):
                            cursor = int(line[4:])
                        elif line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event in ("snapshot", "delta"):
                            now = time.time()
                            if first:
                                self.rec.took("live_snapshot", time.perf_counter() - t0)
                                first = False
                            body = json.loads(line[6:])
                            if event == "delta" and self.rec.measuring:
                                self.rec.change_age.append(now - cursor / 1e6)
                                # the age of the positions that moved: receipt - the fix's time (ingest lag
                                # included; upserts also carry attribute changes of subjects that did not move)
                                for r in body.get("moved", ()):
                                    self.rec.data_age.append(now - r[3])
                                if last is not None:
                                    self.rec.gaps.append(now - last)
                            last = now
                            if len(self.seen) < 50 and (rows := body.get("rows")):
                                self.seen.extend(str(row[8]) for row in rows[:50] if row[1] == "person" and row[8])
                finally:
                    self.rec.streams_open -= 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.rec.error("live_snapshot", f"{type(exc).__name__}: {exc}")

    async def alarm_stream(self) -> None:
        try:
            async with self.session.get(
                self.base + "/api/alarms/stream",
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=None, sock_read=60),
            ) as r:
                if r.status != 200:
                    self.rec.error("alarm_stream", f"{r.status}")
                    return
                event = ""
                async for raw in r.content:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "raised" and self.rec.measuring:
                        a = json.loads(line[6:])
                        if a.get("detected_at"):
                            self.rec.alarm_lag.append(
                                time.time() - datetime.fromisoformat(a["detected_at"]).timestamp()
                            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.rec.error("alarm_stream", f"{type(exc).__name__}: {exc}")

    def follow(self) -> None:
        if self.live is not None:
            self.live.cancel()
        self.live = asyncio.create_task(self.live_stream())

    # --- a person at work -----------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        tasks = []
        try:
            if self.role == "reader":
                while not stop.is_set():
                    x0, y0, x1, y1 = self.view()
                    await self.get("features", f"/ogc/collections/people/items?bbox={x0},{y0},{x1},{y1}&limit=100")
                    await self.get("counts", "/api/counts/districts")
                    await self._pause(stop)
                return
            await self.get("style", "/maps/style.json")
            await self.get("tilejson", f"/tiles/{TILE_LAYERS}.json")
            shown = await self.tiles()
            self.follow()
            tasks.append(asyncio.create_task(self.alarm_stream()))
            await self.get("counts", "/api/counts/districts")
            while not stop.is_set():
                await self._pause(stop)
                if stop.is_set():
                    break
                action = self.rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
                shown = await self.act(action, shown)
        finally:
            for t in [*tasks, self.live]:
                if t is not None:
                    t.cancel()

    async def _pause(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.rng.expovariate(1 / self.think))

    async def act(self, action: str, shown: set) -> set:
        rng = self.rng
        x0, y0, x1, y1 = self.view()
        if action == "pan":
            self.lon = min(max(self.lon + rng.uniform(-0.5, 0.5) * (x1 - x0), PARK[0]), PARK[2])
            self.lat = min(max(self.lat + rng.uniform(-0.5, 0.5) * (y1 - y0), PARK[1]), PARK[3])
            shown = await self.tiles(shown)
            self.follow()
        elif action == "zoom":
            lo, hi = (11, 14) if self.wall else (14, 18)
            self.z = min(max(self.z + rng.choice((-1, 1)), lo), hi)
            shown = await self.tiles()
            self.follow()
        elif action == "search":
            await self.get("search", f"/api/search?q={rng.choice(SEARCH_TERMS)}&limit=20")
        elif action == "nearby":
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            await self.get("nearby", f"/api/nearby/people?lon={lon:.6f}&lat={lat:.6f}&radius=200&k=10")
        elif action == "alarm":
            page = await self.get("alarm_list", "/api/alarms/?limit=20")
            items = (page or {}).get("results") or (page or {}).get("alarms") or []
            if items:
                a = rng.choice(items)
                await self.get("alarm_detail", f"/api/alarms/{a['id']}")
                if rng.random() < 0.25 and a.get("status") == "raised":
                    await self.acknowledge(a["id"])
        elif action == "track" and self.seen:
            end = datetime.now(UTC)
            start = end - timedelta(minutes=30)
            await self.get(
                "track",
                f"/api/tracks/{rng.choice(self.seen)}?from={start.isoformat()}&to={end.isoformat()}".replace(
                    "+", "%2B"
                ),
                ok=(200, 404),
            )
        elif action == "counts":
            await self.get("counts", "/api/counts/districts")
        elif action == "export":
            day = datetime.now(PARK_TZ).date().isoformat()  # the park's day, from its midnight
            await self.get("export", f"/api/alarms/?f=csv&since={day}T00:00:00%2B08:00", expect_json=False)
        return shown

    async def acknowledge(self, alarm_id: int) -> None:
        t0 = time.perf_counter()
        try:
            async with self.session.post(
                f"{self.base}/api/alarms/{alarm_id}/acknowledge", headers=self.headers, json={"comment": "收到，处理中"}
            ) as r:
                body = await r.read()
                self.rec.took("acknowledge", time.perf_counter() - t0)
                if r.status == 409:
                    self.rec.conflicts += 1  # another user acknowledged it first
                elif r.status not in (200, 403):  # 403: a reader of this alarm who may not act on it
                    self.rec.error("acknowledge", f"{r.status}: {body[:120]!r}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.rec.error("acknowledge", f"{type(exc).__name__}: {exc}")


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


async def measure(base: str, who: list[tuple[str, str]], args, pids) -> dict:
    rec = Record()
    rng = random.Random(16)
    stop_ev = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        users = [
            User(i, role, token, base, session, rec, args.think, random.Random(rng.random()))
            for i, (role, token) in enumerate(who)
        ]
        tasks = []
        for u in users:  # the ramp: people arrive over --ramp seconds
            tasks.append(asyncio.create_task(u.run(stop_ev)))
            await asyncio.sleep(args.ramp / len(users))
        await asyncio.sleep(5)
        rec.measuring = True
        c0 = {k: cpu_seconds(v()) for k, v in pids.items()}
        client0 = time.process_time()
        t0 = time.monotonic()
        await asyncio.sleep(args.seconds)
        span = time.monotonic() - t0
        rec.measuring = False
        cpu = {k: round(100 * (cpu_seconds(v()) - c0[k]) / span, 1) for k, v in pids.items()}
        cpu["load client"] = round(100 * (time.process_time() - client0) / span, 1)
        rss = {k: sum(_rss_mb(p) for p in v()) for k, v in pids.items() if k != "postgres"}
        metrics = await _metrics(session, base)
        streams = rec.streams_open
        stop_ev.set()
        await asyncio.wait(tasks, timeout=30)
    kinds = {}
    for kind in sorted(set(rec.lat) | set(rec.errors)):
        v = rec.lat[kind]
        kinds[kind] = {
            "n": len(v),
            "p50_s": pct(v, 50),
            "p95_s": pct(v, 95),
            "p99_s": pct(v, 99),
            "max_s": round(max(v), 3) if v else None,
            "mean_s": round(statistics.fmean(v), 3) if v else None,
            "errors": rec.errors.get(kind, 0),
        }
    requests = sum(len(v) for v in rec.lat.values())
    worst = max((k for k in kinds if kinds[k]["p95_s"] is not None), key=lambda k: kinds[k]["p95_s"])
    out = {
        "users": len(who),
        "seconds": args.seconds,
        "requests_per_s": round(requests / span, 1),
        "kinds": kinds,
        "worst_p95": {worst: kinds[worst]["p95_s"]},
        "errors": sum(rec.errors.values()),
        "error_examples": rec.examples,
        "ack_conflicts": rec.conflicts,
        "live_streams_open": streams,
        "live_data_age_s": {
            "p50": pct(rec.data_age, 50),
            "p95": pct(rec.data_age, 95),
            "max": round(max(rec.data_age), 2) if rec.data_age else None,
        },
        "live_change_age_s": {"p50": pct(rec.change_age, 50), "p95": pct(rec.change_age, 95)},
        "live_gap_s": {"p95": pct(rec.gaps, 95), "max": round(max(rec.gaps), 2) if rec.gaps else None},
        "alarm_push_lag_s": {"n": len(rec.alarm_lag), "p50": pct(rec.alarm_lag, 50), "p95": pct(rec.alarm_lag, 95)},
        "cpu_percent": cpu,
        "rss_mb": rss,
        "metrics": metrics,
    }
    out["met"] = (
        out["errors"] == 0
        and all(k["p95_s"] is not None and k["p95_s"] <= 1.0 for k in kinds.values())
        and rec.data_age != []
        and pct(rec.data_age, 95) <= 5.0
    )
    return out


def _rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


async def _metrics(session: aiohttp.ClientSession, base: str) -> dict:
    """What the service says about itself (prometheus-client's text format, read with its parser)."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        async with session.get(base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as r:
            if r.status != 200:  # a server out of database connections says so (503) here too
                return {"unavailable": r.status}
            text = await r.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return {"unavailable": str(exc)[:100]}
    out: dict[str, object] = {}
    for fam in text_string_to_metric_families(text):
        if fam.name in (
            "geoservice_streams_open",
            "geoservice_live_feed_subscribers",
            "geoservice_alarms_open",
            "geoservice_fixes_stored_per_second",
            "geoservice_ingest_lag_seconds",
        ):
            out[fam.name] = {",".join(f"{k}={v}" for k, v in s.labels.items()) or "-": s.value for s in fam.samples}
        elif fam.name == "geoservice_tile_cache":
            out["tile_cache_hits"] = sum(s.value for s in fam.samples)
        elif fam.name in ("geoservice_tile_cache_hits", "geoservice_tile_cache_misses"):
            out[fam.name] = sum(s.value for s in fam.samples)
        elif fam.name == "geoservice_alarm_latency_seconds":
            buckets = [(float(s.labels["le"]), s.value) for s in fam.samples if s.name.endswith("_bucket")]
            total = max((v for _, v in buckets), default=0)
            if total:
                p95 = next(le for le, v in sorted(buckets) if v >= 0.95 * total)
                out["alarm_latency_p95_bucket_s"] = p95
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", default="100,300,1000", help="user counts, each measured on the same set-up")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--ramp", type=float, default=60.0, help="seconds over which the users arrive")
    ap.add_argument("--think", type=float, default=10.0, help="mean seconds between a user's actions")
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument(
        "--report-workers",
        type=int,
        default=1,
        help="uvicorn workers of a web process of its own for the report API (docs/scaling.md); 0: the "
        "simulator reports to the users' web process",
    )
    args = ap.parse_args()
    counts = [int(c) for c in args.users.split(",")]

    broker, _, _ = start_broker()
    db = BenchDatabase("users")
    procs: dict[str, subprocess.Popen] = {}
    try:
        db.load_demo()
        who = accounts(max(counts))
        from django.db import connections

        connections.close_all()
        env = os.environ | {"GEO_LOG_LEVEL": "WARNING", "GEO_METRICS_TOKEN": METRICS_TOKEN}
        logs = Path(tempfile.mkdtemp(prefix="bench-users-"))
        port = free_port()
        base = f"http://127.0.0.1:{port}"

        def start(name: str, *cmd: str) -> None:
            procs[name] = subprocess.Popen(
                [sys.executable, *cmd],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(logs / f"{name}.log").open("wb"),
            )

        start(
            "web",
            "-m",
            "uvicorn",
            "geo_core.asgi:application",
            "--port",
            str(port),
            "--workers",
            str(args.web_workers),
            "--no-access-log",
            "--no-proxy-headers",
        )
        start("ingest", "manage.py", "ingest")
        start("alarms", "manage.py", "alarms")

        wait_until_up(base, 60)
        report = base
        if args.report_workers:
            report = f"http://127.0.0.1:{(report_port := free_port())}"
            start(
                "report",
                "-m",
                "uvicorn",
                "geo_core.asgi:application",
                "--port",
                str(report_port),
                "--workers",
                str(args.report_workers),
                "--no-access-log",
                "--no-proxy-headers",
            )
            wait_until_up(report, 60)
        start("simulate", "manage.py", "simulate", "--url", report)
        log(
            event="set-up",
            logs=str(logs),
            users=max(counts),
            web_workers=args.web_workers,
            report_workers=args.report_workers,
        )
        time.sleep(30)  # the simulator's first rounds: every subject moving
        pids = {
            "web": lambda: [procs["web"].pid, *children(procs["web"].pid)],
            "ingest": lambda: [procs["ingest"].pid],
            "report": lambda: [procs["report"].pid, *children(procs["report"].pid)] if "report" in procs else [],
            "alarms": lambda: [procs["alarms"].pid],
            "simulate": lambda: [procs["simulate"].pid],
            "postgres": postgres_pids,
        }
        results = []
        for n in counts:
            r = asyncio.run(measure(base, who[:n], args, pids))
            log(event="users", **r)
            results.append(r)
            time.sleep(5)
        held = [r["users"] for r in results if r["met"]]
        log(
            event="users, summary",
            largest_n_met=max(held) if held else 0,
            worst_p95_by_n={r["users"]: r["worst_p95"] for r in results},
            errors_by_n={r["users"]: r["errors"] for r in results},
        )
    finally:
        stop([*procs.values(), broker])
        db.drop()


if __name__ == "__main__":
    main()
