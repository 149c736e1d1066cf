"""Every file from outside is read by GDAL in a process of its own, which GDAL's own hardening options make harmless
(issue 24; GDAL's "Security considerations"):

- only the drivers of the format the file's name declares are registered (`OGR_SKIP` lists every other one, read
  by GDAL when it registers its drivers, so it needs a fresh process), so an OGR VRT or GDALG document sent as
  `.geojson` is not opened as one and cannot read a server file or fetch a URL;
- no network: `/vsicurl/` accepts no extension and every HTTP request goes to a closed port;
- limits the kernel enforces: address space, CPU time, the size of a file written, and a wall-clock alarm. A file
  that exhausts one ends that process, never a web worker.

The process is `manage.py` itself (an import job, or `import_features` re-executed), so the reading code is the one
the tests run in-process."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pyogrio
from django.db import connection

from geo_core.gisfiles.reading import DRIVERS

ROOT = Path(__file__).resolve().parents[2]
MARK = "GEOSERVICE_IMPORT_FORMAT"  # set in the process that reads; its value is the declared format
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, a request fails at once
NETWORK_OFF = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".geoservice-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "http_proxy": CLOSED,
    "https_proxy": CLOSED,
    "HTTP_PROXY": CLOSED,
    "HTTPS_PROXY": CLOSED,
    "ftp_proxy": CLOSED,
    "all_proxy": CLOSED,
    "ALL_PROXY": CLOSED,
    "no_proxy": "",
    "NO_PROXY": "",
}
EXIT_SIGNALS = {
    signal.SIGKILL: "was killed (out of memory, or stopped by the system)",
    signal.SIGXCPU: "used up its CPU time",
    signal.SIGALRM: "ran out of time",
    signal.SIGXFSZ: "wrote more than it may",
    signal.SIGSEGV: "crashed in GDAL",
}


def environment(fmt: str) -> dict[str, str]:
    """The environment of a process that reads a file of format `fmt` (reading.FORMATS' values, a zip's inside)."""
    others = sorted(set(pyogrio.list_drivers()) - set(DRIVERS[fmt]))
    db = connection.settings_dict  # the database of the caller (a test's own), whatever DATABASE_URL says
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db.get("PASSWORD") else "")
    url = f"postgis://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"
    return {**os.environ, **NETWORK_OFF, "OGR_SKIP": ",".join(others), MARK: fmt, "DATABASE_URL": url}


LIMITS = "GEOSERVICE_IMPORT_LIMITS"  # memory MB, CPU and wall-clock seconds, file MB, for the reading process


def popen(args: list[str], fmt: str, file_mb: int = 1024, **kwargs) -> subprocess.Popen:
    """`manage.py <args>` in a process of its own that reads only `fmt`, within the import limits of the
    configuration; it applies them to itself at once (`guard`): no preexec_fn, which may deadlock when forked from a
    multi-threaded web server."""
    from django.conf import settings

    cfg = settings.CONFIG
    env = environment(fmt) | {LIMITS: f"{cfg.import_max_memory_mb},{cfg.import_max_s},{file_mb}"}
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, **kwargs)


def guard() -> None:
    """In the reading process, before it reads anything: the kernel's limits on address space, CPU time, written
    files and core dumps, and a wall-clock alarm whose default action ends the process (even inside GDAL's C code)."""
    memory_mb, seconds, file_mb = (int(v) for v in os.environ[LIMITS].split(","))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.alarm(seconds)


def ending(returncode: int) -> str:
    """Why a reading process ended, in words for the job's error."""
    if returncode < 0:
        sig = signal.Signals(-returncode)
        return f"the import's process {EXIT_SIGNALS.get(sig, f'ended by {sig.name}')}"
    return f"the import's process ended with exit code {returncode} before it reported"


def sandboxed() -> str | None:
    """The declared format this process may read, when it is a reading process."""
    return os.environ.get(MARK) or None
