"""Special equipment's faults as alarms (EQP-1, seed 001: 故障 ... 故障处置逾期预警): a fault its IoT monitor reports
(or a limit the service sees passed) raises at once with the fault's severity (trapped passengers: critical) and ends
when the monitor no longer reports it; a fault still reported past its time to handle (`geo_core.equipment_codes`: 30
minutes for trapped passengers, per TSG T5002's rescue time) raises `equipment_fault_overdue`, escalated.

Inputs come from the worker as `Fault` values (`Engine.equipment`): a fault's start (with the device's place and
enterprise) or its end. The type remembers the open faults it raised for (`FaultMemory`) so the overdue check on
each tick needs nothing from outside."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alarms.catalogue import RuleType, register
from alarms.keys import AlarmKey
from geo_core.equipment_codes import FAULTS

if TYPE_CHECKING:
    from alarms.engine import Engine
    from alarms.specs import RuleSpec, Signal


@dataclass(frozen=True)
class Fault:
    """A fault's start (`ended` False) or end, as the worker hands it over."""

    id: int  # EquipmentFault id
    equipment: int
    code: str
    t: float
    ended: bool = False
    enterprise: int | None = None
    lon: float | None = None
    lat: float | None = None
    info: dict = field(default_factory=dict)  # registry code, name, kind, units, address; `dispatch` (its station)


@dataclass
class FaultMemory:
    open: dict[int, Fault] = field(default_factory=dict)  # fault id -> its start
    overdue: set[int] = field(default_factory=set)


def _key(rule: int, f: Fault, suffix: str = "") -> AlarmKey:
    return AlarmKey.of(rule, "equipment", f.equipment, f.code, f.id, *([suffix] if suffix else []))


def _evidence(r: RuleSpec, f: Fault) -> dict:
    spec = FAULTS[f.code]
    info = {k: v for k, v in f.info.items() if k != "dispatch"}
    return {
        "rule": r.id,
        "fault": f.code,
        "fault_label": spec.zh,
        "fault_id": f.id,
        "equipment": info,
        "dispatch": f.info.get("dispatch"),  # the rescue station sent (nearest of the maintenance unit's)
    }


def on_fault(e: Engine, rules: list[RuleSpec], f: Fault) -> list[Signal]:
    out: list[Signal] = []
    memory: FaultMemory = e.state("equipment_fault")
    for r in (r for r in rules if r.in_force(f.t) and r.enterprise_id in (None, f.enterprise)):
        if f.ended:
            for k in [k for k in e.open_for(r.id) if k.startswith(f"{r.id}:equipment:{f.equipment}:{f.code}:{f.id}")]:
                out.append(e.end(k, f.t, {"ended_by": "the monitor no longer reports it"}))
            continue
        e.new(
            out,
            r,
            _key(r.id, f),
            f.t,
            enterprise=f.enterprise,
            lon=f.lon,
            lat=f.lat,
            severity=FAULTS[f.code].severity,
            evidence=_evidence(r, f),
        )
    if f.ended:
        memory.open.pop(f.id, None)
        memory.overdue.discard(f.id)
    else:
        memory.open.setdefault(f.id, f)  # a repeat (the worker restarted) keeps the fault's first start
    return out


def overdue_tick(e: Engine, r: RuleSpec, now: float, occupants, out: list[Signal]) -> None:
    """A fault still reported past its time to handle: escalated, once per fault, ended with the fault."""
    memory: FaultMemory = e.state("equipment_fault")
    for fid, f in list(memory.open.items()):
        if fid in memory.overdue or r.enterprise_id not in (None, f.enterprise) or not r.in_force(now):
            continue
        due = FAULTS[f.code].handle_within_s
        if now - f.t >= due:
            memory.overdue.add(fid)
            evidence = {**_evidence(r, f), "handle_within_s": due, "fault_since": f.t}
            e.new(
                out, r, _key(r.id, f, "overdue"), now, enterprise=f.enterprise, lon=f.lon, lat=f.lat, evidence=evidence
            )


def overdue_on_fault(e: Engine, rules: list[RuleSpec], f: Fault) -> list[Signal]:
    """The escalation ends with its fault."""
    out: list[Signal] = []
    if f.ended:
        for r in rules:
            for k in [k for k in e.open_for(r.id) if k == _key(r.id, f, "overdue")]:
                out.append(e.end(k, f.t, {"ended_by": "the fault ended"}))
    return out


register(
    RuleType(
        "equipment_fault",
        "equipment",
        None,
        "orange",
        "特种设备故障",
        kinds=(),
        on={"equipment": on_fault},
        cause="a special equipment's IoT monitor reports a fault (`equipment/{registry_code}/reading`, `faults`), or "
        "its pressure, temperature or water level passes the device's limits; at once, with the fault's severity "
        "(困人 critical; 超速, 冲顶, 蹲底, 运行中开门, 超压, 超温 red; others orange or yellow)",
        ending="the monitor reports a reading without the fault",
        evidence=("fault", "fault_label", "fault_id", "equipment", "dispatch"),
        state=FaultMemory,
        safe_bounds={},
    )
)

register(
    RuleType(
        "equipment_fault_overdue",
        "equipment",
        None,
        "red",
        "故障处置逾期",
        kinds=(),
        on={"tick": overdue_tick, "equipment": overdue_on_fault},
        cause="a fault still reported after its time to handle (困人 30 min, per TSG T5002's rescue time; 超压, 超温, "
        "缺水 15 min; other faults 1 to 2 h: geo_core/equipment_codes.py)",
        ending="the fault ends",
        evidence=("fault", "fault_label", "fault_id", "equipment", "dispatch", "handle_within_s", "fault_since"),
    )
)
