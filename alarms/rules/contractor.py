"""Contractor alarms of seed 002 (承包商预警): staff filed for one enterprise working on another's site, and units or
staff without a valid park qualification at work. They judge by `Engine.paperwork` (alarms.specs.Paperwork)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alarms.catalogue import RuleType, params, register
from alarms.keys import AlarmKey, FenceKey
from alarms.rules.permit import PERMIT_EVIDENCE, permit_end, permit_raise
from alarms.specs import RuleSpec, StaffInfo, lapse

if TYPE_CHECKING:
    from alarms.engine import Engine

AUTO = {"auto_dispatch": True, "route_department": "承包商管理"}


def _site_visits(e: Engine, r: RuleSpec, occupants, now: float, dwell_s: float):
    """Contractor staff on an enterprise's site (not the park's boundary) for at least `dwell_s`."""
    if e.paperwork is None:
        return
    for zid, key, s, m in e.visits(r, occupants):
        staff = e.paperwork.staff.get(s)
        z = e.zones[zid]
        if staff is None or z.enterprise_id is None or now - m.entered_at < dwell_s:
            continue
        if r.matches(e.subjects.get(s)) and e.zone_on(r, key, now):
            yield zid, s, m, staff, z.enterprise_id


def _filed_for(staff: StaffInfo, enterprise: int, t: float) -> bool:
    return any(ent == enterprise and a <= t < b for ent, a, b in staff.filed)


def elsewhere_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    p = params(r.type, r.params)
    for zid, s, m, staff, ent in _site_visits(e, r, occupants, now, p["dwell_s"]):
        key = AlarmKey.of(r.id, s, m.visit)
        if key in e.open or key in e.latched or _filed_for(staff, ent, now):
            continue
        filed_now = sorted({f for f, a, b in staff.filed if a <= now < b})
        ev = {
            "rule": r.id,
            "params": p,
            "staff": staff.name,
            "contractor": staff.contractor,
            "filed_for": filed_now,
            "filed_for_count": len(filed_now),
            "entered_at": m.entered_at,
        }
        lon, lat = m.where[2], m.where[3]
        e.new(out, r, key, now, subject=s, zone=zid, enterprise=ent, lon=lon, lat=lat, visit=m.visit, evidence=ev)
    for key in e.open_for(r.id):  # filed meanwhile: the work is in order now
        o = e.open[key]
        staff = e.paperwork.staff.get(o.subject) if e.paperwork else None
        ent = e.zones[o.zone].enterprise_id if o.zone in e.zones else None
        if staff is not None and ent is not None and _filed_for(staff, ent, now):
            out.append(e.end(key, now, {"reason": "filed for this enterprise"}))


register(
    RuleType(
        "contractor_elsewhere",
        "contractor",
        None,
        "alarm",
        "承包商人员报备A企业却在B企业作业",
        {"dwell_s": 300.0},
        zone_kinds=("site_boundary",),
        fences="zones",
        on={"tick": elsewhere_tick},
        cause="a contractor's staff member (matched to the positioned person by the hash of the ID number) inside "
        "an enterprise's site boundary for `dwell_s` (300 s) without a filing (报备) for that enterprise valid "
        "that day; the alarm is the site's enterprise's, the enterprises filed for are shown to the park only",
        ending="leaves the site, or a filing for the enterprise arrives",
        evidence=("staff", "contractor", "filed_for", "filed_for_count", "entered_at"),
        default_rule=AUTO,
    )
)


def _unit_problem(e: Engine, code: str, now: float) -> str | None:
    unit = e.paperwork.contractors.get(code)
    if unit is None:
        return "unknown to the park"
    if unit.blacklisted:
        return "blacklisted"
    why = lapse(unit.certified, now)
    return None if why is None else f"park certification {why}"


def _staff_problem(staff: StaffInfo, now: float) -> str | None:
    why = lapse(staff.certified, now)
    if why is not None:
        return f"park certification {why}"
    why = lapse(staff.trained, now)
    return None if why is None else f"safety training {why}"


def _permit_staff_problems(e: Engine, pm, now: float) -> list[dict]:
    people = []
    for s in sorted({*pm.authorised, *([pm.guardian] if pm.guardian else [])}):
        staff = e.paperwork.staff.get(s)
        why = _staff_problem(staff, now) if staff else None
        if why:
            people.append({"subject": s, "staff": staff.name, "contractor": staff.contractor, "problem": why})
    return people


def _unqualified(e: Engine, r: RuleSpec, now: float, occupants, out, staff_type: bool) -> None:
    """Seed 002's two contractor alarms, one function: the unit's (作业许可承包商资质报警) and its staff's
    (作业许可承包商员工报警), each on a permit in progress and on contractor staff at work on an enterprise's site."""
    if e.paperwork is None:
        return
    p = params(r.type, r.params)
    keep: set[str] = set()
    for pm in e.permits.values():  # the permit's unit, or the staff it names
        if not pm.active or not r.in_force(now):
            continue
        if staff_type:
            people = _permit_staff_problems(e, pm, now)
            ev = {"contractor": pm.contractor_code or None, "staff": people} if people else None
        else:
            unit = _unit_problem(e, pm.contractor_code, now) if pm.contractor_code else None
            ev = {"contractor": pm.contractor_code, "contractor_problem": unit} if unit else None
        if ev:
            key = AlarmKey.of(r.id, FenceKey.permit(pm.id))
            keep.add(key)
            permit_raise(e, out, r, key, pm, now, ev)
    for zid, s, m, staff, _ent in _site_visits(e, r, occupants, now, p["dwell_s"]):  # staff at work on a site
        why = _staff_problem(staff, now) if staff_type else _unit_problem(e, staff.contractor, now)
        key = AlarmKey.of(r.id, s, m.visit)
        if why:
            keep.add(key)
            if key not in e.open and key not in e.latched:
                ev = {"rule": r.id, "staff": staff.name, "contractor": staff.contractor, "problem": why}
                lon, lat = m.where[2], m.where[3]
                e.new(out, r, key, now, subject=s, zone=zid, lon=lon, lat=lat, visit=m.visit, evidence=ev)
    permit_end(e, out, r, now, keep, "qualified, or the work ended")


