"""The demo's and the tests' media platform: a local stand-in for the deployment's GB/T 28181 video platform (VID-1),
built on FFmpeg. The service never serves video (video/gateway.py); this program does what the platform would:

- a few **source channels**, each an FFmpeg test picture with its channel code and the time (Asia/Shanghai) burnt in,
  encoded to HLS (H.264, 0.5 s key frames, 1 s segments), **started when a viewer opens it and stopped when nobody
  has asked for 30 s** (`--idle`), or kept running and recording (`--record`);
- every other channel code **points at one of them** (a stable hash): the demo's 60 body cameras need no 60 encoders;
- a **retained recording window** (`--retain`, 10 min): the segments an encoder wrote stay on disk and a time range
  of them is served as a playlist (VOD when it is over, EVENT while it is still being recorded);
- the platform's **play check**: the first request of a token is shown to the service's hook (`--verify`, the
  service's `/api/video/verify`, as ZLMediaKit's on_play or SRS's on_play would), which accepts it for that channel
  only, for what it was issued (live or that range), until it expires. A session playing when its token expires goes
  on (platforms check at play start); a URL first opened after its expiry is refused.

    python -m demo.media_source --port 8090 --dir .var/media --verify http://127.0.0.1:8000/api/video/verify \
        --channels 31011600001320000001,31011600001320000002

URLs (the templates of GEO_VIDEO_LIVE_URL / GEO_VIDEO_RECORD_URL):
    /live/{channel}.m3u8?token=              live HLS
    /record/{channel}/{start}-{end}.m3u8?token=   a range, start/end as 20261207T083000 (Asia/Shanghai)
    /status                                  the encoders running, their CPU seconds, the segments retained (JSON)

Standard library only (no Django): it is another program, as the real platform is.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger("media_source")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE = re.compile(r"^\d{20}$")
SEGMENT = re.compile(r"^r\d+_\d{6}\.ts$")
STAMP = "%Y%m%dT%H%M%S"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FIRST_SEGMENT_S = 8.0  # how long a viewer's first request waits for a starting encoder
SESSION_S = 30.0  # a token in use within this long still plays after its expiry (a session, not a new play)


@dataclass
class Segment:
    name: str
    start: float  # epoch seconds
    duration: float


@dataclass
class Encoder:
    """One source channel: an FFmpeg process writing HLS into its folder, and the segments it wrote."""

    code: str
    folder: Path
    record: bool = False
    proc: subprocess.Popen | None = None
    run: int = 0
    segments: list[Segment] = field(default_factory=list)
    last_used: float = 0.0
    cpu_s: float = 0.0  # CPU seconds of the encoders that have ended
    started_at: float = 0.0

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if self.running():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.run = int(time.time() * 1000) % 10**9
        text = f"{self.code}  %{{localtime\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}}"
        draw = (
            f"drawtext=fontfile={FONT}:text='{text}':x=12:y=12:fontsize=22:fontcolor=white:"
            "box=1:boxcolor=black@0.6:boxborderw=6"
        )
        args = [
            *("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re"),
            *("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=10", "-vf", draw),
            *("-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline"),
            *("-pix_fmt", "yuv420p", "-g", "5", "-keyint_min", "5", "-sc_threshold", "0", "-b:v", "300k"),
            *("-f", "hls", "-hls_time", "1", "-hls_list_size", "12"),
            *("-hls_flags", "program_date_time+independent_segments"),
            *("-hls_segment_filename", str(self.folder / f"r{self.run}_%06d.ts"), str(self.folder / "live.m3u8")),
        ]
        (self.folder / "live.m3u8").unlink(missing_ok=True)
        self.proc = subprocess.Popen(args, env={**os.environ, "TZ": "Asia/Shanghai"}, stdin=subprocess.DEVNULL)
        self.started_at = time.time()
        log.info(json.dumps({"event": "encoder started", "channel": self.code, "pid": self.proc.pid}))

    def stop(self) -> None:
        if self.proc is None:
            return
        self.cpu_s += self.cpu()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        log.info(json.dumps({"event": "encoder stopped", "channel": self.code}))
        self.proc = None

    def cpu(self) -> float:
        """CPU seconds of the running encoder (user + system, from /proc)."""
        if not self.running():
            return 0.0
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def poll(self) -> None:
        """Index the segments the encoder's live playlist names (its PROGRAM-DATE-TIME and EXTINF)."""
        try:
            lines = (self.folder / "live.m3u8").read_text().splitlines()
        except OSError:
            return
        known = {s.name for s in self.segments[-40:]}
        duration, start = 0.0, None
        for line in lines:
            if line.startswith("#EXTINF:"):
                duration = float(line[8:].split(",")[0])
            elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
                start = datetime.strptime(line[25:], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
            elif line and not line.startswith("#"):
                if start is not None and line not in known and SEGMENT.match(line):
                    self.segments.append(Segment(line, start, duration))
                start = None

    def prune(self, retain_s: float, now: float) -> None:
        keep = [s for s in self.segments if s.start + s.duration >= now - retain_s]
        for s in self.segments[: len(self.segments) - len(keep)]:
            (self.folder / s.name).unlink(missing_ok=True)
        self.segments = keep

    def live(self) -> list[Segment]:
        """The last few segments of the running encoder (not of an earlier run)."""
        return [s for s in self.segments[-6:] if s.name.startswith(f"r{self.run}_")]


class DeniedError(Exception):
    pass


class Source:
    def __init__(self, root: Path, verify: str, channels: list[str], record: bool, idle_s: float, retain_s: float):
        self.root, self.verify_url, self.idle_s, self.retain_s = root, verify, idle_s, retain_s
        self.encoders = [Encoder(c, root / c, record=record) for c in channels]
        self.lock = threading.Lock()
        self.tokens: dict[str, dict] = {}  # token -> the hook's claim, and when it was last used

    def encoder(self, channel: str) -> Encoder:
        """A source channel, or the one another channel points at (stable across restarts)."""
        for e in self.encoders:
            if e.code == channel:
                return e
        return self.encoders[zlib.crc32(channel.encode()) % len(self.encoders)]

    def authorise(self, channel: str, token: str, what: str | None) -> None:
        """`what`: "live", a range "start-end" (epoch seconds), or None (a segment: any claim for the channel)."""
        now = time.time()
        with self.lock:
            claim = self.tokens.get(token)
        if claim is None or claim["channel"] != channel:
            query = urllib.parse.urlencode({"channel": channel, "token": token})
            try:
                with urllib.request.urlopen(f"{self.verify_url}?{query}", timeout=5) as r:
                    claim = {**json.loads(r.read()), "channel": channel, "used": now}
            except urllib.error.HTTPError as exc:
                raise DeniedError(f"the service refused the token ({exc.code})") from None
            except (OSError, ValueError) as exc:
                raise DeniedError(f"the service's play check did not answer: {exc}") from None
        elif claim["expires"] < now and now - claim["used"] > SESSION_S:
            raise DeniedError("token: expired")
        if what is not None and claim.get("what") != what:
            raise DeniedError(f"token: issued for {claim.get('what')}, not {what}")
        claim["used"] = now
        with self.lock:
            self.tokens[token] = claim

    def _started(self, e: Encoder) -> None:
        with self.lock:
            e.last_used = time.time()
            if not e.running():
                e.start()
        deadline = time.monotonic() + FIRST_SEGMENT_S
        while not e.live() and time.monotonic() < deadline:
            e.poll()
            time.sleep(0.05)

    def live(self, channel: str, token: str) -> str:
        e = self.encoder(channel)
        self._started(e)
        e.poll()
        segs = e.live()
        if not segs:
            raise LookupError(f"channel {channel}: the source did not start")
        sequence = int(segs[0].name.split("_")[1][:-3])
        return playlist(channel, token, segs, sequence=sequence, ended=False, event=False)

    def record(self, channel: str, token: str, start: float, end: float) -> str:
        e = self.encoder(channel)
        now = time.time()
        if end > now and not e.running():
            self._started(e)  # a range still going on: its recording starts now
        e.poll()
        with self.lock:
            e.last_used = now
        segs = [s for s in e.segments if s.start + s.duration > start and s.start < end]
        if not segs:
            raise LookupError(f"channel {channel}: no recording between {stamp(start)} and {stamp(end)}")
        ended = end <= now or not e.running()
        return playlist(channel, token, segs, sequence=0, ended=ended, event=not ended)

    def segment(self, channel: str, name: str) -> Path:
        e = self.encoder(channel)
        with self.lock:
            e.last_used = time.time()
        path = e.folder / name
        if not SEGMENT.match(name) or not path.is_file():
            raise LookupError(f"no segment {name[:40]!r}")
        return path

    def supervise(self, stop: threading.Event) -> None:
        """Index new segments, stop idle encoders, drop what is older than the retained window."""
        while not stop.wait(0.5):
            now = time.time()
            with self.lock:
                for e in self.encoders:
                    if e.running():
                        e.poll()
                        if not e.record and now - e.last_used > self.idle_s:
                            e.stop()
                    elif e.proc is not None:  # ended by itself
                        e.stop()
                    e.prune(self.retain_s, now)
                self.tokens = {k: v for k, v in self.tokens.items() if now - v["used"] < max(SESSION_S, 600)}

    def status(self) -> dict:
        with self.lock:
            return {
                "channels": [
                    {
                        "code": e.code,
                        "running": e.running(),
                        "recording": e.record,
                        "cpu_s": round(e.cpu_s + e.cpu(), 3),
                        "running_s": round(time.time() - e.started_at, 1) if e.running() else 0,
                        "segments": len(e.segments),
                        "retained_from": e.segments[0].start if e.segments else None,
                    }
                    for e in self.encoders
                ]
            }

    def close(self) -> None:
        with self.lock:
            for e in self.encoders:
                e.stop()


def stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, SHANGHAI).strftime(STAMP)


