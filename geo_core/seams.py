"""What geo_core offers other rooms to read, as rows of documented shapes (pygeoapi's provider seam): the alarm
worker reads fixes, live states, welders' power, subjects and permits through these functions and never writes SQL
against geo_core's tables, so a change of those tables changes this module and its tests, not the engine's feed.

Shapes:
- a fix: (subject id, epoch seconds, lon, lat, floor or NaN, batch id or None, accuracy in metres or NaN), CGCS2000;
- a subject: (id, kind, external id, enterprise id, person type, tags, provisional, shift time-window id);
- a permit in force (issued, in progress, paused): see PERMITS' columns;
- contractors' paperwork: see STAFF and UNITS' columns, and (enterprise, day, special work) of daily filings.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

FIXES = """
SELECT subject_id, extract(epoch FROM time), ST_X(geom), ST_Y(geom), coalesce(floor::float8, 'NaN'), batch_id,
       coalesce(accuracy_m::float8, 'NaN')
FROM geo_core_positionfix WHERE {where}
"""

SUBJECTS = """
SELECT id, kind, external_id, enterprise_id, person_type,
       coalesce(ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(attributes->'tags')
                = 'array' THEN attributes->'tags' ELSE '[]'::jsonb END)), '{}'), provisional, shift_id
FROM geo_core_subject WHERE
"""

STAFF = """
SELECT s.id, st.id, st.name, c.credit_code,
       ARRAY(SELECT ARRAY[q.valid_from::text, q.valid_until::text] FROM geo_core_qualification q
             WHERE q.staff_id = st.id AND q.park_certified AND NOT q.revoked),
       ARRAY(SELECT ARRAY[t.completed_on::text, t.valid_until::text] FROM geo_core_training t
             WHERE t.staff_id = st.id AND t.passed),
       ARRAY(SELECT ARRAY[f.enterprise_id::text, f.valid_from::text, f.valid_until::text]
             FROM geo_core_stafffiling f JOIN geo_core_stafffiling_staff fs ON fs.stafffiling_id = f.id
             WHERE fs.contractorstaff_id = st.id)
FROM geo_core_subject s
JOIN geo_core_contractorstaff st ON st.identify_sha256 = s.attributes->>'identify_sha256' AND st.active
JOIN geo_core_contractor c ON c.id = st.contractor_id
WHERE s.kind = 'person' AND s.active
"""

UNITS = """
SELECT c.credit_code, c.name, c.blacklisted,
       ARRAY(SELECT ARRAY[q.valid_from::text, q.valid_until::text] FROM geo_core_qualification q
             WHERE q.contractor_id = c.id AND q.staff_id IS NULL AND q.park_certified AND NOT q.revoked)
FROM geo_core_contractor c
"""

PERMITS = """
SELECT p.id, p.ticket_no, p.ticket_type, p.status, p.enterprise_id, ST_X(p.location), ST_Y(p.location),
       ST_AsBinary(p.work_area), p.guardian_id,
       ARRAY(SELECT subject_id FROM geo_core_workpermit_workers w WHERE w.workpermit_id = p.id),
       p.approver_id, p.planned_end, p.actual_start, coalesce((p.attributes->>'upgraded')::boolean, false),
       NOT EXISTS (SELECT 1 FROM geo_core_site s WHERE s.enterprise_id = p.enterprise_id
                   AND ST_Covers(s.footprint, p.location)) AS outside_site,
       CASE WHEN p.approver_id IS NULL OR p.approved_at IS NULL THEN NULL ELSE coalesce((
         SELECT ST_Distance(f.geom::geography, p.location::geography) FROM geo_core_positionfix f
         WHERE f.subject_id = p.approver_id AND f.time BETWEEN p.approved_at - interval '5 minutes'
                                              AND p.approved_at + interval '5 minutes'
         ORDER BY abs(extract(epoch FROM f.time - p.approved_at)) LIMIT 1), 'Infinity') END,
       p.planned_start, p.video_url <> '' OR EXISTS (SELECT 1 FROM geo_core_permitattachment a
                                                     WHERE a.permit_id = p.id AND a.kind = 'video'),
       coalesce(c.credit_code, upper(p.attributes->'reported'->>'CONTRACTOR_CODE'), '')
