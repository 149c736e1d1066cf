"""Issue 24 (3): an import job whose process dies ends as failed, whether the web process that started it is there
to see it die or not."""

from __future__ import annotations

import signal
import subprocess
import threading

from geo_core.gisfiles import jobs
from geo_core.models import ImportJob


def test_a_job_whose_process_dies_ends_as_failed(django_db_setup, django_db_blocker, tmp_path):
    """Committed rows (the watcher reads on a connection of its own), removed at the end."""
    with django_db_blocker.unblock():
        job = ImportJob.objects.create(
            user_name="die-test",
            file_name="x.gpkg",
            size=1,
            target="zones",
            options={"dry_run": False},
            workdir=str(tmp_path / "w"),
        )
        try:
            (tmp_path / "w").mkdir()
            proc = subprocess.Popen(["sleep", "60"])
            ImportJob.objects.filter(pk=job.pk).update(pid=proc.pid, host=jobs.HOST, status="running")
            watcher = threading.Thread(target=jobs._watch, args=(job.pk, proc, tmp_path / "w"))
            watcher.start()
            proc.send_signal(signal.SIGKILL)
            watcher.join(10)
            job.refresh_from_db()
            assert job.status == "failed"
            assert "was killed" in job.error
            assert not (tmp_path / "w").exists()
            # No web process left to watch it: the next look at the jobs fails it.
            orphan = ImportJob.objects.create(
                user_name="die-test",
                file_name="y.gpkg",
                size=1,
                target="zones",
                options={"dry_run": False},
                status="running",
                host=jobs.HOST,
                pid=proc.pid,
            )
            assert jobs.reap() >= 1
            orphan.refresh_from_db()
            assert orphan.status == "failed"
            assert "ended before it reported" in orphan.error
        finally:
            ImportJob.objects.filter(user_name="die-test").delete()


def test_the_reading_process_is_held_to_its_limits():
    """The limits the reading process applies to itself: a file that takes too long ends that process (SIGALRM),
    one that takes too much memory gets a MemoryError, never the web worker."""
    import os
    import sys

    from geo_core.gisfiles import sandbox

    def child(limits: str, body: str) -> subprocess.CompletedProcess:
        code = f"from geo_core.gisfiles import sandbox; sandbox.guard(); {body}"
        env = os.environ | {sandbox.LIMITS: limits}
        return subprocess.run(
            [sys.executable, "-c", code], cwd=sandbox.ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    slow = child("4096,1,10", "import time; time.sleep(10)")
    assert slow.returncode == -signal.SIGALRM
    assert "ran out of time" in sandbox.ending(slow.returncode)
    greedy = child("4096,60,10", "b = bytearray(6 << 30)")
    assert greedy.returncode == 1
    assert "MemoryError" in greedy.stderr
