"""The position history: day partitions on Asia/Shanghai days, created ahead of time; one row per
(subject, time); constraints on what a fix may hold."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from geo_core.models import Subject
from geo_core.partitions import PARK_TZ, ensure_partitions, existing_partitions, local_day, partition_name

pytestmark = pytest.mark.django_db

INSERT = """
INSERT INTO geo_core_positionfix (subject_id, time, geom, accuracy_m, source, raw_x, raw_y, raw_crs)
VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s, 0), 4490), %s, 'http', %s, %s, 'cgcs2000')
ON CONFLICT DO NOTHING
RETURNING tableoid::regclass::text
"""


@pytest.fixture
def tag(enterprise) -> Subject:
    return Subject.objects.create(kind="person", external_id="P1", enterprise=enterprise, person_type="01")


def insert(subject_id: int, when: datetime, lon: float = 121.40, lat: float = 30.78, accuracy=2.0):
    with connection.cursor() as cur:
        cur.execute(INSERT, [subject_id, when, lon, lat, accuracy, lon, lat])
        row = cur.fetchone()
    return row[0] if row else None


def test_partitions_exist_for_today_and_the_days_ahead():
    today = local_day(datetime.now(PARK_TZ))
    days = set(existing_partitions())
    ahead = settings.CONFIG.partition_days_ahead
    behind = settings.CONFIG.partition_days_behind
    wanted = {today + timedelta(days=d) for d in range(-behind, ahead + 1)}
    assert wanted <= days, f"missing partitions: {sorted(wanted - days)}"


def test_ensure_partitions_is_idempotent():
    first = ensure_partitions(date(2030, 1, 1), date(2030, 1, 3))
    again = ensure_partitions(date(2030, 1, 1), date(2030, 1, 3))
    assert first == again == [partition_name(date(2030, 1, d)) for d in (1, 2, 3)]


def test_fixes_land_in_the_partition_of_their_shanghai_day(tag):
    ensure_partitions(date(2030, 1, 1), date(2030, 1, 2))
    late_evening = datetime(2030, 1, 1, 23, 30, tzinfo=PARK_TZ)  # 15:30 UTC
    just_after_midnight = datetime(2030, 1, 2, 0, 30, tzinfo=PARK_TZ)  # 16:30 UTC, the same UTC day
    assert insert(tag.id, late_evening) == partition_name(date(2030, 1, 1))
    assert insert(tag.id, just_after_midnight) == partition_name(date(2030, 1, 2))


def test_a_fix_that_arrives_twice_is_stored_once(tag):
    when = datetime.now(PARK_TZ).replace(microsecond=0)
    assert insert(tag.id, when) is not None
    assert insert(tag.id, when, lon=121.41) is None
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), min(ST_X(geom)) FROM geo_core_positionfix WHERE subject_id = %s", [tag.id])
        assert cur.fetchone() == (1, 121.40)


def test_a_day_without_a_partition_is_refused_not_lost_silently(tag):
    with pytest.raises(Exception, match="no partition of relation"), transaction.atomic():
        insert(tag.id, datetime(1999, 1, 1, tzinfo=PARK_TZ))


@pytest.mark.parametrize(
    ("lon", "lat", "accuracy", "constraint"),
    [(200.0, 30.0, 2.0, "positionfix_lonlat_range"), (121.4, 30.8, -1.0, "accuracy_m_check")],
)
def test_fix_constraints(tag, lon, lat, accuracy, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        insert(tag.id, datetime.now(PARK_TZ), lon=lon, lat=lat, accuracy=accuracy)


def test_time_is_indexed_with_brin():
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'geo_core_positionfix'")
        defs = " ".join(r[0] for r in cur.fetchall())
    assert 'USING brin ("time")' in defs or "USING brin (time)" in defs


def test_retention_drops_only_partitions_older_than_the_cutoff():
    from geo_core.partitions import drop_before

    ensure_partitions(date(2020, 1, 1), date(2020, 1, 3))
    dropped = drop_before(date(2020, 1, 3))
    assert partition_name(date(2020, 1, 1)) in dropped
    assert partition_name(date(2020, 1, 2)) in dropped
    days = set(existing_partitions())
    assert date(2020, 1, 3) in days
    assert date(2020, 1, 1) not in days
