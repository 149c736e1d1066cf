"""Session set-up: the test database gets the real administrative boundaries once; every test then runs in a
transaction that is rolled back."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hashers

# Test users' passwords are hashed cheaply (geo_core/settings.py): here, where settings are already loaded, and in
# every server the tests start (they inherit the environment).
os.environ["GEO_FAST_PASSWORD_HASHER"] = "1"
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
get_hashers.cache_clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from geo_core.management.commands.load_regions import load_regions
    from tiles.cache import CACHE

    with django_db_blocker.unblock():
        load_regions(progress=False)
    yield
    CACHE.stop()  # its change-feed connection would keep the test database from being dropped


@pytest.fixture(autouse=True)
def fresh_answers():
    """A test's scene is rolled back without a change notice: answers kept in memory for a while (counts, extents)
    start empty in every test."""
    from layers.features import forget_extents
    from layers.queries import COUNTS

    forget_extents()
    COUNTS.clear()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(condition, seconds: float = 15.0) -> bool:
    """Poll `condition` every 0.1 s until it holds (True) or `seconds` pass (False): what another process does."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def start_server(env_overrides: dict[str, str]):
    """Start the real ASGI server (uvicorn) in a subprocess; returns (process, base_url) once /healthz answers."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from pathlib import Path

    port = free_port()
    env = os.environ | env_overrides
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "geo_core.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-proxy-headers",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5)
            return proc, base
        except urllib.error.HTTPError:
            return proc, base  # it answered, with an error status: that is for the test to judge
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not answer within 30 s")


# The tests' media platform (demo/media_source.py, FFmpeg) and the one camera it encodes (the web scene's): its port
# is chosen before the service starts, whose gateway hands out its URLs.
MEDIA_PORT = free_port()
MEDIA_CHANNEL = "31011600001320009001"
CALL_PORT = free_port()
PLATFORM_URLS = {
    "GEO_VIDEO_LIVE_URL": f"http://127.0.0.1:{MEDIA_PORT}/live/{{channel}}.m3u8?token={{token}}",
    "GEO_VIDEO_RECORD_URL": f"http://127.0.0.1:{MEDIA_PORT}/record/{{channel}}/{{start}}-{{end}}.m3u8?token={{token}}",
    "GEO_CALL_URL": f"http://127.0.0.1:{CALL_PORT}/fusion",  # the call_receiver fixture, when a test starts it
}


class CallReceiver:
    """A fusion-communication platform's side (video/fusion.py's contract), for the tests: every request kept (method,
    path, JSON body, bearer); answers 200 and a call id to a new call, or `status` when told."""

    def __init__(self, port: int = 0):
        self.got: list[tuple[str, str, dict | None, str]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n)) if n else None
                receiver.got.append((self.command, self.path, body, self.headers.get("Authorization", "")))
                out = json.dumps({"id": "P-77"} if self.path == "/fusion/calls" else {}).encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_POST(self):
                self.answer()

            def do_DELETE(self):
                self.answer()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/fusion"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="session")
def call_receiver():
    """The fusion-communication platform the live service is configured with (GEO_CALL_URL)."""
    r = CallReceiver(CALL_PORT)
    yield r
    r.server.shutdown()


@pytest.fixture(scope="session")
def live_service(django_db_setup):
    """The service over real HTTP, on the test database (sees what tests commit, not their open transactions)."""
    from django.db import connection

    s = connection.settings_dict
    # pytest-django creates the test database only when a collected test asks for the database; without one the
    # server would run on the service's own database. Refuse rather than touch it.
    assert s["NAME"].startswith("test_"), "live_service needs a test that uses the database in the same run"
    url = f"postgis://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    proc, base = start_server({"DATABASE_URL": url, **PLATFORM_URLS})
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()  # an event stream left open keeps the graceful shutdown waiting


@pytest.fixture(scope="session")
def media_source(live_service, tmp_path_factory):
    """The media platform stand-in, checking tokens with the live service's play hook; encoders stop after 3 s idle.
    Yields its base URL."""
    import sys
    import urllib.request

    folder = tmp_path_factory.mktemp("media")
    args = ["--port", str(MEDIA_PORT), "--dir", str(folder / "segments"), "--channels", MEDIA_CHANNEL]
    args += ["--verify", f"{live_service}/api/video/verify", "--idle", "3", "--retain", "120"]
    log = (folder / "log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "demo.media_source", *args], stderr=log)
    base = f"http://127.0.0.1:{MEDIA_PORT}"

    def up() -> bool:
        try:
            return urllib.request.urlopen(f"{base}/status", timeout=1).status == 200
        except OSError:
            return False

    assert until(up, 15), (folder / "log").read_text()
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()
