"""The alarm worker as a process (manage.py alarms) on committed data: it follows the NOTIFY feed, raises within
seconds, and a SIGKILL in the middle of a visit neither repeats nor loses the alarm."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from alarms.leases import PARTITIONS
from alarms.models import Alarm, AlarmEvent, EngineSnapshot
from alarms.partitioning import key_of, partition_of
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import Enterprise, Park, Site, Subject, Zone
from tests.alarms.conftest import offset
from tests.conftest import until
from tests.geo_core.conftest import JINSHAN, credit_code, inside, square

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def committed_scene(django_db_setup, django_db_blocker):
    assert connection.settings_dict["NAME"].startswith("test_"), "needs a database test in the same run"
    with django_db_blocker.unblock():
        park = Park.objects.create(code="PROC-PARK", name="进程测试")
        ent = Enterprise.objects.create(
            credit_code=credit_code(org="MA1PR0001"), name="进程化工", company_code="PROC1", park=park
        )
        lon, lat = inside(JINSHAN)
        site = Site(enterprise=ent, name="厂区", footprint=square(lon, lat))
        site.save()
        zone = Zone.objects.create(name="禁区", kind="forbidden", enterprise=ent, geom=square(lon, lat, 50 / 111_000))
        person = Subject.objects.create(kind="person", external_id="PC1", enterprise=ent, person_type="02")
        EngineSnapshot.objects.all().delete()
        yield person, (lon, lat)
        Alarm.objects.filter(enterprise=ent).delete()
        EngineSnapshot.objects.all().delete()
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id = %s", [person.id])
        person.delete()
        zone.delete()
        site.delete()
        ent.delete()
        park.delete()


def _worker(*args: str) -> subprocess.Popen:
    s = connection.settings_dict
    env = os.environ | {"DATABASE_URL": f"postgis://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "alarms", "--seconds", "90", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _write(person, centre, east_m: float) -> None:
    lon, lat = offset(*centre, east_m)
    write_fixes(
        FixBatch(
            subject_id=np.array([person.id]),
            time=[datetime.now(UTC)],
            lon=np.array([lon]),
            lat=np.array([lat]),
            source="simulator",
            raw_x=np.array([lon]),
            raw_y=np.array([lat]),
            raw_crs=["cgcs2000"],
        )
    )


def test_worker_raises_from_the_feed_and_survives_sigkill(committed_scene, django_db_blocker):
    person, centre = committed_scene
    with django_db_blocker.unblock():
        proc = _worker()
        try:
            assert until(lambda: EngineSnapshot.objects.exists(), 30), "the worker did not start"
            _write(person, centre, -100)
            time.sleep(1.1)
            t0 = time.monotonic()
            _write(person, centre, 0)  # 50 m deep: past the 6 m margin, an enter at once
            assert until(lambda: Alarm.objects.filter(subject=person, type="out_of_bounds").exists())
            assert time.monotonic() - t0 < 5.0
            time.sleep(6)  # let a snapshot be saved mid-visit
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            for _ in range(3):  # still inside while the worker is down, then out
                time.sleep(1.1)
                _write(person, centre, 10)
            time.sleep(1.1)
            _write(person, centre, 150)
            proc = _worker()
            assert until(lambda: Alarm.objects.filter(subject=person, ended_at__isnull=False).exists(), 30)
            alarms = Alarm.objects.filter(subject=person, type="out_of_bounds")
            assert alarms.count() == 1
            a = alarms.get()
            assert list(AlarmEvent.objects.filter(alarm=a).values_list("kind", flat=True)).count("raised") == 1
            assert a.actions.filter(action="ended").count() == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


@pytest.mark.django_db
def test_a_worker_on_an_empty_scene_has_no_fences():
    from alarms.worker import AlarmWorker

    w = AlarmWorker()
    w.start()
    assert w.engine.summary()["fences"] == 0
    assert w.engine.summary()["rules"]  # the default rules, one per type


@pytest.fixture
def two_partitions(committed_scene, django_db_blocker):
    """The scene's park and a second park whose enterprise falls in the other of two partitions, each with a
    forbidden zone and a person."""
    person, centre = committed_scene
    with django_db_blocker.unblock():
        mine = partition_of(key_of(person.enterprise_id, person.enterprise.park_id), 2)
        parks = []
        while not parks or partition_of(key_of(None, parks[-1].id), 2) == mine:
            parks.append(Park.objects.create(code=f"PROC-PARK-{len(parks) + 2}", name="进程测试二"))
        park = parks[-1]
        ent = Enterprise.objects.create(
            credit_code=credit_code(org="MA1PR0002"), name="进程二化工", company_code="PROC2", park=park
        )
        lon, lat = offset(*centre, 0, 2000)
        zone = Zone.objects.create(name="禁区二", kind="forbidden", enterprise=ent, geom=square(lon, lat, 50 / 111_000))
        other = Subject.objects.create(kind="person", external_id="PC2", enterprise=ent, person_type="02")
        yield [(person, centre), (other, (lon, lat))]
        Alarm.objects.filter(enterprise=ent).delete()
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id = %s", [other.id])
        other.delete()
        zone.delete()
        ent.delete()
        for p in parks:
            p.delete()


def _holders() -> list[int]:
    """The backends holding each of the two partitions' leases, in partition order."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT objid, pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid IN (2000, 2001)"
            " AND granted ORDER BY objid",
            [PARTITIONS],
        )
        return [pid for _, pid in cur.fetchall()]


def test_two_workers_share_the_partitions_and_a_killed_ones_is_taken_over(two_partitions, django_db_blocker):
    """Worker A alone runs both partitions; B joins and A hands one over mid-visit (saved, then released); B is
    killed mid-visit and A takes its partition back from the saved state. Each visit is one alarm, raised once and
    ended once."""
    people = two_partitions
    with django_db_blocker.unblock():
        a = _worker("--partitions", "2")
        b = None
        try:
            assert until(lambda: len(set(_holders())) == 1 and len(_holders()) == 2, 30), "A did not take both"
            for person, centre in people:
                _write(person, centre, -100)
            time.sleep(1.1)
            for person, centre in people:
                _write(person, centre, 0)
            assert until(lambda: Alarm.objects.filter(subject__in=[p for p, _ in people]).count() == 2)
            b = _worker("--partitions", "2")
            assert until(lambda: len(set(_holders())) == 2, 30), "B did not take a partition over"
            for _ in range(2):  # still inside, the partitions now on two workers
                time.sleep(1.1)
                for person, centre in people:
                    _write(person, centre, 10)
            time.sleep(6)  # B saves its partition mid-visit
            b.send_signal(signal.SIGKILL)
            b.wait(10)
            time.sleep(1.1)
            for person, centre in people:
                _write(person, centre, 5)  # still inside while B is dead
            assert until(lambda: len(set(_holders())) == 1 and len(_holders()) == 2, 15), "A did not take it back"
            time.sleep(1.1)
            for person, centre in people:
                _write(person, centre, 150)
            ended = Alarm.objects.filter(subject__in=[p for p, _ in people], ended_at__isnull=False)
            assert until(lambda: ended.count() == 2, 30)
            for person, _ in people:
                alarm = Alarm.objects.get(subject=person, type="out_of_bounds")
                kinds = list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True))
                assert kinds.count("raised") == 1
                assert alarm.actions.filter(action="ended").count() == 1
        finally:
            for proc in (a, b):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(30)
