"""The one write path for positions (DESIGN: COPY into staging, INSERT ... ON CONFLICT, then the state table).

write_fixes() takes a columnar batch already in CGCS2000 and, in one transaction:
1. COPYs it into a session-local staging table;
2. inserts it into the day partitions of geo_core_positionfix, skipping fixes already stored (subject, time);
3. moves SubjectState forward only for subjects whose newest new fix is newer than their state (late fixes feed
   history, not the live view: ING-4);
4. NOTIFYs `geo_core_positions` with the batch id and time range, delivered by PostgreSQL at commit, so listeners
   (alarms, live layers) never see a batch that rolled back.
"""

from __future__ import annotations

import json
import logging
import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db import connections, transaction

from geo_core.partitions import ensure_partitions, local_day

log = logging.getLogger(__name__)
CHANNEL = "geo_core_positions"
EVENTS_CHANNEL = "geo_core_events"
_known_days: set[date] = set()

STAGING = """
CREATE TEMP TABLE IF NOT EXISTS ingest_staging (
  subject_id bigint, time timestamptz, lon float8, lat float8, z float8, accuracy_m float8, floor int2,
  speed_mps float8, heading_deg float8, source text, raw_x float8, raw_y float8, raw_z float8, raw_crs text
) ON COMMIT DELETE ROWS
"""
COLUMNS = (
    "subject_id",
    "time",
    "lon",
    "lat",
    "z",
    "accuracy_m",
    "floor",
    "speed_mps",
    "heading_deg",
    "source",
    "raw_x",
    "raw_y",
    "raw_z",
    "raw_crs",
)

WRITE = """
WITH ins AS (
  INSERT INTO geo_core_positionfix (subject_id, time, geom, accuracy_m, floor, speed_mps, heading_deg, source,
                                    raw_x, raw_y, raw_z, raw_crs, batch_id)
  SELECT subject_id, time, ST_SetSRID(ST_MakePoint(lon, lat, coalesce(z, 0)), 4490), accuracy_m, floor, speed_mps,
         heading_deg, source, raw_x, raw_y, raw_z, raw_crs, %(batch)s
  FROM ingest_staging
  ON CONFLICT DO NOTHING
  RETURNING subject_id, time, geom, accuracy_m, floor, speed_mps, heading_deg, source
), latest AS (
  SELECT DISTINCT ON (subject_id) * FROM ins ORDER BY subject_id, time DESC
), upd AS (
  INSERT INTO geo_core_subjectstate AS st (subject_id, time, geom, accuracy_m, floor, speed_mps, heading_deg, source,
                                           online, live, updated_at)
  SELECT subject_id, time, geom, accuracy_m, floor, speed_mps, heading_deg, source, true, '{}'::jsonb, now()
  FROM latest
  ON CONFLICT (subject_id) DO UPDATE SET
    time = EXCLUDED.time, geom = EXCLUDED.geom, accuracy_m = EXCLUDED.accuracy_m, floor = EXCLUDED.floor,
    speed_mps = EXCLUDED.speed_mps, heading_deg = EXCLUDED.heading_deg, source = EXCLUDED.source, online = true,
    updated_at = now()
  WHERE st.time < EXCLUDED.time
  RETURNING subject_id
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM latest), (SELECT count(*) FROM upd),
       (SELECT min(time) FROM ins), (SELECT max(time) FROM ins)
"""


@dataclass
class FixBatch:
    """Positions in columns, CGCS2000 lon/lat; NaN means "not given" for the optional columns."""

    subject_id: np.ndarray  # int64
    time: list[datetime]  # timezone-aware
    lon: np.ndarray
    lat: np.ndarray
    source: str
    raw_x: np.ndarray
    raw_y: np.ndarray
    raw_crs: list[str]
    z: np.ndarray | None = None
    raw_z: np.ndarray | None = None
    accuracy_m: np.ndarray | None = None
    floor: np.ndarray | None = None
    speed_mps: np.ndarray | None = None
    heading_deg: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.subject_id.shape[0])


@dataclass
class WriteResult:
    batch_id: int
    received: int
    inserted: int
    duplicates: int
    subjects: int
    states_updated: int
    history_only: int  # subjects whose new fixes were all older than their live state
    first: datetime | None
    last: datetime | None
    seconds: float = 0.0
    notified: dict = field(default_factory=dict)


