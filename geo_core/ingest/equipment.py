"""Readings of special equipment's IoT monitors (EQP-1; seed 001: "实时查看最新的运行数据,楼层,上下行,运行时间,
运行次数"), on the device path (MQTT `equipment/{registry_code}/reading`, and the HTTP fallback through
devices.process):

    {"ts": 1795000000000, "floor": 12, "direction": "up" | "down" | "stop", "door": "open" | "closed",
     "running_h": 8123.5, "runs": 120345, "speed_mps": 1.5, "load_pct": 40,
     "pressure_mpa": 1.2, "temperature_c": 180.0, "water_level_mm": 40, "faults": ["trapped", ...]}

Every field but `ts` is optional (a boiler sends no floor). What is kept:
- the **live state** (`EquipmentState`: the latest reading with its active faults), and the device's `monitoring`
  (在线, 故障, 报警; 离线 after `OFFLINE_AFTER_S` of silence) with `monitored_at`, when that last changed; a reading
  older than the state (late, or the same one again) changes nothing and counts as a duplicate, so a redelivered
  message is harmless;
- the **fault history** (`EquipmentFault`): a fault starts when a reading first names it (or its pressure or
  temperature passes the device's limits, `attributes.limits`) and ends at the first reading that no longer does.
  Floors and doors are not kept as history: ten thousand elevators reporting every 5 s would be 170 million rows a
  day of what the live state already shows.
Rows are locked in id order while their transitions are worked out, so two workers never open one fault twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db import connection

from geo_core import equipment_upkeep
from geo_core.equipment_codes import DIRECTIONS, DOORS, FAULTS, MAX_FAULTS
from geo_core.ingest.records import RecordError, choice, number, timestamp, whole
from geo_core.models import EquipmentFault

NUMBERS = {  # field: (lo, hi, integer)
    "floor": (-20, 300, True),
    "running_h": (0, 2_000_000, False),
    "runs": (0, 10**12, True),
    "speed_mps": (0, 20, False),
    "load_pct": (0, 300, False),
    "pressure_mpa": (-0.2, 100, False),
    "temperature_c": (-60, 1200, False),
    "water_level_mm": (-2000, 5000, False),
}
KNOWN = {"ts", "direction", "door", "faults", *NUMBERS}


@dataclass
class Reading:
    index: int
    topic: str
    code: str  # registry code
    time: datetime
    values: dict
    faults: frozenset[str]
    raw: bytes


def parse(index: int, topic: str, code: str, body: dict, raw: bytes) -> Reading:
    """A reading, or RecordError naming the field and why."""
    unknown = sorted(set(body) - KNOWN)
    if unknown:
        raise RecordError(unknown[0][:40], f"not a reading field; fields: {', '.join(sorted(KNOWN))}")
    values: dict = {}
    for name in [n for n in NUMBERS if n in body]:  # the fields it sends (a lift sends 3 or 4 of the 8)
        lo, hi, integer = NUMBERS[name]
        v = (
            whole(body, name, optional=True, lo=lo, hi=hi)
            if integer
            else number(body, name, optional=True, lo=lo, hi=hi)
        )
        if v is not None:
            values[name] = v
    for name, allowed in (("direction", DIRECTIONS), ("door", DOORS)):
        v = choice(body, name, set(allowed), optional=True)
        if v:
            values[name] = v
    faults = body.get("faults", [])
    if not isinstance(faults, list) or len(faults) > MAX_FAULTS or not all(isinstance(f, str) for f in faults):
        raise RecordError("faults", f"a list of at most {MAX_FAULTS} fault codes")
    for f in faults:
        if f not in FAULTS:
            raise RecordError("faults", f"{f[:40]!r} is not a fault code; codes: {', '.join(FAULTS)}")
    return Reading(index, topic, code, timestamp(body, "ts"), values, frozenset(faults), raw)


def _derived(values: dict, limits: dict) -> set[str]:
    """Faults the service reads from the values against the device's own limits (its registration's)."""
    out = set()
    for field, limit, fault in (
        ("pressure_mpa", "pressure_max_mpa", "overpressure"),
        ("temperature_c", "temperature_max_c", "overtemperature"),
    ):
        if field in values and isinstance(limits.get(limit), (int, float)) and values[field] > limits[limit]:
            out.add(fault)
    low = limits.get("water_level_min_mm")
    if "water_level_mm" in values and isinstance(low, (int, float)) and values["water_level_mm"] < low:
        out.add("low_water")
    return out


def monitoring_of(faults: set[str] | frozenset[str]) -> str:
    """The monitor's state the map shows: 报警 for a life-safety fault, 故障 for any other, else 在线."""
    if any(FAULTS[f].severity == "critical" for f in faults):
        return "alarm"
    return "fault" if faults else "online"