FROM geo_core_workpermit p LEFT JOIN geo_core_contractor c ON c.id = p.contractor_id
WHERE p.status IN (1, 2, 6) AND NOT p.deleted
"""


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchall()


def fixes_of_batches(ids: list[int], first: datetime, last: datetime) -> list[tuple]:
    """The fixes of these ingest batches (their times between first and last: the partitions to read)."""
    return _rows(FIXES.format(where="batch_id = ANY(%s) AND time BETWEEN %s AND %s"), [ids, first, last])


def fixes_after(floor: int, done: list[int], not_before: datetime) -> list[tuple]:
    """The fixes of batches after `floor` that are not in `done`, of times from `not_before` (catching up)."""
    return _rows(
        FIXES.format(where="batch_id > %s AND NOT batch_id = ANY(%s) AND time >= %s"), [floor, done, not_before]
    )


def live_fixes() -> list[tuple]:
    """Every subject's live position as a fix (batch None): where an engine starting afresh begins."""
    return _rows(
        """SELECT subject_id, extract(epoch FROM time), ST_X(geom), ST_Y(geom),
                  coalesce(floor::float8, 'NaN'), NULL, coalesce(accuracy_m::float8, 'NaN')
           FROM geo_core_subjectstate"""
    )


def batch_cursor() -> int:
    """The newest ingest batch number handed out: batches after it are still to come."""
    return _rows("SELECT last_value FROM geo_core_ingest_batch_seq")[0][0]


def welder_power() -> list[tuple[int, bool, float]]:
    """(subject, powered, last heard in epoch seconds) of every welder whose power state is known."""
    return _rows(
        """SELECT s.subject_id, coalesce(s.live->>'power', '') = 'on',
                  greatest(extract(epoch FROM s.time),
                           coalesce(extract(epoch FROM (s.live->>'heartbeat_at')::timestamptz), 0))
           FROM geo_core_subjectstate s JOIN geo_core_subject j ON j.id = s.subject_id
           WHERE j.kind = 'welder' AND s.live ? 'power'"""
    )


def fix_at(subject: int, time: datetime) -> tuple | None:
    """(lon, lat, district code, accuracy) of a subject's latest fix within the hour before `time`, or None."""
    rows = _rows(
        """SELECT ST_X(f.geom), ST_Y(f.geom),
                  (SELECT code FROM geo_core_region r WHERE r.level = 'district'
                   AND ST_Intersects(r.geom, f.geom) LIMIT 1), f.accuracy_m
           FROM geo_core_positionfix f WHERE f.subject_id = %s AND f.time <= %s
           AND f.time > %s - interval '1 hour' ORDER BY f.time DESC LIMIT 1""",
        [subject, time, time],
    )
    return rows[0] if rows else None


def subject_rows(ids: set[int] | None = None) -> list[tuple]:
    """Subjects: the active ones, or these (active or not)."""
    if ids is None:
        return _rows(SUBJECTS + "active")
    return _rows(SUBJECTS + "id = ANY(%s)", [sorted(ids)])


def permit_rows() -> list[tuple]:
    """Permits in force, with what their rules weigh (PERMITS)."""
    return _rows(PERMITS)


def permit_crews() -> list[tuple[int, str, int | None, list[int]]]:
    """(enterprise, ticket number, guardian, workers) of every permit in force."""
    return _rows(
        """SELECT p.enterprise_id, p.ticket_no, p.guardian_id,
                      ARRAY(SELECT subject_id FROM geo_core_workpermit_workers w WHERE w.workpermit_id = p.id)
               FROM geo_core_workpermit p WHERE p.status IN (1, 2, 6) AND NOT p.deleted"""
    )


def contractor_staff_rows() -> list[tuple]:
    """Positioned people who are a contractor's active staff, with their certificates, trainings and filings."""
    return _rows(STAFF)


def contractor_rows() -> list[tuple]:
    """Contractor units with their own certificates and whether they are blacklisted."""
    return _rows(UNITS)


def daily_filing_rows() -> list[tuple]:
    """Enterprises' daily filings of special work, from yesterday (Shanghai) on."""
    return _rows(
        "SELECT enterprise_id, day::text, special_work FROM geo_core_dailyfiling "
        "WHERE day >= (now() AT TIME ZONE 'Asia/Shanghai')::date - 1"
    )
