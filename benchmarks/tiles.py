"""Tiles, tracks and the live stream (issue 6), against tipg serving the same tables in the same run.

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/tiles.py [--per-zoom 12] [--repeat 2]

Everything is its own: a `<db>_tilebench_<pid>` database with the demo scene, one uvicorn worker of ours and one of
tipg 1.6.1 (its own venv, `.var/bench-tipg`, made from benchmarks/requirements-tipg.txt when missing), both on that
database. Parts:
1. Tiles: a fixed list (zooms 8-18, --per-zoom tiles per zoom around the park, Web Mercator) for sites, zones and
   current positions of people. tipg serves the tables (geo_core_site, geo_core_zone, geo_core_subjectstate); we serve
   our layers (joins with more attributes). One client, sequential; p50/p99 per request and tiles/s. Cold: first
   pass after start (our cache empty); warm: second pass (ours from the cache, tipg's from PostgreSQL's buffers).
2. Track: 8 hours of one person at one fix per 2 s (14,400 fixes), GET /api/tracks/{id} x 30: p50/p99.
3. Live: 20,000 welders all moving, a view over Shanghai; bytes per 5 s delta and the server's CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import BenchDatabase, cpu_seconds, free_port, log, stop  # noqa: E402

TIPG = ROOT / ".var" / "bench-tipg"
PARK = (121.37, 30.72, 121.52, 30.84)


def pct(v: list[float], q: float) -> float:
    return float(np.percentile(v, q)) if v else float("nan")


def wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def fetch(url: str, headers: dict) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
        n = len(r.read())
    return time.perf_counter() - t0, n


def tile_list(per_zoom: int) -> list[tuple[int, int, int]]:
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    out = []
    for z in range(8, 19):
        tiles = list(tms.tiles(*PARK, zooms=[z]))
        step = max(1, len(tiles) // per_zoom)
        out += [(t.z, t.x, t.y) for t in tiles[::step][:per_zoom]]
    return out


def run_tiles(urls: dict[str, str], tiles, headers) -> dict:
    out = {}
    for name, template in urls.items():
        for phase in ("cold", "warm"):
            times, size = [], 0
            t0 = time.perf_counter()
            for z, x, y in tiles:
                dt, n = fetch(template.format(z=z, x=x, y=y), headers)
                times.append(dt)
                size += n
            total = time.perf_counter() - t0
            out[f"{name}_{phase}"] = {
                "p50_ms": round(1000 * pct(times, 50), 2),
                "p99_ms": round(1000 * pct(times, 99), 2),
                "tiles_per_s": round(len(tiles) / total, 1),
                "bytes": size,
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-zoom", type=int, default=12)
    ap.add_argument("--track-repeat", type=int, default=30)
    ap.add_argument("--live-seconds", type=float, default=30.0)
    args = ap.parse_args()

    import psycopg

    db = BenchDatabase("tilebench")
    dsn = db.dsn
    from geo_core.access import create_user
    from geo_core.ingest.writer import FixBatch, write_fixes
    from geo_core.models import ApiToken, Subject
    from geo_core.partitions import ensure_partitions

    procs = []
    try:
        now = db.load_demo()
        token = ApiToken.issue(create_user("bench", "bench-password-1", "supervisor"))[1]
        headers = {"Authorization": f"Bearer {token}"}
        if not (TIPG / "bin" / "uvicorn").exists():
            log(event="making the tipg venv", path=str(TIPG))
            subprocess.run([sys.executable, "-m", "venv", str(TIPG)], check=True)
            subprocess.run(
                [str(TIPG / "bin" / "pip"), "install", "-q", "-r", str(ROOT / "benchmarks" / "requirements-tipg.txt")],
                check=True,
            )
        ours_port, tipg_port = free_port(), free_port()
        env = os.environ | {"GEO_LOG_LEVEL": "WARNING"}
        ours = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "geo_core.asgi:application", "--port", str(ours_port), "--no-access-log"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        tenv = {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": dsn,
            "TIPG_DB_SCHEMAS": '["public"]',
            "TIPG_DB_TABLES": '["public.geo_core_site", "public.geo_core_zone", "public.geo_core_subjectstate"]',
            "TIPG_MAX_FEATURES_PER_TILE": "20000",
        }
        tipg = subprocess.Popen(
            [str(TIPG / "bin" / "uvicorn"), "tipg.main:app", "--port", str(tipg_port), "--no-access-log"],
            env=tenv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs += [ours, tipg]
        wait(f"http://127.0.0.1:{ours_port}/healthz")
        wait(f"http://127.0.0.1:{tipg_port}/healthz")
        tiles = tile_list(args.per_zoom)
        o, t = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{tipg_port}"
        results: dict = {"tiles": len(tiles), "zooms": "8-18"}
        pairs = {
            "sites": "public.geo_core_site",
            "zones": "public.geo_core_zone",
            "people": "public.geo_core_subjectstate",
        }
        for layer, table in pairs.items():
            r = run_tiles(
                {
                    "tipg": f"{t}/collections/{table}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}",
                    "ours": f"{o}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf",
                },
                tiles,
                headers,
            )
            r["cold_ratio_p50"] = round(r["ours_cold"]["p50_ms"] / r["tipg_cold"]["p50_ms"], 3)
            r["warm_ratio_p50"] = round(r["ours_warm"]["p50_ms"] / r["tipg_warm"]["p50_ms"], 3)
            results[layer] = r
            log(event="tiles", layer=layer, **r)

        # Track: 8 hours at one fix per 2 s for one person.
        person = Subject.objects.filter(kind="person").order_by("id").first()
        start = (now - timedelta(hours=9)).replace(microsecond=0)
        ensure_partitions(start.date(), now.date())
        n = 8 * 3600 // 2
        rng = np.random.default_rng(1)
        lon = 121.45 + np.cumsum(rng.normal(0, 1e-5, n))
        lat = 30.78 + np.cumsum(rng.normal(0, 1e-5, n))
        times = [start + timedelta(seconds=2 * k) for k in range(n)]
        write_fixes(
            FixBatch(
                subject_id=np.full(n, person.id),
                time=times,
                lon=lon,
                lat=lat,
                source="simulator",
                raw_x=lon,
                raw_y=lat,
                raw_crs=["cgcs2000"] * n,
            ),
            notify=False,
        )
        q = f"from={start.isoformat()}&to={(start + timedelta(hours=8)).isoformat()}".replace("+", "%2B")
        durations = [fetch(f"{o}/api/tracks/{person.external_id}?{q}", headers)[0] for _ in range(args.track_repeat)]
        results["track_8h"] = {
            "fixes": n,
            "p50_ms": round(1000 * pct(durations, 50), 1),
            "p99_ms": round(1000 * pct(durations, 99), 1),
            "target_p99_ms": 100,
        }
        log(event="track", **results["track_8h"])

        # Live: every welder moves every second; one client watches all of Shanghai.
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", ours_port, timeout=60)
        conn.request("GET", "/api/live/stream?layers=welders&bbox=120.8,30.6,122.2,31.9", headers=headers)
        resp = conn.getresponse()
        sizes: list[tuple[str, int]] = []
        cpu0 = cpu_seconds([ours.pid])
        t_end = time.monotonic() + args.live_seconds

        import threading

        def reader():
            buf = b""
            while time.monotonic() < t_end + 5:
                line = resp.readline()
                if not line:
                    return
                buf += line
                if line == b"\n":
                    kind = next((x[7:].strip().decode() for x in buf.split(b"\n") if x.startswith(b"event: ")), "")
                    if kind:
                        sizes.append((kind, len(buf)))
                    buf = b""

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        with psycopg.connect(dsn, autocommit=True) as pg:
            while time.monotonic() < t_end:
                pg.execute("""UPDATE geo_core_subjectstate st SET geom = ST_SetSRID(ST_MakePoint(ST_X(geom) + 1e-5,
                              ST_Y(geom), 0), 4490), time = now(), updated_at = now() FROM geo_core_subject s
                              WHERE s.id = st.subject_id AND s.kind = 'welder'""")
                time.sleep(1.0)
        th.join(timeout=10)
        cpu = cpu_seconds([ours.pid]) - cpu0
        deltas = [n for k, n in sizes if k == "delta"]
        results["live"] = {
            "points": 20000,
            "snapshot_bytes": next((n for k, n in sizes if k == "snapshot"), None),
            "deltas": len(deltas),
            "median_delta_bytes": int(statistics.median(deltas)) if deltas else None,
            "bytes_per_5s": int(statistics.median(deltas) * 5 / 2) if deltas else None,
            "server_cpu_percent": round(100 * cpu / args.live_seconds, 1),
        }
        log(event="live", **results["live"])
        log(event="tiles benchmark", **{k: v for k, v in results.items() if k in ("tiles", "zooms")})
    finally:
        stop(procs)
        db.drop()


if __name__ == "__main__":
    main()
