"""An import of a GIS file sent through /api/imports: who sent what, how far it has got, and its report."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导入中"
        DONE = "done", "已完成"
        REFUSED = "refused", "已拒绝"  # the file as a whole could not be imported: nothing was written
        FAILED = "failed", "失败"  # the service failed: nothing was written

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_name = models.CharField(max_length=150)
    file_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    target = models.CharField(max_length=16)
    options = models.JSONField(default=dict, blank=True, help_text="layer, crs, axes, dry_run, mapping")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.JSONField(default=dict, blank=True, help_text="stage, done, total")
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process that reads the file (geo_core.gisfiles.jobs): where its file waits, which process it is, by when
    # it must have finished (a job past it, or whose process is gone, ends as failed), and who sent it (the audit).
    workdir = models.CharField(max_length=255, blank=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} -> {self.target} ({self.status})"
