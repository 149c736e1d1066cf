"""GIS files uploaded for import (supervisors): the same run as `manage.py import_features`, in the background, with
its progress and its report to ask for.

POST /api/imports (multipart): `file`, `as` (zones, sites, enterprises, regions, subjects, equipment) and optionally
`layer`, `crs`, `axes`, `encoding`, `dry_run`, `mapping` (a TOML file or text). Answers 202 with the job and its
Location. GET /api/imports/{id}: status (queued, running, done, refused, failed), progress (stage, done, total) and,
when finished, the report of every feature. GET /api/imports: the latest jobs."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from psycopg.types.json import Json

from geo_core import audit
from geo_core.access import Access
from geo_core.apiview import json_api, json_response
from geo_core.errors import BadRequestError
from geo_core.gisfiles import importer, reading, targets
from geo_core.models import ImportJob

log = logging.getLogger(__name__)
OPTIONS = {"layer": 100, "crs": 64, "axes": 10, "encoding": 32}
PROGRESS_EVERY_S = 0.5


def _dump(job: ImportJob, full: bool = True) -> dict:
    out = {"id": job.id, "file": job.file_name, "size": job.size, "as": job.target, "options": job.options,
           "status": job.status, "progress": job.progress, "by": job.user_name, "error": job.error or None,
           "created_at": job.created_at.isoformat(),
           "finished_at": job.finished_at.isoformat() if job.finished_at else None}  # fmt: skip
    if full:
        out["report"] = job.report
    elif job.report:
        out["counts"] = job.report.get("counts")
    return out


def _safe_name(name: str) -> str:
    """The uploaded file's own name, without any folder, kept readable (Chinese included) and its suffix intact."""
    base = Path(name.replace("\\", "/")).name.strip() or "upload"
    base = re.sub(r"[\x00-\x1f/]", "_", base)[:200]
    return base if not base.startswith(".") else "upload" + base


def _options(request: HttpRequest) -> dict:
    out: dict[str, object] = {}
    for name, limit in OPTIONS.items():
        value = request.POST.get(name, "").strip()
        if "\x00" in value or len(value) > limit:
            raise BadRequestError(f"{name}: at most {limit} characters, no NUL")
        if value:
            out[name] = value
    if out.get("axes") not in (None, "as-read", "swapped"):
        raise BadRequestError("axes: as-read or swapped")
    dry = request.POST.get("dry_run", "").lower()
    if dry not in ("", "0", "1", "true", "false", "yes", "no"):
        raise BadRequestError("dry_run: true or false")
    out["dry_run"] = dry in ("1", "true", "yes")
    return out


def _mapping(request: HttpRequest, folder: Path) -> Path | None:
    upload = request.FILES.get("mapping")
    text = upload.read(64_001) if upload is not None else request.POST.get("mapping", "").encode("utf-8")
    if not text:
        return None
    if len(text) > 64_000:
        raise BadRequestError("mapping: at most 64 KB of TOML")
    path = folder / "mapping.toml"
    path.write_bytes(text)
    try:
        importer.Mapping.load(path)  # a broken mapping is a 400 now, not a refused job later
    except reading.FileError as exc:
        raise BadRequestError(str(exc).replace(str(path), "mapping")) from None
    return path


@json_api(("GET", "POST"))
def imports(request: HttpRequest, access: Access) -> HttpResponse:
    access.supervisor_only("import GIS files")
    if request.method == "GET":
        return json_response({"results": [_dump(j, full=False) for j in ImportJob.objects.all()[:50]]})
    upload = request.FILES.get("file")
    if upload is None:
        raise BadRequestError("file: required (multipart/form-data)")
    target = request.POST.get("as", "")
    if target not in targets.TARGETS:
        raise BadRequestError(f"as: {target[:20]!r} is not a target; targets: {', '.join(targets.TARGETS)}")
    limit = settings.CONFIG.import_max_mb * 1024 * 1024
    if upload.size > limit:
        raise BadRequestError(f"file: {upload.size} bytes; at most {settings.CONFIG.import_max_mb} MB")
    name = _safe_name(upload.name or "upload")
    suffix = Path(name).suffix.lower()
    if suffix not in reading.FORMATS:
        raise BadRequestError(f"file: {suffix or 'no extension'} is not a format read here; "
                              f"known: {', '.join(sorted(reading.FORMATS))}")  # fmt: skip
    options = _options(request)
    folder = Path(tempfile.mkdtemp(prefix="import-"))
    try:
        mapping = _mapping(request, folder)
        path = folder / name
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    user = access.user
    job = ImportJob.objects.create(
        user=user if getattr(user, "pk", None) else None, user_name=user.get_username(), file_name=name,
        size=upload.size, target=target, options={**options, "mapping": bool(mapping)},
    )  # fmt: skip
    worker = threading.Thread(target=_run, args=(job.id, target, folder, path, mapping, options, user,
                              audit.address_of(request)), daemon=True, name=f"import-{job.id}")  # fmt: skip
    transaction.on_commit(worker.start)  # the job's row must be there for the worker to report on
    response = json_response(_dump(job), status=202)
    response["Location"] = f"/api/imports/{job.id}"
    return response


@json_api(("GET",))
def import_detail(request: HttpRequest, access: Access, job_id: int) -> HttpResponse:
    access.supervisor_only("import GIS files")
    return json_response(_dump(ImportJob.objects.get(pk=job_id)))


class _Progress:
    """Progress written on a connection of its own (autocommit), so it is seen while the import's transaction is
    still open; at most every PROGRESS_EVERY_S."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        db = settings.DATABASES["default"]
        self.conn = psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db.get("PASSWORD") or None,
                                    host=db["HOST"], port=db["PORT"] or None, autocommit=True)  # fmt: skip
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


def _run(job_id: int, target: str, folder: Path, path: Path, mapping: Path | None, options: dict, user,
         address: str | None) -> None:  # fmt: skip
    token = audit.acting(user, user.get_username(), address)  # a new thread starts without the request's actor
    progress = None
    try:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING)
        progress = _Progress(job_id)
        report = importer.run(path, target, layer=options.get("layer"),
                              crs=options.get("crs"), axes=options.get("axes"), mapping=mapping,
                              dry_run=options["dry_run"], encoding=options.get("encoding"), progress=progress,
                              label=path.name)  # fmt: skip
        status = ImportJob.Status.REFUSED if report.refused else ImportJob.Status.DONE
        ImportJob.objects.filter(pk=job_id).update(status=status, report=report.as_dict(),
                                                   error=report.refused or "", finished_at=timezone.now())  # fmt: skip
    except Exception as exc:  # the service's fault, not the file's: recorded on the job, logged with its trace
        log.exception("import failed", extra={"job": job_id})
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, error=str(exc)[:2000],
                                                   finished_at=timezone.now())  # fmt: skip
    finally:
        audit._actor.reset(token)
        if progress is not None:
            progress.close()
        shutil.rmtree(folder, ignore_errors=True)
        connection.close()
