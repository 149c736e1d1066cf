"""The 2D map page (issue 13) in Debian's Chromium, on a database of its own with the demo scene.

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/web_map.py [--runs 3] [--minutes 10]

1. Navigation to map idle (style, tiles and the live snapshot drawn), with an empty browser cache: locally, and with
   the network throttled to 1.6 Mbit/s and 300 ms round trips (Chromium's network emulation). Median of --runs.
2. Bytes transferred by that first load (as sent, compressed), by kind: the app's own code and the map library
   (one bundle), MapLibre's worker, style/sprite/glyphs, tiles, APIs. Against the budget BUDGET_KB.
3. Main-thread time to apply one live delta that moves all 20,000 welding machines (JSON text as the stream sends
   it, through the shared stream client's `receive`: parse, decode, `LiveFeed.delta`), with the whole city in view:
   median and max of 20, and how long MapLibre's worker
   takes until the source is drawn again.
4. Memory: the page's JS heap (after a forced GC) after one minute and after --minutes of such deltas every 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import BenchDatabase, free_port, log, stop  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage"]
PASSWORD = "Bench-web-2026"
BUDGET_KB = 1200  # first load, as transferred: code, library, worker, style, glyphs, tiles, APIs
SHANGHAI_VIEW = [[120.85, 30.68], [122.0, 31.88]]


def kind_of(url: str) -> str:
    if "/static/web/maplibre-worker" in url:
        return "maplibre_worker"
    if "/static/web/" in url:
        return "app_and_library"
    if "/maps/" in url:
        return "style_sprite_glyphs"
    if "/tiles/" in url:
        return "tiles"
    if "/api/" in url or "/ogc/" in url:
        return "api"
    return "page"


def until(page, expression: str, timeout: float = 120.0, arg=None) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        page.wait_for_timeout(50)


def start_web(procs: list) -> str:
    """One uvicorn on the benchmark's database (from the environment BenchDatabase set); its base URL."""
    port = free_port()
    procs.append(
        subprocess.Popen(
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
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    return f"http://127.0.0.1:{port}"


def sign_in(browser, base: str, username: str, password: str, page_path: str) -> dict:
    """Sign in once the server answers (within a minute); the session's storage state for fresh contexts."""
    deadline = time.monotonic() + 60
    while True:
        signin = browser.new_context()
        try:
            page = signin.new_page()
            page.goto(f"{base}/signin/?next={page_path}")
            break
        except Exception:
            signin.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{page_path}**")
    state = signin.storage_state()
    signin.close()
    return state


# Until the page's map exists, window.map is the element of that id.
IDLE = (
    "() => typeof window.map?.loaded === 'function' && window.map.isStyleLoaded() && window.map.loaded() && "
    "window.live && window.live.props.size > 0"
)


def first_load(browser, base: str, state: dict, throttled: bool) -> dict:
    """A fresh context (empty cache, signed in by its cookies): seconds to idle and bytes by kind."""
    # Service workers blocked: what the page's own session sees is then everything that crossed the network.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, storage_state=state, service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttled:
        rate = 1.6e6 / 8
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 300, "downloadThroughput": rate, "uploadThroughput": rate},
        )
    urls: dict[str, str] = {}
    sizes: dict[str, float] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on(
        "Network.dataReceived",
        lambda e: sizes.__setitem__(e["requestId"], sizes.get(e["requestId"], 0) + e["encodedDataLength"]),
    )
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    t0 = time.monotonic()
    page.goto(base + "/map/")
    until(page, IDLE)
    seconds = time.monotonic() - t0
    page.wait_for_timeout(500)
    by_kind: dict[str, float] = {}
    for rid, n in sizes.items():
        if "/stream" in urls.get(rid, ""):
            continue  # the live and alarm streams stay open: not part of the load
        k = kind_of(urls.get(rid, ""))
        by_kind[k] = by_kind.get(k, 0) + n
    context.close()
    return {
        "seconds": round(seconds, 2),
        "kb": {k: round(v / 1024, 1) for k, v in sorted(by_kind.items())},
        "total_kb": round(sum(by_kind.values()) / 1024, 1),
    }


