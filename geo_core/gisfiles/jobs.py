"""Import jobs sent through /api/imports, each run by a process of its own (`manage.py import_job ID`, read through
geo_core.gisfiles.sandbox) rather than a thread of the web process: a file that takes the CPU, the memory or GDAL
down takes that process down, never the web worker, its streams and requests.

Nothing waits in a queue: a job starts when its upload is committed (imports are a supervisor's occasional work, a
few a day). A job whose process dies still ends: the web process that started it watches the process and records
why it ended; when that web process is gone too, the next look at the jobs (`reap`) fails the jobs whose process no
longer runs on this host, or whose deadline has passed, wherever they ran. We did not bring in a job-queue library
for this: the per-format driver list needs a fresh process per file anyway, and that is all a queue would add."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg.types.json import Json

from geo_core import audit
from geo_core.gisfiles import importer, reading, sandbox
from geo_core.models import ImportJob

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5
GRACE_S = 60  # beyond the time limit, before a job nobody reported on is failed
OPEN = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
HOST = socket.gethostname()


def start(job: ImportJob, fmt: str) -> None:
    """Start the job's process and a thread that waits for it (after the job's row is committed)."""
    proc = sandbox.popen(["import_job", str(job.id)], fmt, start_new_session=True)
    ImportJob.objects.filter(pk=job.id).update(pid=proc.pid, host=HOST)
    threading.Thread(
        target=_watch, args=(job.id, proc, Path(job.workdir)), daemon=True, name=f"import-{job.id}"
    ).start()


def _watch(job_id: int, proc, folder: Path) -> None:
    try:
        try:
            code = proc.wait(timeout=settings.CONFIG.import_max_s + 15)
        except Exception:  # past every limit and still there: end it
            proc.kill()
            code = proc.wait()
        if code != 0:
            _fail(job_id, sandbox.ending(code))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        connection.close()


def _fail(job_id: int, why: str) -> int:
    n = ImportJob.objects.filter(pk=job_id, status__in=OPEN).update(
        status=ImportJob.Status.FAILED, error=why, finished_at=timezone.now()
    )
    if n:
        log.warning("import failed", extra={"job": job_id, "why": why})
    return n


def deadline() -> timedelta:
    return timedelta(seconds=settings.CONFIG.import_max_s + GRACE_S)


def reap() -> int:
    """Fail the open jobs whose process is gone (on this host) or whose deadline has passed; how many."""
    now = timezone.now()
    failed = 0
    for job in ImportJob.objects.filter(status__in=OPEN).only("id", "pid", "host", "deadline"):
        if job.deadline is not None and job.deadline < now:
            failed += _fail(job.id, "the import's process did not finish in time and was given up")
        elif job.pid and job.host == HOST and not _alive(job.pid):
            failed += _fail(job.id, "the import's process ended before it reported")
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Progress:
    """Progress written on a connection of its own (autocommit), so it is seen while the import's transaction is
    still open; at most every PROGRESS_EVERY_S."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        db = settings.DATABASES["default"]
        self.conn = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db.get("PASSWORD") or None,
            host=db["HOST"],
            port=db["PORT"] or None,
            autocommit=True,
        )
        self.last = (None, 0.0)

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self.last[0] and now - self.last[1] < PROGRESS_EVERY_S and done < total:
            return
        self.last = (stage, now)
        value = Json({"stage": stage, "done": done, "total": total})
        self.conn.execute("UPDATE geo_core_importjob SET progress = %s WHERE id = %s", [value, self.job_id])

    def close(self) -> None:
        self.conn.close()


def run(job_id: int) -> None:
    """The job's process: import the file with the job's options and record the report. Runs only as a sandboxed
    process (its drivers limited to the declared format)."""
    if not sandbox.sandboxed():
        raise RuntimeError("an import job runs only in its own process (geo_core.gisfiles.sandbox)")
    sandbox.guard()
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    folder = Path(job.workdir)
    options = job.options
    user = job.user
    audit.acting(user, job.user_name, job.address)
    progress = None
    try:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, pid=os.getpid(), host=HOST)
        progress = _Progress(job_id)
        mapping = folder / "mapping.toml" if options.get("mapping") else None
        report = importer.run(
            folder / job.file_name,
            job.target,
            layer=options.get("layer"),
            crs=options.get("crs"),
            axes=options.get("axes"),
            mapping=mapping,
            dry_run=options["dry_run"],
            encoding=options.get("encoding"),
            progress=progress,
            label=job.file_name,
        )
        status = ImportJob.Status.REFUSED if report.refused else ImportJob.Status.DONE
        ImportJob.objects.filter(pk=job_id).update(
            status=status, report=report.as_dict(), error=report.refused or "", finished_at=timezone.now()
        )
    except MemoryError:
        _fail(job_id, f"the file needs more than {settings.CONFIG.import_max_memory_mb} MB to import")
    except Exception as exc:  # the service's fault, not the file's: recorded on the job, logged with its trace
        log.exception("import failed", extra={"job": job_id})
        _fail(job_id, str(exc).replace(str(folder), "")[:2000])
    finally:
        if progress is not None:
            progress.close()
        shutil.rmtree(folder, ignore_errors=True)


def declared_format(path: Path) -> str:
    """The format that chooses the job's drivers (refused as a FileError before any process starts)."""
    return reading.declared_format(path, settings.CONFIG.import_max_expanded_mb << 20)