NULL = "\\N"


def _floats(a: np.ndarray | None, n: int) -> list[str]:
    """Column of COPY text for a float array (NaN or absent = NULL). repr() of Python floats is the shortest exact
    form, and cheaper than numpy's str conversion; all-NULL columns (the usual optional ones) cost nothing."""
    if a is None:
        return [NULL] * n
    nan = np.isnan(a)
    if nan.all():
        return [NULL] * n
    values = list(map(repr, a.tolist()))
    if nan.any():
        for i in np.flatnonzero(nan).tolist():
            values[i] = NULL
    return values


def _ints(a: np.ndarray | None, n: int) -> list[str]:
    if a is None or np.isnan(a).all():
        return [NULL] * n
    return [NULL if v != v else str(int(v)) for v in a.tolist()]


def _copy_text(batch: FixBatch) -> bytes:
    """The batch as COPY text, built column by column with numpy (not value by value in Python)."""
    n = len(batch)
    micros = np.array([t.timestamp() for t in batch.time]) * 1e6
    times = np.datetime_as_string(np.round(micros).astype("datetime64[us]"), unit="us", timezone="UTC")
    cols = [
        list(map(str, batch.subject_id.tolist())),
        times.tolist(),
        _floats(batch.lon, n),
        _floats(batch.lat, n),
        _floats(batch.z, n),
        _floats(batch.accuracy_m, n),
        _ints(batch.floor, n),
        _floats(batch.speed_mps, n),
        _floats(batch.heading_deg, n),
        [batch.source] * n,
        _floats(batch.raw_x, n),
        _floats(batch.raw_y, n),
        _floats(batch.raw_z, n),
        batch.raw_crs,
    ]
    lines = "\n".join(map("\t".join, zip(*cols, strict=True)))
    return (lines + "\n").encode()


def _ensure_days(times: list[datetime], using: str) -> None:
    """Partitions for every day the batch spans (from its first to its last fix), created once per process."""
    first, last = local_day(min(times)), local_day(max(times))
    days = {first + timedelta(days=k) for k in range((last - first).days + 1)}
    if not days <= _known_days:
        ensure_partitions(first, last, using)
        _known_days.update(days)


def write_fixes(batch: FixBatch, using: str = "default", notify: bool = True) -> WriteResult:
    """Store a batch; safe to call again with the same fixes (they are counted as duplicates)."""
    started = _time.perf_counter()
    if len(batch) == 0:
        return WriteResult(0, 0, 0, 0, 0, 0, 0, None, None)
    _ensure_days(batch.time, using)
    data = _copy_text(batch)
    conn = connections[using]
    with transaction.atomic(using=using), conn.cursor() as cur:
        cur.execute("SELECT nextval('geo_core_ingest_batch_seq')")
        batch_id = cur.fetchone()[0]
        cur.execute(STAGING)
        with cur.cursor.copy(f"COPY ingest_staging ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(data)
        cur.execute(WRITE, {"batch": batch_id})
        inserted, subjects, updated, first, last = cur.fetchone()
        payload = {
            "batch": batch_id,
            "source": batch.source,
            "count": inserted,
            "subjects": subjects,
            "first": first.isoformat() if first else None,
            "last": last.isoformat() if last else None,
        }
        if notify and inserted:
            cur.execute("SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps(payload)])
    result = WriteResult(
        batch_id=batch_id,
        received=len(batch),
        inserted=inserted,
        duplicates=len(batch) - inserted,
        subjects=subjects,
        states_updated=updated,
        history_only=subjects - updated,
        first=first,
        last=last,
        seconds=_time.perf_counter() - started,
        notified=payload if notify and inserted else {},
    )
    log.debug("batch written", extra={"batch": batch_id, "inserted": inserted, "seconds": round(result.seconds, 4)})
    return result


def notify_events(using: str = "default") -> None:
    """Wake listeners (the alarm worker) at commit: device events or reported alarms (SOS) that need a prompt look."""
    with connections[using].cursor() as cur:
        cur.execute("SELECT pg_notify(%s, '')", [EVENTS_CHANNEL])
