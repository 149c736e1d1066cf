"""Coordinate conversion speed: the library and the HTTP API against a plain pyproj Transformer (issue 3).

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/transform.py [--points 1000000] [--repeat 5]

1,000,000 seeded points over Shanghai. Each figure is the median of --repeat runs, in points per second; the
baseline (pyproj Transformer.transform on the same arrays, same Shanghai 2000 PROJ string) runs in the same process
just before, and the ratio is taken against it. The HTTP figures are end to end from a client in this process to a
uvicorn worker started here (one worker, the service's database): encode, send, convert, stream back, decode.
Peak memory: this process's max RSS, and the server's VmHWM.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import log, start_server  # noqa: E402
from coord_transform import gcj02, resolve, transform  # noqa: E402


def rate(fn, n: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times)


def post(url: str, body: bytes, content_type: str) -> bytes:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=300) as resp:
        return resp.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()
    n, rep = args.points, args.repeat
    rng = np.random.default_rng(20261121)
    lon = rng.uniform(120.86, 122.0, n)
    lat = rng.uniform(30.68, 31.88, n)
    log(event="start", points=n, repeat=rep, cores=os.cpu_count())

    from pyproj import Transformer

    sh = resolve("sh2000")
    fwd = Transformer.from_crs("EPSG:4490", sh.proj, always_xy=True)
    inv = Transformer.from_crs(sh.proj, "EPSG:4490", always_xy=True)
    plane = transform(lon, lat, "cgcs2000", "sh2000")
    results = {}
    base_fwd = rate(lambda: fwd.transform(lon, lat), n, rep)
    lib_fwd = rate(lambda: transform(lon, lat, "cgcs2000", "sh2000"), n, rep)
    results["cgcs2000->sh2000"] = {"baseline_pyproj": base_fwd, "library": lib_fwd, "ratio": lib_fwd / base_fwd}
    log(event="measured", case="cgcs2000->sh2000", **results["cgcs2000->sh2000"])
    base_inv = rate(lambda: inv.transform(plane.y, plane.x), n, rep)
    lib_inv = rate(lambda: transform(plane.x, plane.y, "sh2000", "cgcs2000"), n, rep)
    results["sh2000->cgcs2000"] = {"baseline_pyproj": base_inv, "library": lib_inv, "ratio": lib_inv / base_inv}
    log(event="measured", case="sh2000->cgcs2000", **results["sh2000->cgcs2000"])

    g_lon, g_lat = gcj02.wgs84_to_gcj02(lon, lat)
    results["gcj02 forward"] = {"library": rate(lambda: gcj02.wgs84_to_gcj02(lon, lat), n, rep)}
    results["gcj02 inverse"] = {"library": rate(lambda: gcj02.gcj02_to_wgs84(g_lon, g_lat), n, rep)}
    results["cgcs2000->gcj02 (transform)"] = {"library": rate(lambda: transform(lon, lat, "cgcs2000", "gcj02"), n, rep)}
    results["gcj02->sh2000 (transform)"] = {"library": rate(lambda: transform(g_lon, g_lat, "gcj02", "sh2000"), n, rep)}
    for case in ("gcj02 forward", "gcj02 inverse", "cgcs2000->gcj02 (transform)", "gcj02->sh2000 (transform)"):
        log(event="measured", case=case, **results[case])
    back = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    err_m = float(np.hypot((back[0] - lon) * 95_000, (back[1] - lat) * 111_000).max())
    log(event="accuracy", case="gcj02 round trip", max_error_m=err_m)

    if not args.no_http:
        proc, base = start_server()
        try:
            url = base + "/api/transform"

            def http_json():
                body = orjson.dumps(
                    {"src": "cgcs2000", "dst": "sh2000", "x": lon, "y": lat}, option=orjson.OPT_SERIALIZE_NUMPY
                )
                out = orjson.loads(post(url, body, "application/json"))
                assert len(out["x"]) == n

            def http_binary():
                body = np.column_stack([lon, lat]).astype("<f8").tobytes()
                out = np.frombuffer(post(url + "?src=cgcs2000&dst=sh2000", body, "application/octet-stream"), "<f8")
                assert out.size == 2 * n

            def http_gcj_binary():
                body = np.column_stack([g_lon, g_lat]).astype("<f8").tobytes()
                out = np.frombuffer(post(url + "?src=gcj02&dst=cgcs2000", body, "application/octet-stream"), "<f8")
                assert out.size == 2 * n

            for case, fn in (
                ("http json cgcs2000->sh2000", http_json),
                ("http binary cgcs2000->sh2000", http_binary),
                ("http binary gcj02->cgcs2000", http_gcj_binary),
            ):
                results[case] = {"end_to_end": rate(fn, n, max(3, rep // 2))}
                log(event="measured", case=case, **results[case])
            server_peak = None
            with open(f"/proc/{proc.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM"):
                        server_peak = int(line.split()[1]) // 1024
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        results["server_peak_rss_mb"] = server_peak
    results["client_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    log(
        event="summary",
        points=n,
        **{
            k: (
                {kk: round(vv, 3) if isinstance(vv, float) else vv for kk, vv in v.items()}
                if isinstance(v, dict)
                else v
            )
            for k, v in results.items()
        },
    )


if __name__ == "__main__":
    main()
