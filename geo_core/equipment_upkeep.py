"""Keeping special equipment (seed 001, the elevator maintenance platform): its upkeep state, the rescue station a
fault is sent to, and the check-in that proves someone came.

- **Upkeep state** (`geo_core.equipment_codes.UPKEEP_STATES`, worst first): 超期未检 (the next inspection's day has
  passed), 检验不合格, 维保逾期 (the last maintenance is older than the device's interval: 15 days for an elevator,
  TSG T5002), 维保合同到期 and 维保资质到期 (within 30 days, or past), 下月应检 (due before the end of next month),
  维保临期 (maintenance due within 3 days). A device's worst state is kept on its row (`upkeep`, swept every minute
  by the ingest worker and at once after a record), so the map's tiles follow the row's change notices rather than
  the clock; every state it is in is `concerns()`, which the alarm worker turns into reminders.
- **Dispatch** (故障调度): a fault's start is sent to the device's maintenance unit's nearest rescue station, by the
  straight line on the ellipsoid (KNN on the index, then geography distance among the closest few).
- **Arrival**: a check-in at the device (一键签到: the tablet's position and accuracy) is accepted when its accuracy
  circle meets the device's site (the site footprint holding the device, else `NEAR_M` around it); or one of the
  unit's staff (people of the unit's enterprise) is seen there by their tags after the dispatch.

Days are the park's calendar days (Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.gis.geos import Point
from django.db import connection, transaction

from geo_core.equipment_codes import EXPIRY_WARNING_DAYS, MAINTENANCE_DUE_DAYS, UPKEEP_STATES
from geo_core.errors import BadRequestError
from geo_core.models import SpecialEquipment, UpkeepRecord
from geo_core.partitions import local_day

NEAR_M = 30.0  # a device outside any site: a check-in this close counts (plus the position's accuracy)
MAX_ACCURACY_M = 200.0  # a position vaguer than this proves nothing about where someone is
CANDIDATES = 5  # stations ranked by KNN before the exact distance decides

# The conditions, each over `q` (the device) and `u` (its maintenance unit), as of the database's now() and the park's
# calendar day; `since` is when the state began (a reminder's time).
_TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
CONDITIONS: dict[str, tuple[str, str]] = {
    "inspection_overdue": (f"q.inspection_due < {_TODAY}", "q.inspection_due::timestamp AT TIME ZONE 'Asia/Shanghai'"),
    "inspection_failed": (
        "q.inspection_passed IS FALSE",
        "coalesce(q.inspected_on::timestamp AT TIME ZONE 'Asia/Shanghai', q.updated_at)",
    ),
    "maintenance_overdue": (
        "q.maintained_at + make_interval(days => q.maintenance_interval_days) < now()",
        "q.maintained_at + make_interval(days => q.maintenance_interval_days)",
    ),
    "contract_expiring": (
        f"q.contract_expires < {_TODAY} + {EXPIRY_WARNING_DAYS}",
        f"(q.contract_expires - {EXPIRY_WARNING_DAYS})::timestamp AT TIME ZONE 'Asia/Shanghai'",
    ),
    "qualification_expiring": (
        f"u.licence_expires < {_TODAY} + {EXPIRY_WARNING_DAYS}",
        f"(u.licence_expires - {EXPIRY_WARNING_DAYS})::timestamp AT TIME ZONE 'Asia/Shanghai'",
    ),
    "inspection_due": (
        f"q.inspection_due < (date_trunc('month', {_TODAY}) + interval '2 months')::date",
        "date_trunc('month', q.inspection_due - interval '1 month') AT TIME ZONE 'Asia/Shanghai'",
    ),
    "maintenance_due": (
        f"q.maintained_at + make_interval(days => q.maintenance_interval_days - {MAINTENANCE_DUE_DAYS}) < now()",
        f"q.maintained_at + make_interval(days => q.maintenance_interval_days - {MAINTENANCE_DUE_DAYS})",
    ),
}
WORST = (
    "CASE " + " ".join(f"WHEN {CONDITIONS[u.code][0]} THEN '{u.code}'" for u in UPKEEP_STATES[:-1]) + " ELSE 'ok' END"
)
FROM = "geo_core_specialequipment q LEFT JOIN geo_core_maintenanceunit u ON u.id = q.maintenance_unit_id"
# The device's unit's closest stations by the index (KNN in degrees), for the exact geography distance to rank.
CLOSEST = f"""(SELECT * FROM geo_core_rescuestation s WHERE s.unit_id = q.maintenance_unit_id
               ORDER BY s.location <-> q.location LIMIT {CANDIDATES})"""


def sweep(ids: list[int] | None = None) -> int:
    """Bring each device's `upkeep` to its worst state now (all devices, or `ids`); only rows whose state changed are
    written (their tiles are dropped by the change notice). Returns how many changed."""
    where = "AND q.id = ANY(%s)" if ids is not None else ""
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE geo_core_specialequipment t SET upkeep = w.state, updated_at = now()
                FROM (SELECT q.id, {WORST} AS state FROM {FROM} WHERE true {where}) w
                WHERE t.id = w.id AND t.upkeep IS DISTINCT FROM w.state""",
            [ids] if ids is not None else [],
        )
        return cur.rowcount


