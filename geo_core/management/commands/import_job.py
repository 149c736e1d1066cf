"""manage.py import_job ID: the process that runs one upload's import (started by /api/imports through
geo_core.gisfiles.sandbox, with GDAL's drivers limited to the file's declared format and limits on memory and time)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geo_core.gisfiles import jobs


class Command(BaseCommand):
    help = "Run one import job (started by the upload endpoint; not for use by hand)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("job", type=int)

    def handle(self, *args, job: int, **options) -> None:
        jobs.run(job)
