"""Throwaway PostgreSQL 15 + PostGIS clusters from Debian's binaries, on free ports (tests that restart, kill or
replicate a database must not touch the shared one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PgCluster:
    """A cluster in a temporary folder. `PgCluster.new(db)` makes and migrates a primary; `primary.replica()` a
    streaming replica of it (pg_basebackup -R)."""

    def __init__(self, dbname: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="geo-pg-"))
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.dbname = dbname
        self.url = f"postgis://postgres@127.0.0.1:{self.port}/{dbname}"
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    @classmethod
    def new(cls, dbname: str) -> PgCluster:
        c = cls(dbname)
        c.create()
        return c

    def create(self) -> None:
        """initdb, start, create the database and migrate it."""
        self._run(
            [str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        )
        self.start()
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.dbname],
            check=True,
        )
        env = os.environ | {"DATABASE_URL": self.url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True
        )

    def replica(self) -> PgCluster:
        r = PgCluster(self.dbname)
        r._run(
            [
                str(PG_BIN / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-D",
                str(r.dir / "data"),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
            ]
        )
        r.start()
        return r

    def _run(self, cmd: list[str]) -> None:
        subprocess.run(as_postgres(cmd), check=True, capture_output=True, cwd="/")

    def ctl(self, *args: str) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), *args])

    def start(self) -> None:
        self.ctl("-l", str(self.dir / "log"), "-o", f"-p {self.port} -k {self.dir}", "-w", "start")

    def stop(self) -> None:
        try:
            self.ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