MOVE_ALL = """(wait) => {
  const live = window.live;
  const moved = [];
  for (const [id, p] of live.props) {
    if (p.kind !== 'welder') continue;
    moved.push([id, p.lon + (Math.random() - 0.5) * 1e-4, p.lat + (Math.random() - 0.5) * 1e-4, p.time + 5]);
  }
  // As the stream sends it: JSON text, decoded by the shared stream client, then applied to the map's sources.
  const text = JSON.stringify({fields: [], upsert: [], moved_fields: ['id', 'lon', 'lat', 'time'], moved, gone: []});
  const t0 = performance.now();
  live.stream.receive('delta', text);
  const main = performance.now() - t0;
  if (!wait) return {moved: moved.length, main_ms: main};
  return new Promise((resolve) => {
    const done = () => resolve({moved: moved.length, main_ms: main, drawn_ms: performance.now() - t0});
    window.map.once('idle', done);
    setTimeout(() => resolve({moved: moved.length, main_ms: main, drawn_ms: null}), 15000);  // never drawn: say so
  });
}"""


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--minutes", type=float, default=10.0)
    o = ap.parse_args()
    from playwright.sync_api import sync_playwright

    db = BenchDatabase("webbench")
    procs: list[subprocess.Popen] = []
    try:
        db.load_demo()
        from geo_core.access import create_user

        create_user("bench-web", PASSWORD, "supervisor")
        base = start_web(procs)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            state = sign_in(browser, base, "bench-web", PASSWORD, "/map/")
            first_load(browser, base, state, False)  # the server's caches warm (tiles, glyphs)
            for throttled in (False, True):
                runs = [first_load(browser, base, state, throttled) for _ in range(o.runs)]
                log(
                    part="first_load",
                    throttled=throttled,
                    runs=runs,
                    median_s=statistics.median(r["seconds"] for r in runs),
                    median_total_kb=statistics.median(r["total_kb"] for r in runs),
                    budget_kb=BUDGET_KB,
                )

            context = browser.new_context(viewport={"width": 1920, "height": 1080}, storage_state=state)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            page.goto(base + "/map/")
            until(page, IDLE)
            page.evaluate("(b) => window.map.fitBounds(b, {animate: false})", SHANGHAI_VIEW)
            until(page, "() => [...window.live.props.values()].filter(p => p.kind === 'welder').length >= 19000")
            page.evaluate("() => window.live.stop()")  # only the deltas made here from now on
            samples = [page.evaluate(MOVE_ALL, True) for _ in range(20)]
            main_ms = [s["main_ms"] for s in samples]
            log(
                part="delta_20000",
                moved=samples[0]["moved"],
                main_ms_median=round(statistics.median(main_ms), 1),
                main_ms_max=round(max(main_ms), 1),
                drawn_ms_median=statistics.median(s["drawn_ms"] or 15000 for s in samples),
                not_drawn_within_15s=sum(s["drawn_ms"] is None for s in samples),
            )

            start = time.monotonic()
            marks = {}
            while time.monotonic() - start < o.minutes * 60:
                page.evaluate(MOVE_ALL, False)  # as the stream does: every 2 s, drawn or not
                elapsed = time.monotonic() - start
                if "1min" not in marks and elapsed >= 60:
                    marks["1min"] = round(heap_mb(cdp), 1)
                page.wait_for_timeout(max(0, 2000 - int((time.monotonic() - start - elapsed) * 1000)))
            marks[f"{o.minutes:g}min"] = round(heap_mb(cdp), 1)
            log(part="memory", heap_mb=marks, growth_ratio=round(marks[f"{o.minutes:g}min"] / marks.get("1min", 1), 3))
            context.close()
            browser.close()
    finally:
        stop(procs)
        db.drop()


if __name__ == "__main__":
    main()
