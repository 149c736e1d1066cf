"""What every service benchmark sets up the same way: its own database (dropped afterwards) with the demo scene,
its own Mosquitto, and /proc readings of CPU and memory."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
CLK = os.sysconf("SC_CLK_TCK")


def log(**fields) -> None:
    print(json.dumps(fields, ensure_ascii=False, default=str), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK
        except (OSError, IndexError):
            pass
    return total


def peak_mb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def postgres_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "postgres"], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


class BenchDatabase:
    """A database of its own beside DATABASE_URL's (named `<db>_<tag>_<pid>`, so runs never collide), made the
    process's DATABASE_URL, with Django set up on it; `drop()` removes it."""

    def __init__(self, tag: str):
        import psycopg

        base = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:55432/geoservice")
        parts = urlsplit(base)
        self.url = urlunsplit(parts._replace(path=f"{parts.path}_{tag}_{os.getpid()}"))
        self.name = urlsplit(self.url).path.lstrip("/")
        self.admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        self.dsn = urlunsplit(urlsplit(self.url)._replace(scheme="postgresql"))
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        os.environ["DATABASE_URL"] = self.url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_core.settings")
        import django

        django.setup()

    def load_demo(self) -> datetime:
        """Migrate, load Shanghai's districts and the demo park; returns the time the scene was built around."""
        from django.core.management import call_command

        from demo.loader import load_demo
        from geo_core.management.commands.load_regions import load_regions
        from geo_core.partitions import PARK_TZ

        call_command("migrate", verbosity=0)
        load_regions(prefixes=("31",), progress=False)
        now = datetime.now(UTC)
        load_demo(20261121, now.astimezone(PARK_TZ).replace(minute=0, second=0, microsecond=0), progress=False)
        return now

    def drop(self) -> None:
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def wait_until_up(base: str, seconds: float = 30.0) -> bool:
    """Whether a server at `base` answered /healthz within `seconds`."""
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5)
            return True
        except OSError:
            time.sleep(0.1)
    return False


def start_server(log_path: Path | None = None) -> tuple[subprocess.Popen, str]:
    """One uvicorn worker on the process's DATABASE_URL, its log in a file or nowhere (a pipe nobody reads would fill
    and stop it under load); its base URL once /healthz answers."""
    port = free_port()
    proc = subprocess.Popen(
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
        stderr=log_path.open("wb") if log_path else subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    if wait_until_up(base):
        return proc, base
    proc.kill()
    raise RuntimeError(f"server did not start{f'; see {log_path}' if log_path else ''}")


def start_broker() -> tuple[subprocess.Popen, int, Path]:
    """A Mosquitto of its own on a free port (unlimited in-flight QoS 1, a deep queue); the process's MQTT_URL."""
    folder = Path(tempfile.mkdtemp(prefix="bench-mq-"))
    port = free_port()
    (folder / "m.conf").write_text(
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
        "max_inflight_messages 0\nmax_queued_messages 10000000\n"
    )
    broker = subprocess.Popen(["mosquitto", "-c", str(folder / "m.conf")], stderr=subprocess.DEVNULL)
    os.environ["MQTT_URL"] = f"mqtt://127.0.0.1:{port}"
    return broker, port, folder


def stop(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    """Terminate, then kill what is still running after `grace` (an open event stream keeps uvicorn's graceful
    shutdown waiting for ever). A uvicorn's worker processes go with it: its parent killed, they would live on."""
    workers = [c for p in procs for c in children(p.pid)]
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
