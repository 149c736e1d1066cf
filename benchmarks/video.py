"""Video in the pages (issue 26), on a database of its own with a small scene, the demo's media platform
(demo/media_source.py, FFmpeg) on a port and folder of its own, Debian's Chromium on SwiftShader.

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/video.py [--runs 5] [--seconds 20]

1. Click on an alarm to the first frame of its camera's live picture (the click's pointerdown to the <video>'s
   `playing`, both in the page's clock), on the 2D map: `warm` with the platform already pulling the camera (the
   demo's recording encoders), `cold` with the encoder started by the request (the media source restarted before
   each run). Median and max of --runs. Target <= 2 s.
2. CPU of the media source per encoding channel (FFmpeg, 640x360 at 10 fps, H.264 ultrafast), and of the source's
   HTTP server while 16 players pull from it: percent of one core over --seconds.
3. The 3D wall with 16 tiles playing: frames per second of the scene (its own render loop) and the median time of a
   frame, beside the same page with the video panel closed, in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import BenchDatabase, cpu_seconds, free_port, log, stop  # noqa: E402
from benchmarks.web_map import ARGS, CHROMIUM, sign_in, start_web, until  # noqa: E402

PASSWORD = "Bench-video-2026"
LON, LAT = 121.44, 30.785
SOURCES = ["31011600001320000901", "31011600001320000902", "31011600001320000903", "31011600001320000904"]
CAMERA = SOURCES[0]
WALL_CHANNELS = SOURCES + [f"3101160000138000{k:04d}" for k in range(1, 13)]  # 16: the body cameras play sources
PLAYING = (
    """(code) => (window.__test?.videos?.()?.tiles ?? []).find((x) => x.channel === code && x.state === 'playing')"""
)
CLICK_CLOCK = """() => { window.__benchClick = null; document.addEventListener('pointerdown',
  () => { window.__benchClick = performance.now(); }, { capture: true, once: true }); }"""


def scene() -> int:
    """An enterprise with a site and a fixed camera aimed at a spot, an alarm there; returns the alarm's id."""
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from alarms.models import Alarm
    from geo_core.access import create_user
    from geo_core.models import Enterprise, Park, Site
    from geo_core.validation import uscc_check_char
    from video.models import VideoChannel

    park = Park.objects.create(code="BENCH-VIDEO", name="视频基准园区")
    first17 = "91310116MA1BW0001"
    ent = Enterprise.objects.create(
        credit_code=first17 + uscc_check_char(first17), name="视频基准化工", company_code="BV01", park=park
    )
    d = 0.003
    Site.objects.create(
        enterprise=ent,
        name="主厂区",
        footprint=MultiPolygon(Polygon.from_bbox((LON - d, LAT - d, LON + d, LAT + d)), srid=4490),
    )
    for k, code in enumerate(SOURCES):
        VideoChannel.objects.create(
            code=code,
            name=f"基准摄像机{k + 1}",
            kind="fixed",
            enterprise=ent,
            location=Point(LON - 0.002, LAT + 0.0005 * k, srid=4490),
            heading=90,
            angle=60,
            range_m=300,
        )
    for k, code in enumerate(WALL_CHANNELS[len(SOURCES) :], 1):  # they play the sources (demo/media_source.py)
        VideoChannel.objects.create(code=code, name=f"执法记录仪{k:02d}", kind="body_camera", enterprise=ent)
    create_user("bench-video", PASSWORD, "supervisor")
    a = Alarm.objects.create(
        key="bench-video:1",
        type="sos",
        category="person",
        code="0",
        severity="critical",
        enterprise=ent,
        company_code="BV01",
        location=Point(LON - 0.0005, LAT, srid=4490),
        raised_at=datetime.now(UTC),
        evidence={},
    )
    return a.id


def start_media(port: int, folder: Path, verify: str, record: bool) -> subprocess.Popen:
    args = ["--port", str(port), "--dir", str(folder), "--verify", verify, "--channels", ",".join(SOURCES)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo.media_source", *args, *(["--record"] if record else [])],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("media source did not start")


def status(port: int) -> list[dict]:
    return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5).read())["channels"]


def poll(page, expression: str, arg=None, timeout: float = 60.0):
    """What the expression returns once it is truthy."""
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(expression, arg)):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        page.wait_for_timeout(20)
    return value


