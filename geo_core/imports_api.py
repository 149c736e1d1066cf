"""GIS files uploaded for import (supervisors): the same run as `manage.py import_features`, in the background, with
its progress and its report to ask for.

POST /api/imports (multipart): `file`, `as` (zones, sites, enterprises, regions, subjects, equipment) and optionally
`layer`, `crs`, `axes`, `encoding`, `dry_run`, `mapping` (a TOML file or text). Answers 202 with the job and its
Location. GET /api/imports/{id}: status (queued, running, done, refused, failed), progress (stage, done, total) and,
when finished, the report of every feature. GET /api/imports: the latest jobs. Each job runs in a process of its
own (geo_core.gisfiles.jobs), never in the web process."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from geo_core import audit
from geo_core.access import Access
from geo_core.apiview import json_api, json_response
from geo_core.errors import BadRequestError
from geo_core.gisfiles import importer, jobs, reading, targets
from geo_core.models import ImportJob

OPTIONS = {"layer": 100, "crs": 64, "axes": 10, "encoding": 32}


def _dump(job: ImportJob, full: bool = True) -> dict:
    out = {
        "id": job.id,
        "file": job.file_name,
        "size": job.size,
        "as": job.target,
        "options": job.options,
        "status": job.status,
        "progress": job.progress,
        "by": job.user_name,
        "error": job.error or None,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
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
        jobs.reap()
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
        raise BadRequestError(
            f"file: {suffix or 'no extension'} is not a format read here; known: {', '.join(sorted(reading.FORMATS))}"
        )
    options = _options(request)
    folder = Path(tempfile.mkdtemp(prefix="import-"))
    try:
        mapping = _mapping(request, folder)
        path = folder / name
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        fmt = jobs.declared_format(path)  # a zip that names a place outside itself, or would expand too far: 400
    except reading.FileError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise BadRequestError(f"file: {exc}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    user = access.user
    job = ImportJob.objects.create(
        user=user if getattr(user, "pk", None) else None,
        user_name=user.get_username(),
        file_name=name,
        size=upload.size,
        target=target,
        options={**options, "mapping": bool(mapping)},
        workdir=str(folder),
        deadline=timezone.now() + jobs.deadline(),
        address=audit.address_of(request),
    )
    transaction.on_commit(lambda: jobs.start(job, fmt))  # the job's row must be there for its process to read
    response = json_response(_dump(job), status=202)
    response["Location"] = f"/api/imports/{job.id}"
    return response


@json_api(("GET",))
def import_detail(request: HttpRequest, access: Access, job_id: int) -> HttpResponse:
    access.supervisor_only("import GIS files")
    jobs.reap()
    return json_response(_dump(ImportJob.objects.get(pk=job_id)))
