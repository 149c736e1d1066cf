"""SQL that crosses rooms goes through published contracts (issue 25): alarms publishes views of its alarms that
layers, counts and statistics read; geo_core offers the alarm worker functions for fixes, subjects and permits
(geo_core.seams). A room's SQL naming another room's tables directly is what these catch."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from geo_core import seams

ROOT = Path(__file__).resolve().parents[2]


def sql_reads(room: str, tables: str, files: str = "**/*.py") -> list[str]:
    """Where a room's code (migrations apart) reads FROM or JOINs one of these tables."""
    pattern = re.compile(rf"\b(?:FROM|JOIN)\s+(?:{tables})\b", re.I)
    out = []
    for path in (ROOT / room).glob(files):
        if "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                out.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return out


def test_layers_and_geo_core_read_alarms_only_through_its_views():
    assert sql_reads("layers", "alarms_alarm") == []
    assert sql_reads("geo_core", r"alarms_\w+") == []


def test_the_alarm_worker_reads_fixes_subjects_and_permits_through_geo_cores_seam():
    tables = (
        "geo_core_positionfix|geo_core_subjectstate|geo_core_subject|geo_core_workpermit|geo_core_ingest_batch_seq"
        "|geo_core_contractor|geo_core_contractorstaff|geo_core_dailyfiling"
    )
    for feed in ("worker.py", "scene.py", "engine.py", "rules/*.py"):
        assert sql_reads("alarms", tables, feed) == []


@pytest.mark.django_db
def test_the_published_views_hold_what_their_readers_read():
    with connection.cursor() as cur:
        cur.execute(
            """SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position)
               FROM information_schema.columns WHERE table_name IN ('alarms_open', 'alarms_record')
               GROUP BY table_name"""
        )
        views = dict(cur.fetchall())
    wanted = {"id", "severity", "status", "raised_at", "ended_at", "location", "enterprise_id", "company_code"}
    assert wanted <= set(views["alarms_open"])
    assert set(views["alarms_open"]) == set(views["alarms_record"])


@pytest.mark.django_db
def test_the_seam_gives_rows_of_its_documented_shapes(scene_people):
    subject = scene_people
    rows = seams.subject_rows({subject.id})
    assert [r[:3] for r in rows] == [(subject.id, "person", subject.external_id)]
    assert seams.live_fixes() == [] or len(seams.live_fixes()[0]) == 7
    assert isinstance(seams.batch_cursor(), int)
    assert seams.fix_at(subject.id, datetime.now(UTC)) is None
    assert seams.permit_rows() == []


@pytest.fixture
def scene_people(db):
    from geo_core.models import Subject

    return Subject.objects.create(kind="person", external_id="SEAM-1", name="接缝", person_type="01")