def first_frame(browser, base: str, state: dict, alarm_id: int) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, storage_state=state, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/map/")
    until(page, "() => window.__test?.loaded?.()", 60)
    row = f"[data-alarm='{alarm_id}']"
    page.wait_for_selector(row, timeout=30_000)
    page.wait_for_timeout(3000)  # the page idle: its player's code loaded, as after any first minute of use
    page.evaluate(CLICK_CLOCK)
    page.click(row)
    tile = poll(page, PLAYING, CAMERA, 30)
    ms = tile["playingAt"] - page.evaluate("() => window.__benchClick")
    context.close()
    return round(ms, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=20.0)
    o = ap.parse_args()
    from playwright.sync_api import sync_playwright

    db = BenchDatabase("videobench")
    procs: list[subprocess.Popen] = []
    folder = Path(tempfile.mkdtemp(prefix="videobench-"))
    media_port = free_port()
    os.environ["GEO_VIDEO_LIVE_URL"] = f"http://127.0.0.1:{media_port}/live/{{channel}}.m3u8?token={{token}}"
    os.environ["GEO_VIDEO_RECORD_URL"] = f"http://127.0.0.1:{media_port}/record/{{channel}}/{{start}}-{{end}}.m3u8"
    try:
        from django.core.management import call_command

        from geo_core.management.commands.load_regions import load_regions

        call_command("migrate", verbosity=0)
        load_regions(prefixes=("31",), progress=False)
        alarm_id = scene()
        base = start_web(procs)  # with the video settings above in its environment
        verify = f"{base}/api/video/verify"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            state = sign_in(browser, base, "bench-video", PASSWORD, "/map/")
            # 1. click to first frame, cold (encoder started by the request) and warm (already pulling).
            for mode in ("cold", "warm"):
                media = start_media(media_port, folder / mode, verify, record=mode == "warm")
                if mode == "warm":
                    time.sleep(3)
                times = []
                for _ in range(o.runs):
                    if mode == "cold":
                        stop([media])
                        media = start_media(media_port, folder / mode, verify, record=False)
                    times.append(first_frame(browser, base, state, alarm_id))
                log(
                    part="click_to_first_frame",
                    encoder=mode,
                    runs_ms=times,
                    median_ms=statistics.median(times),
                    max_ms=max(times),
                    target_ms=2000,
                )
                if mode == "cold":
                    stop([media])
            procs.append(media)

            # 2 and 3. The wall with 16 tiles: the scene's frames beside the panel closed; the source's CPU.
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, storage_state=state)
            page = context.new_page()
            page.goto(base + "/command/")
            until(page, "() => document.body.dataset.ready === 'true'", 180)
            page.evaluate(f"() => window.__test.flyTo([{LON}, {LAT}], 600, 0)")
            page.wait_for_timeout(2000)
            ms = int(o.seconds * 1000)
            closed = page.evaluate("(ms) => window.__test.countFrames(ms)", ms)
            page.evaluate("() => window.__test.videoLayout('16')")
            for code in WALL_CHANNELS:
                page.evaluate("(c) => window.__test.openVideo(c)", code)
            try:
                until(page, "() => window.__test.videos().tiles.filter((x) => x.state === 'playing').length === 16", 60)
            except TimeoutError:
                log(
                    part="wall_16_tiles",
                    error="not all 16 playing",
                    tiles=page.evaluate("() => window.__test.videos()"),
                )
                raise
            before = {c["code"]: c["cpu_s"] for c in status(media_port)}
            server_before, t0 = cpu_seconds([media.pid]), time.monotonic()
            playing = page.evaluate("(ms) => window.__test.countFrames(ms)", ms)
            elapsed = time.monotonic() - t0
            server_pct = 100 * (cpu_seconds([media.pid]) - server_before) / elapsed
            per_channel = [100 * (c["cpu_s"] - before[c["code"]]) / elapsed for c in status(media_port)]
            tiles = page.evaluate("() => window.__test.videos().tiles")
            log(
                part="wall_16_tiles",
                seconds=o.seconds,
                tiles_playing=sum(t["state"] == "playing" for t in tiles),
                fps_closed=round(closed["frames"] / o.seconds, 2),
                fps_16=round(playing["frames"] / o.seconds, 2),
                ratio=round(playing["frames"] / max(closed["frames"], 1), 2),
                frame_ms_closed=round(closed["render_ms_median"] or 0, 1),
                frame_ms_16=round(playing["render_ms_median"] or 0, 1),
            )
            log(
                part="media_source_cpu",
                encoders=len(per_channel),
                per_encoder_pct_of_core=[round(x, 1) for x in per_channel],
                median_per_encoder_pct=round(statistics.median(per_channel), 1),
                http_server_pct_with_16_players=round(server_pct, 1),
            )
            context.close()
            browser.close()
    finally:
        stop(procs)
        db.drop()


if __name__ == "__main__":
    main()
