"""Who runs which alarm partition (issue 16, part 3): session advisory locks in PostgreSQL, so a worker that dies
(SIGKILL, a lost machine) gives its partitions up the moment its connection closes, and another takes them.

Every `manage.py alarms` joins as a member (a lock of its own), takes up to its fair share of the partitions
(ceil(partitions / members)) and runs one AlarmWorker thread per partition held. A worker over its share (another
has joined) hands the extra back: the thread stops, saves the partition's state, then the lock is released, and the
new owner resumes from that state. A partition taken after a crash resumes from the last saved state and replays
what was committed since: the replay names the same alarms and the store skips them (alarms/worker.py), so a
hand-over neither loses nor repeats one.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass

import psycopg
from django.db import connection

from alarms.partitioning import Partition
from alarms.worker import SNAPSHOT_EVERY_S, AlarmWorker
from geo_core.db import conninfo

log = logging.getLogger("alarms.leases")
MEMBERS = 0x414D  # advisory lock class (int4) of members: one lock per running worker
PARTITIONS = 0x4150  # advisory lock class of partitions: key count * 1000 + index
MAX_MEMBERS = 256


def snapshot_name(name: str, index: int, count: int) -> str:
    """The engine state of a partition; a single partition keeps the worker's own name (the state before partitions
    existed is resumed as it was)."""
    return name if count == 1 else f"{name}.{index + 1}-of-{count}"


class Leases:
    """The locks of one worker, on one connection of its own (autocommit, outside Django's)."""

    def __init__(self, count: int):
        self.count = count
        # Named with the process id: `SELECT application_name FROM pg_locks JOIN pg_stat_activity USING (pid)` says
        # which worker holds which partition.
        self.conn = psycopg.connect(conninfo(), autocommit=True, application_name=f"alarms-{os.getpid()}")
        self.member: int | None = None

    def _try(self, cls: int, key: int) -> bool:
        return bool(self.conn.execute("SELECT pg_try_advisory_lock(%s, %s)", [cls, key]).fetchone()[0])

    def join(self) -> int:
        for slot in range(MAX_MEMBERS):
            if self._try(MEMBERS, slot):
                self.member = slot
                return slot
        raise RuntimeError(f"more than {MAX_MEMBERS} alarm workers")

    def members(self) -> int:
        return self.conn.execute(
            """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2
               AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
            [MEMBERS],
        ).fetchone()[0]

    def take(self, index: int) -> bool:
        return self._try(PARTITIONS, self.count * 1000 + index)

    def give(self, index: int) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", [PARTITIONS, self.count * 1000 + index])

    def close(self) -> None:
        self.conn.close()


@dataclass
class _Running:
    thread: threading.Thread
    stop: threading.Event
    worker: AlarmWorker


class Coordinator:
    """Holds this worker's share of the partitions, checked every `poll` seconds."""

    def __init__(
        self, name: str = "default", count: int = 1, poll: float = 1.0, snapshot_every: float = SNAPSHOT_EVERY_S
    ):
        self.name = name
        self.count = count
        self.poll = poll
        self.snapshot_every = snapshot_every
        self.running: dict[int, _Running] = {}
        self.started: list[AlarmWorker] = []  # every partition run by this worker, for its closing stats
        self.stats = {"taken": 0, "handed_back": 0, "crashed": 0}

    def run(self, stop: threading.Event, until: float | None = None) -> None:
        leases: Leases | None = None
        try:
            while not stop.is_set() and (until is None or time.monotonic() < until):
                try:
                    if leases is None:
                        leases = Leases(self.count)
                        log.info("alarm worker joined", extra={"member": leases.join(), "partitions": self.count})
                    self.balance(leases)
                except psycopg.Error as exc:
                    # The locks went with the connection: another worker may hold these partitions now.
                    log.warning("lease connection lost; partitions stopped", extra={"error": str(exc)[:200]})
                    self.stop_all(save=False)
                    if leases is not None:
                        leases.close()
                    leases = None
                stop.wait(self.poll)
        finally:
            self.stop_all(save=True)
            if leases is not None:
                leases.close()

    def balance(self, leases: Leases) -> None:
        for index, r in list(self.running.items()):
            if not r.thread.is_alive():  # its loop ended on its own: start it afresh from its saved state
                self.stats["crashed"] += 1
                del self.running[index]
                leases.give(index)
        share = math.ceil(self.count / max(leases.members(), 1))
        while len(self.running) > share:
            index = max(self.running)
            self._stop(index, save=True)
            leases.give(index)
            self.stats["handed_back"] += 1
            log.info("alarm partition handed back", extra={"partition": f"{index + 1}/{self.count}", "share": share})
        # Start where this member's share would begin, so members starting together do not all ask for the same.
        first = (leases.member or 0) * share
        for step in range(self.count):
            if len(self.running) >= share:
                break
            index = (first + step) % self.count
            if index not in self.running and leases.take(index):
                self._start(index)
                self.stats["taken"] += 1

    def _start(self, index: int) -> None:
        worker = AlarmWorker(
            name=snapshot_name(self.name, index, self.count),
            snapshot_every=self.snapshot_every,
            partition=Partition(index, self.count),
        )
        stop = threading.Event()
        thread = threading.Thread(target=_serve, args=(worker, stop), name=f"alarms-{index + 1}", daemon=True)
        self.running[index] = _Running(thread, stop, worker)
        self.started.append(worker)
        thread.start()
        log.info("alarm partition taken", extra={"partition": worker.partition.label, "state": worker.name})

    def _stop(self, index: int, save: bool) -> None:
        r = self.running.pop(index)
        r.worker.final_save = save
        r.stop.set()
        r.thread.join(60)

    def stop_all(self, save: bool) -> None:
        for index in list(self.running):
            self._stop(index, save)

    def worker_stats(self) -> dict:
        out = dict(self.stats)
        for w in self.started:
            for k, v in w.stats.items():
                if isinstance(v, int):
                    out[k] = out.get(k, 0) + v
        return out


def _serve(worker: AlarmWorker, stop: threading.Event) -> None:
    """One partition's loop in its own thread (its own Django connection); its state saved when it is stopped."""
    try:
        worker.run(stop=stop)
        if worker.final_save:
            worker.save()
    except Exception:
        log.exception("alarm partition stopped", extra={"partition": worker.partition.label})
    finally:
        if worker.listener is not None:
            worker.listener.close()
        connection.close()