STATE = """
INSERT INTO geo_core_equipmentstate AS s (equipment_id, time, live)
VALUES {rows}
ON CONFLICT (equipment_id) DO UPDATE SET time = EXCLUDED.time, live = EXCLUDED.live WHERE s.time < EXCLUDED.time
"""
MONITORING = """
UPDATE geo_core_specialequipment e SET monitoring = v.m, monitored_at = v.t::timestamptz, updated_at = now()
  FROM (VALUES {rows}) AS v(id, m, t)
 WHERE e.id = v.id::bigint
"""


def _json(value) -> dict:
    if isinstance(value, (str, bytes)):
        value = orjson.loads(value)
    return value if isinstance(value, dict) else {}


def store(readings: list[tuple[Reading, int]]) -> tuple[int, int, int]:
    """Apply readings (with their equipment ids) in the caller's transaction. Returns (applied, duplicates,
    fault transitions). The device's own row is written only when its monitoring state changes (its tiles and
    counts follow that row's change notices); the reading itself goes to its state row."""
    if not readings:
        return 0, 0, 0
    ids = sorted({eid for _, eid in readings})
    with connection.cursor() as cur:
        cur.execute(
            "SELECT e.id, s.time, s.live -> 'faults', e.attributes -> 'limits', e.monitoring "
            "FROM geo_core_specialequipment e "
            "LEFT JOIN geo_core_equipmentstate s ON s.equipment_id = e.id "
            "WHERE e.id = ANY(%s) ORDER BY e.id FOR UPDATE OF e",
            [ids],
        )
        rows = {r[0]: r[1:] for r in cur.fetchall()}
    by_device: dict[int, list[Reading]] = {}
    for r, eid in readings:
        by_device.setdefault(eid, []).append(r)
    applied = duplicates = 0
    starts: list[EquipmentFault] = []
    ends: list[tuple[int, str, datetime]] = []
    states: list[tuple] = []
    changed: list[tuple] = []
    for eid, rs in by_device.items():
        seen, live_faults, limits, monitoring = rows[eid]
        limits = _json(limits)  # Django's cursor hands jsonb over as text
        faults = orjson.loads(live_faults) if isinstance(live_faults, (str, bytes)) else live_faults
        active = set(faults) if isinstance(faults, list) else set()
        newest = None
        for r in sorted(rs, key=lambda r: r.time):
            if seen is not None and r.time <= seen:
                duplicates += 1
                continue
            now_active = set(r.faults) | _derived(r.values, limits)
            for code in sorted(active - now_active):
                ends.append((eid, code, r.time))
            for code in sorted(now_active - active):
                starts.append(EquipmentFault(equipment_id=eid, code=code, started_at=r.time, reading=r.values))
            active, seen, newest = now_active, r.time, r
            applied += 1
        if newest is not None:
            state = {**newest.values, "faults": sorted(active)}
            states.append((eid, newest.time, orjson.dumps(state).decode()))
            if monitoring_of(active) != monitoring:
                changed.append((eid, monitoring_of(active), newest.time.isoformat()))
    with connection.cursor() as cur:
        if states:
            cur.execute(
                STATE.format(rows=", ".join(["(%s, %s, %s::jsonb)"] * len(states))), [v for s in states for v in s]
            )
        if changed:
            cur.execute(
                MONITORING.format(rows=", ".join(["(%s, %s, %s)"] * len(changed))), [v for c in changed for v in c]
            )
        for eid, code, t in ends:
            cur.execute(
                "UPDATE geo_core_equipmentfault SET ended_at = %s "
                "WHERE equipment_id = %s AND code = %s AND ended_at IS NULL",
                [t, eid, code],
            )
    if starts:
        EquipmentFault.objects.bulk_create(starts, ignore_conflicts=True)
        equipment_upkeep.dispatch(sorted({f.equipment_id for f in starts}))
    return applied, duplicates, len(starts) + len(ends)


def resolve(codes: set[str]) -> dict[str, int]:
    """Registry code -> equipment id, one indexed query per batch."""
    if not codes:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT registry_code, id FROM geo_core_specialequipment WHERE registry_code = ANY(%s)", [list(codes)]
        )
        return dict(cur.fetchall())


def offline_sweep(after_s: int) -> int:
    """Monitors silent longer than `after_s` become 离线 (their faults stay open: a silent elevator with trapped
    passengers is not rescued by its silence); the next reading brings them back. Returns how many changed."""
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE geo_core_specialequipment e SET monitoring = 'offline', monitored_at = now(), updated_at = now() "
            "FROM geo_core_equipmentstate s WHERE s.equipment_id = e.id "
            "AND s.time < now() - make_interval(secs => %s) AND e.monitoring <> 'offline'",
            [float(after_s)],
        )
        return cur.rowcount