def unit_unqualified_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    _unqualified(e, r, now, occupants, out, staff_type=False)


def staff_unqualified_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    _unqualified(e, r, now, occupants, out, staff_type=True)


register(
    RuleType(
        "contractor_unqualified",
        "contractor",
        None,
        "alarm",
        "承包商单位未经园区认证或未续证",
        {"dwell_s": 300.0},
        zone_kinds=("site_boundary",),
        fences="zones",
        on={"tick": unit_unqualified_tick},
        cause="seed 002's 作业许可承包商资质报警: a permit in progress whose unit (CONTRACTOR_CODE) is unknown to the "
        "park, blacklisted, or without a valid park certification (园区准入认证); and staff of such a unit on an "
        "enterprise's site for `dwell_s` (300 s)",
        ending="certified (the park renews it), or the permit ends, or the person leaves the site",
        evidence=(*PERMIT_EVIDENCE, "contractor", "contractor_problem", "staff", "problem"),
        default_rule=AUTO,
    )
)

register(
    RuleType(
        "contractor_staff_unqualified",
        "contractor",
        None,
        "alarm",
        "承包商员工未经园区认证或未续证",
        {"dwell_s": 300.0},
        zone_kinds=("site_boundary",),
        fences="zones",
        on={"tick": staff_unqualified_tick},
        cause="seed 002's 作业许可承包商员工报警: a permit in progress naming contractor staff (workers, guardian) "
        "without a valid park certification or safety training; and such staff on an enterprise's site for "
        "`dwell_s` (300 s)",
        ending="certified or trained, or the permit ends, or the person leaves the site",
        evidence=(*PERMIT_EVIDENCE, "contractor", "staff", "problem"),
        default_rule=AUTO,
    )
)