def playlist(channel: str, token: str, segs: list[Segment], sequence: int, ended: bool, event: bool) -> str:
    q = urllib.parse.quote(token)
    out = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:1", f"#EXT-X-MEDIA-SEQUENCE:{sequence}"]
    if ended:
        out.append("#EXT-X-PLAYLIST-TYPE:VOD")
    elif event:
        out.append("#EXT-X-PLAYLIST-TYPE:EVENT")
    out.append("#EXT-X-INDEPENDENT-SEGMENTS")
    run = None
    for s in segs:
        this_run = s.name.split("_")[0]
        if run is not None and this_run != run:
            out.append("#EXT-X-DISCONTINUITY")
        run = this_run
        when = datetime.fromtimestamp(s.start, SHANGHAI).isoformat(timespec="milliseconds")
        out += [f"#EXTINF:{s.duration:.3f},", f"#EXT-X-PROGRAM-DATE-TIME:{when}", f"/seg/{channel}/{s.name}?token={q}"]
    if ended:
        out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"


def handler(source: Source) -> type[BaseHTTPRequestHandler]:
    live_path = re.compile(r"^/live/(\d{20})\.m3u8$")
    record_path = re.compile(r"^/record/(\d{20})/(\d{8}T\d{6})-(\d{8}T\d{6})\.m3u8$")
    segment_path = re.compile(r"^/seg/(\d{20})/([^/]{1,40})$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "geoservice-demo-media"

        def log_message(self, fmt: str, *args) -> None:  # access lines are noise; errors are logged below
            pass

        def do_OPTIONS(self) -> None:
            self._send(204, b"", "text/plain")

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            token = urllib.parse.parse_qs(url.query).get("token", [""])[0][:200]
            try:
                if url.path == "/status":
                    return self._send(200, json.dumps(source.status()).encode(), "application/json")
                if m := live_path.match(url.path):
                    source.authorise(m[1], token, "live")
                    return self._send(200, source.live(m[1], token).encode(), "application/vnd.apple.mpegurl")
                if m := record_path.match(url.path):
                    start, end = (
                        datetime.strptime(v, STAMP).replace(tzinfo=SHANGHAI).timestamp() for v in m.groups()[1:]
                    )
                    source.authorise(m[1], token, f"{int(start)}-{int(end)}")
                    body = source.record(m[1], token, start, end)
                    return self._send(200, body.encode(), "application/vnd.apple.mpegurl")
                if m := segment_path.match(url.path):
                    source.authorise(m[1], token, None)
                    return self._send(200, source.segment(m[1], m[2]).read_bytes(), "video/mp2t", cache=True)
                self._send(404, b'{"error":"not found"}', "application/json")
            except DeniedError as exc:
                self._send(403, json.dumps({"error": str(exc)}).encode(), "application/json")
            except LookupError as exc:
                self._send(404, json.dumps({"error": str(exc)}).encode(), "application/json")
            except ValueError as exc:
                self._send(400, json.dumps({"error": str(exc)}).encode(), "application/json")

        def _send(self, status: int, body: bytes, kind: str, cache: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=600" if cache else "no-cache")
            # The pages play from another origin than the service's: the token, not the origin, is the check.
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--dir", type=Path, required=True, help="segments are written here (emptied at start)")
    ap.add_argument("--verify", required=True, help="the service's play check, e.g. http://host/api/video/verify")
    ap.add_argument("--channels", required=True, help="comma-separated 20-digit codes of the source channels")
    ap.add_argument("--record", action="store_true", help="keep the encoders running and recording")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds without a viewer before an encoder stops")
    ap.add_argument("--retain", type=float, default=600.0, help="seconds of recording kept")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    codes = [c for c in args.channels.split(",") if c]
    if not codes or not all(CODE.match(c) for c in codes):
        ap.error("--channels: one or more 20-digit channel codes")
    if shutil.which("ffmpeg") is None:
        ap.error("ffmpeg is not installed (scripts/bootstrap.sh installs Debian's)")
    shutil.rmtree(args.dir, ignore_errors=True)
    source = Source(args.dir, args.verify, codes, args.record, args.idle, args.retain)
    if args.record:
        for e in source.encoders:
            e.start()
    stop = threading.Event()
    threading.Thread(target=source.supervise, args=(stop,), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(source))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info(json.dumps({"event": "media source up", "port": args.port, "channels": codes, "record": args.record}))
    try:
        server.serve_forever()
    finally:
        stop.set()
        source.close()


if __name__ == "__main__":
    main()