@dataclass(frozen=True)
class Concern:
    """A device in an upkeep state that raises a reminder (`Upkeep.alarm`)."""

    equipment: int
    state: str
    since: float
    enterprise: int | None
    lon: float
    lat: float
    info: dict


def concerns() -> list[Concern]:
    """Every (device, state) that raises a reminder now, with the state's start: the alarm worker's input."""
    states = [u for u in UPKEEP_STATES if u.alarm]
    union = " UNION ALL ".join(
        f"SELECT q.id, '{u.code}' AS state, {CONDITIONS[u.code][1]} AS since FROM {FROM} WHERE {CONDITIONS[u.code][0]}"
        for u in states
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT c.id, c.state, extract(epoch FROM c.since), q.enterprise_id, ST_X(q.location), ST_Y(q.location),
                       q.registry_code, q.name, q.kind, q.using_unit, u.name, q.address, q.inspection_due,
                       q.maintained_at, q.contract_expires, u.licence_expires
                FROM ({union}) c JOIN {FROM} ON q.id = c.id ORDER BY c.id, c.state"""
        )
        out = []
        for r in cur.fetchall():
            info = {
                "id": r[0],
                "registry_code": r[6],
                "name": r[7],
                "kind": r[8],
                "using_unit": r[9],
                "maintenance_unit": r[10],
                "address": r[11],
                "inspection_due": _iso(r[12]),
                "maintained_at": _iso(r[13]),
                "contract_expires": _iso(r[14]),
                "licence_expires": _iso(r[15]),
            }
            out.append(Concern(r[0], r[1], float(r[2]), r[3], r[4], r[5], info))
        return out


def _iso(v: date | datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def nearest_stations(equipment_id: int, limit: int = 3) -> list[dict]:
    """The device's maintenance unit's rescue stations, nearest first, with the straight-line distance in metres."""
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT s.id, s.name, s.phone, u.name, ST_X(s.location), ST_Y(s.location),
                       ST_Distance(s.location::geography, q.location::geography) AS d
                FROM geo_core_specialequipment q
                JOIN LATERAL {CLOSEST} s ON true
                JOIN geo_core_maintenanceunit u ON u.id = s.unit_id
                WHERE q.id = %s ORDER BY d LIMIT %s""",
            [equipment_id, limit],
        )
        return [
            {
                "id": r[0],
                "name": r[1],
                "phone": r[2] or None,
                "unit": r[3],
                "lon": r[4],
                "lat": r[5],
                "distance_m": round(r[6], 1),
            }
            for r in cur.fetchall()
        ]


DISPATCH = f"""
INSERT INTO geo_core_equipmentdispatch (fault_id, station_id, distance_m, dispatched_at, arrival, arrived_by)
SELECT f.id, s.id, ST_Distance(s.location::geography, q.location::geography), f.started_at, '', ''
FROM geo_core_equipmentfault f JOIN geo_core_specialequipment q ON q.id = f.equipment_id
LEFT JOIN LATERAL (
    SELECT c.* FROM {CLOSEST} c
    ORDER BY ST_Distance(c.location::geography, q.location::geography) LIMIT 1) s ON true
WHERE f.equipment_id = ANY(%s) AND f.ended_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM geo_core_equipmentdispatch d WHERE d.fault_id = f.id)
ON CONFLICT (fault_id) DO NOTHING"""


def dispatch(equipment_ids: list[int]) -> int:
    """Send the open, not yet dispatched faults of these devices to their unit's nearest station (in the caller's
    transaction: the ingest's, as the faults start). A unit with no station gets a dispatch with none (the unit
    itself is told; the card says no station is known)."""
    if not equipment_ids:
        return 0
    with connection.cursor() as cur:
        cur.execute(DISPATCH, [equipment_ids])
        return cur.rowcount


SITE = """coalesce((SELECT st.footprint FROM geo_core_site st WHERE ST_Covers(st.footprint, q.location) LIMIT 1),
                   ST_Buffer(q.location::geography, %(near)s)::geometry)"""


