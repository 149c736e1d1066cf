"""Tiles, tracks and the live stream (issue 6), against tipg serving the same tables in the same run.

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/tiles.py [--per-zoom 12] [--parts tiles,track,live]

Everything is its own: a `<db>_tilebench_<pid>` database with the demo scene, one uvicorn worker of ours and one of
tipg 1.6.1 (its own venv, `.var/bench-tipg`, made from benchmarks/requirements-tipg.txt when missing), both on that
database. Parts:
1. Tiles: a fixed list (zooms 8-18, --per-zoom tiles per zoom around the park, Web Mercator) for sites, zones and
   current positions of people. tipg serves the tables (geo_core_site, geo_core_zone, geo_core_subjectstate); we serve
   our layers (joins with more attributes). One client, sequential; p50/p99 per request and tiles/s. Cold: first
   pass after start (our cache empty); warm: second pass (ours from the cache, tipg's from PostgreSQL's buffers).
2. Track: 8 hours of one person at one fix per 2 s (14,400 fixes), vacuumed and analysed as hours of writing would
   leave them; GET /api/tracks/{id} once (reported as first_ms), then x 100: p50/p99.
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
from datetime import datetime, timedelta
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


def run_tiles(urls: dict[str, str], tiles, headers, from_zoom: int | None = None) -> dict:
    """p50/p99, tiles/s and bytes per server and phase; with `from_zoom`, also the p50 of the same requests at that
    zoom and above (where a clustered layer of ours serves points, as tipg does at every zoom)."""
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
            if from_zoom is not None:
                high = [dt for dt, (z, _, _) in zip(times, tiles, strict=True) if z >= from_zoom]
                out[f"{name}_{phase}"][f"p50_ms_z{from_zoom}+"] = round(1000 * pct(high, 50), 2)
    return out


def track_part(o: str, headers: dict, now: datetime, dsn: str, repeat: int) -> dict:
    """8 hours of one person's fixes, then its track asked for `repeat` times."""
    import psycopg

    from geo_core.ingest.writer import FixBatch, write_fixes
    from geo_core.models import Subject
    from geo_core.partitions import ensure_partitions

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
    with psycopg.connect(dsn, autocommit=True) as pg:  # as 8 hours of writing would leave it: vacuumed, analysed
        pg.execute("VACUUM (ANALYZE) geo_core_positionfix")
    q = f"from={start.isoformat()}&to={(start + timedelta(hours=8)).isoformat()}".replace("+", "%2B")
    url = f"{o}/api/tracks/{person.external_id}?{q}"
    first = fetch(url, headers)[0]  # the process's first track: loads the proj database, shapely, the plane
    durations = [fetch(url, headers)[0] for _ in range(repeat)]
    result = {
        "fixes": n,
        "first_ms": round(1000 * first, 1),
        "p50_ms": round(1000 * pct(durations, 50), 1),
        "p99_ms": round(1000 * pct(durations, 99), 1),
        "target_p99_ms": 100,
    }
    log(event="track", **result)
    return result


def live_part(port: int, pid: int, headers: dict, dsn: str, seconds: float) -> dict:
    """Every welder moves every second; one client watches all of Shanghai."""
    import http.client
    import threading

    import psycopg

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/api/live/stream?layers=welders&bbox=120.8,30.6,122.2,31.9", headers=headers)
    resp = conn.getresponse()
    sizes: list[tuple[str, int]] = []
    cpu0 = cpu_seconds([pid])
    t_end = time.monotonic() + seconds

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
    cpu = cpu_seconds([pid]) - cpu0
    deltas = [n for k, n in sizes if k == "delta"]
    result = {
        "points": 20000,
        "snapshot_bytes": next((n for k, n in sizes if k == "snapshot"), None),
        "deltas": len(deltas),
        "median_delta_bytes": int(statistics.median(deltas)) if deltas else None,
        "bytes_per_5s": int(statistics.median(deltas) * 5 / 2) if deltas else None,
        "server_cpu_percent": round(100 * cpu / seconds, 1),
    }
    log(event="live", **result)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-zoom", type=int, default=12)
    ap.add_argument("--track-repeat", type=int, default=100)
    ap.add_argument("--parts", default="tiles,track,live", help="which parts to run, comma-separated")
    ap.add_argument("--live-seconds", type=float, default=30.0)
    args = ap.parse_args()

    db = BenchDatabase("tilebench")
    dsn = db.dsn
    from geo_core.access import create_user
    from geo_core.models import ApiToken
    from layers import registry

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
            [
                sys.executable,
                "-m",
                "uvicorn",
                "geo_core.asgi:application",
                "--port",
                str(ours_port),
                "--no-access-log",
                "--no-proxy-headers",
            ],
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
        for layer, table in pairs.items() if "tiles" in args.parts else ():
            r = run_tiles(
                {
                    "tipg": f"{t}/collections/{table}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}",
                    "ours": f"{o}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf",
                },
                tiles,
                headers,
                from_zoom=registry.get(layer).cluster_maxzoom + 1 if registry.get(layer).cluster_maxzoom else None,
            )
            r["cold_ratio_p50"] = round(r["ours_cold"]["p50_ms"] / r["tipg_cold"]["p50_ms"], 3)
            r["warm_ratio_p50"] = round(r["ours_warm"]["p50_ms"] / r["tipg_warm"]["p50_ms"], 3)
            high = next((k for k in r["ours_cold"] if k.startswith("p50_ms_z")), None)
            if high:  # clustered below: the ratio where both serve the points themselves
                r[f"cold_ratio_{high}"] = round(r["ours_cold"][high] / r["tipg_cold"][high], 3)
                r[f"warm_ratio_{high}"] = round(r["ours_warm"][high] / r["tipg_warm"][high], 3)
            results[layer] = r
            log(event="tiles", layer=layer, **r)

        if "track" in args.parts:
            results["track_8h"] = track_part(o, headers, now, dsn, args.track_repeat)
        if "live" in args.parts:
            results["live"] = live_part(ours_port, ours.pid, headers, dsn, args.live_seconds)
        log(event="tiles benchmark", **{k: v for k, v in results.items() if k in ("tiles", "zooms")})
    finally:
        stop(procs)
        db.drop()


if __name__ == "__main__":
    main()