def arrivals_sweep() -> int:
    """Dispatches whose crew has come: one of the unit's staff (people of the unit's enterprise) seen inside the
    device's site since the dispatch, by their latest position. Returns how many arrived."""
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE geo_core_equipmentdispatch d SET arrived_at = a.time, arrival = 'position', arrived_by = a.name
                FROM (SELECT DISTINCT ON (d.id) d.id, ss.time, coalesce(nullif(p.name, ''), p.external_id) AS name
                      FROM geo_core_equipmentdispatch d
                      JOIN geo_core_equipmentfault f ON f.id = d.fault_id
                      JOIN geo_core_specialequipment q ON q.id = f.equipment_id
                      JOIN geo_core_maintenanceunit u ON u.id = q.maintenance_unit_id
                      JOIN geo_core_subject p ON p.enterprise_id = u.enterprise_id AND p.kind = 'person'
                      JOIN geo_core_subjectstate ss ON ss.subject_id = p.id
                      WHERE d.arrived_at IS NULL AND d.dispatched_at > now() - interval '1 day'
                        AND ss.time >= d.dispatched_at
                        AND ST_Intersects(ST_Force2D(ss.geom), {SITE})
                      ORDER BY d.id, ss.time) a
                WHERE d.id = a.id""",
            {"near": NEAR_M},
        )
        return cur.rowcount


@dataclass(frozen=True)
class CheckIn:
    lon: float
    lat: float
    accuracy_m: float
    at: datetime


def check_in(
    equipment: SpecialEquipment,
    kind: str,
    by: str,
    where: CheckIn,
    *,
    user=None,
    passed: bool | None = None,
    next_due: date | None = None,
    notes: str = "",
    source: str = "page",
) -> UpkeepRecord:
    """`record` made at the device (一键签到): accepted when the check-in's accuracy circle meets the device's site;
    else BadRequestError with how far it was."""
    if where.accuracy_m > MAX_ACCURACY_M:
        raise BadRequestError(
            f"accuracy_m: {where.accuracy_m:g} m is too vague to place anyone at a device (at most {MAX_ACCURACY_M:g})"
        )
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT ST_Distance(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490)::geography, ({SITE})::geography)
                FROM geo_core_specialequipment q WHERE q.id = %(id)s""",
            {"lon": where.lon, "lat": where.lat, "id": equipment.id, "near": NEAR_M},
        )
        distance = float(cur.fetchone()[0])
    if distance > where.accuracy_m:
        raise BadRequestError(
            f"position: {distance:.0f} m from the device's site, beyond the position's accuracy "
            f"({where.accuracy_m:g} m): check in at the device"
        )
    return record(
        equipment,
        kind,
        by,
        where.at,
        user=user,
        passed=passed,
        next_due=next_due,
        notes=notes,
        source=source,
        checkin=(where, distance),
    )


def record(
    equipment: SpecialEquipment,
    kind: str,
    by: str,
    at: datetime,
    *,
    user=None,
    passed: bool | None = None,
    next_due: date | None = None,
    notes: str = "",
    source: str = "page",
    checkin: tuple[CheckIn, float] | None = None,
) -> UpkeepRecord:
    """Record maintenance, an inspection or a rescue crew's arrival (checked at the device, or reported by the
    enterprise's maintenance system through the report API). Maintenance restarts the interval; an inspection sets
    its verdict and, passed, the next due day; a rescue marks the device's open dispatches arrived."""
    if kind == "inspection" and (passed is None or (passed and next_due is None)):
        raise BadRequestError("passed: an inspection records its verdict, and when passed the next due day (next_due)")
    where, distance = checkin if checkin else (None, None)
    with transaction.atomic():
        out = UpkeepRecord.objects.create(
            equipment=equipment,
            kind=kind,
            done_at=at,
            by=by,
            unit=equipment.maintenance_unit,
            checkin=Point(where.lon, where.lat, srid=4490) if where else None,
            accuracy_m=where.accuracy_m if where else None,
            distance_m=round(distance, 1) if distance is not None else None,
            passed=passed,
            next_due=next_due,
            notes=notes,
            source=source,
            user=user if getattr(user, "pk", None) else None,
        )
        changed: list[str] = []
        if kind == "maintenance" and (equipment.maintained_at is None or at > equipment.maintained_at):
            equipment.maintained_at, changed = at, ["maintained_at"]
        elif kind == "inspection" and (equipment.inspected_on is None or local_day(at) >= equipment.inspected_on):
            equipment.inspected_on = local_day(at)  # the park's calendar day, not UTC's
            equipment.inspection_passed = passed
            equipment.inspection_due = next_due if passed else equipment.inspection_due
            changed = ["inspected_on", "inspection_passed", "inspection_due"]
        elif kind == "rescue":
            with connection.cursor() as cur:
                cur.execute(
                    """UPDATE geo_core_equipmentdispatch d SET arrived_at = %s, arrival = 'checkin', arrived_by = %s
                       FROM geo_core_equipmentfault f WHERE f.id = d.fault_id AND f.equipment_id = %s
                       AND d.arrived_at IS NULL AND d.dispatched_at <= %s""",
                    [at, by[:128], equipment.id, at],
                )
        if changed:
            equipment.save(update_fields=[*changed, "updated_at"])
            sweep([equipment.id])
    return out
