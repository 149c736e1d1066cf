"""Person alarms of AQ 3064.3 B.3: SOS, out of bounds, overstay, stationary, leaving; and people on a permit's work
area who are not on the permit."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from alarms.catalogue import RuleType, params, register
from alarms.keys import AlarmKey, FenceKey
from alarms.specs import RuleSpec, SubjectInfo, ms

if TYPE_CHECKING:
    from alarms.engine import Engine
    from alarms.fences import Fixes, Transition
    from alarms.specs import Signal


def sos(e: Engine, rules: list[RuleSpec], subject, t, lon, lat, ref, enterprise=None, extra=None) -> list[Signal]:
    """Raised at once, no thresholds. An SOS is never dropped for want of knowing its subject: one from a subject the
    scene does not know, or knows only provisionally, is raised by the park-wide SOS rule, flagged, with whatever
    `extra` the caller has (the reporter, the raw record)."""
    out: list[Signal] = []
    info = e.subjects.get(subject) if subject is not None else None
    rules = [r for r in rules if r.in_force(t)]
    chosen = [r for r in rules if r.matches(info)]
    if not chosen and rules and (info is None or info.provisional):
        chosen = [min(rules, key=lambda r: (r.enterprise_id is not None, bool(r.person_types), r.id))]
    flags = {"unknown_subject": info is None, "provisional_subject": bool(info and info.provisional)}
    for r in chosen:
        e.new(
            out,
            r,
            AlarmKey.of(r.id, subject, ref),
            t,
            subject=subject,
            enterprise=info.enterprise_id if info else enterprise,
            lon=lon,
            lat=lat,
            evidence={"rule": r.id, "source": ref, **{k: v for k, v in flags.items() if v}, **(extra or {})},
        )
    return out


register(
    RuleType(
        "sos",
        "person",
        "0",
        "critical",
        "SOS 求救",
        on={"sos": sos},
        cause="an SOS button (`camera/{id}/sos`, `phone/{id}/sos` over MQTT) or an enterprise's B.3 alarm with "
        "ALARM_TYPE 0; at once, even for a subject registered a moment ago (the worker loads subjects it does not "
        "know before evaluating any input) or never seen (a provisional subject: raised by the park-wide SOS rule "
        "with `provisional_subject` or `unknown_subject`, the reporter and the raw record in the evidence)",
        ending="handled by a person",
        evidence=("source", "unknown_subject", "provisional_subject", "device_data", "reported"),
        default_rule={"subject_kinds": ["person", "body_camera", "phone"]},
        safe_bounds={},
    )
)


def out_of_bounds_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    """Still inside: the warning becomes an alarm when not cleared within `confirm_after_s`."""
    p = params(r.type, r.params)
    for zid, key, s, m in e.visits(r, occupants):
        if not r.matches(e.subjects.get(s)):
            continue
        e.inside(r, s, key, m.visit, m.entered_at, now, m.where, out)
        akey = AlarmKey.of(r.id, s, m.visit)
        o = e.open.get(akey)
        confirm = params(r.type, r.params, e.zones[zid].params.get(r.type))["confirm_after_s"]
        if o and o.severity == "warning" and now - o.since >= confirm:
            out.append(e.update(akey, now, "alarm", {"confirmed_after_s": confirm, "params": p}))


def out_of_bounds_cross(e: Engine, r: RuleSpec, tr: Transition, subj: SubjectInfo | None, out) -> bool:
    """Passed through between two sparse fixes: raised and ended at once."""
    if tr.kind != "cross":
        return False
    zone = FenceKey(tr.fence).zone_id
    if e.zone_on(r, tr.fence, tr.t) and tr.subject not in e.permitted.get(zone, ()):
        key = AlarmKey.of(r.id, tr.subject, tr.visit)
        ev = e.transition_evidence(r, tr) | {"passed_through": True}
        if e.new(out, r, key, tr.t, subject=tr.subject, zone=zone, lon=tr.lon, lat=tr.lat, evidence=ev):
            out.append(e.end(key, tr.t, {"reason": "passed through between two fixes"}))
    return True


def out_of_bounds_presence(e: Engine, r: RuleSpec, s: int, zone: int | None, permit: int | None) -> bool:
    return zone is None or s not in e.permitted.get(zone, ())


register(
    RuleType(
        "out_of_bounds",
        "person",
        "1",
        "warning",
        "越界 / 闯入禁区",
        # Warn at once, upgrade to an alarm when not cleared (AQ 3064.3: within 5 s / 30 s).
        # Hysteresis: 6 m past the edge (beyond the +-5 m dynamic accuracy of AQ 3064.3) counts at once, a
        # walker is 6 m in within 5 s; otherwise 10 s on one side of the edge.
        {
            "confirm_after_s": 30.0,
            "enter_dwell_s": 10.0,
            "exit_dwell_s": 10.0,
            "enter_margin_m": 6.0,
            "exit_margin_m": 6.0,
        },
        zone_kinds=("forbidden", "temporary"),
        fences="zones",
        on={"tick": out_of_bounds_tick, "transition": out_of_bounds_cross, "presence": out_of_bounds_presence},
        cause="enters a forbidden zone or cordon (default: contractors and visitors); severity `warning` at once, "
        "`alarm` if not cleared in 30 s; passing through between two sparse fixes raises and ends at once; not for "
        "the crew (guardian, workers) of a permit in progress or paused whose work lies in the zone, nor a work "
        "cordon's own crew (zone attribute `permit`)",
        ending="the visit ends",
        evidence=("transition", "fence", "visit", "fix", "entered_at", "passed_through", "confirmed_after_s"),
        default_rule={
            "person_types": ["02", "03"],
            "description": "contractors and visitors in forbidden zones and cordons; add rules for others as needed",
        },
    )
)


def overstay_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    for zid, key, s, m in e.visits(r, occupants):
        limit = params(r.type, r.params, e.zones[zid].params.get(r.type))["limit_s"]
        akey = AlarmKey.of(r.id, s, m.visit)
        due = now - m.entered_at > limit and akey not in e.open and akey not in e.latched
        if due and r.matches(e.subjects.get(s)) and e.zone_on(r, key, now):
            e.new(
                out,
                r,
                akey,
                now,
                subject=s,
                zone=zid,
                lon=m.where[2],
                lat=m.where[3],
                evidence={"rule": r.id, "limit_s": limit, "entered_at": m.entered_at, "visit": m.visit},
                visit=m.visit,
            )


register(
    RuleType(
        "overstay",
        "person",
        "2",
        "alarm",
        "滞留超时",
        {"limit_s": 1800.0},
        zone_kinds=("key_place",),
        fences="zones",
        on={"tick": overstay_tick},
        cause="inside longer than `limit_s` (1,800 s; per zone)",
        ending="the visit ends",
        evidence=("limit_s", "entered_at", "visit"),
    )
)


STILL_MAX_GAP_S = 120.0  # a longer gap between fixes restarts the stationary count
STILL_STRIKES = 2  # fixes in a row beyond the radius that make a move
STILL_SIGMAS = 2.0  # a fix's reported accuracy is one sigma; stillness allows this many
STILL_MEAN_OF = 30  # the standing point is the running mean of about this many fixes


@dataclass
class Stillness:
    """What the stationary type remembers: per subject inside a watched fence, where it stands (the mean of its
    fixes since it stopped: x, y), since when, its last fix, how many fixes the mean has, and how many fixes in a row
    have lain beyond the radius; and, from the scene, the fences watched and the radius."""

    anchors: dict[int, tuple[float, float, float, float, int, int]] = field(default_factory=dict)
    fences: frozenset[str] = frozenset()
    radius: float = 3.0


def stationary_configure(e: Engine, rules: list[RuleSpec]) -> None:
    st: Stillness = e.state("stationary")
    st.fences = frozenset(FenceKey.zone(z) for r in rules for z in r.zones)
    st.radius = min((params("stationary", r.params)["radius_m"] for r in rules), default=3.0)


def stationary_fixes(e: Engine, rules: list[RuleSpec], f: Fixes, out: list[Signal]) -> None:
    """Anchors of subjects inside fences a stationary rule watches: an anchor moves when a fix lands farther than
    the radius from it, beyond the fix's reported accuracy."""
    st: Stillness = e.state("stationary")
    if not st.fences:
        return
    watched = {s for s, ms_ in e.tracker.members.items() if not st.fences.isdisjoint(ms_)}
    for s in [s for s in st.anchors if s not in watched]:
        del st.anchors[s]
    if not watched:
        return
    sl, tl, xl, yl = f.subject.tolist(), f.t.tolist(), f.x.tolist(), f.y.tolist()
    rows = np.flatnonzero(np.isin(f.subject, np.fromiter(watched, np.int64, len(watched))))
    acc = np.nan_to_num(f.accuracy, nan=0.0).tolist()
    for i in rows.tolist():
        s, t, x, y = sl[i], tl[i], xl[i], yl[i]
        a = st.anchors.get(s)
        # Stillness must be seen: after a gap in the data (and no alarm yet) the count starts again.
        if a is None or (t - a[3] > STILL_MAX_GAP_S and not e.open_of_type("stationary", s)):
            st.anchors[s] = (x, y, t, t, 1, 0)
            continue
        # Moved: beyond the radius by more than twice the fix's accuracy (one sigma, as tags report it: two cover
        # 95 % of a still person's scatter), twice in a row. A walker is out within seconds.
        beyond = math.hypot(x - a[0], y - a[1]) - STILL_SIGMAS * acc[i] > st.radius
        if beyond and a[5] + 1 >= STILL_STRIKES:
            for key in e.open_of_type("stationary", s):
                out.append(e.end(key, t, {"reason": "moved"}))
            st.anchors[s] = (x, y, t, t, 1, 0)
        elif beyond:
            st.anchors[s] = (a[0], a[1], a[2], t, a[4], a[5] + 1)
        else:
            n = min(a[4] + 1, STILL_MEAN_OF)
            st.anchors[s] = (a[0] + (x - a[0]) / n, a[1] + (y - a[1]) / n, a[2], t, n, 0)


def stationary_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    crews = e.at_work(params(r.type, r.params)["crew_exempt_m"])
    anchors = e.state("stationary").anchors
    for zid, key, s, m in e.visits(r, occupants):
        p = params(r.type, r.params, e.zones[zid].params.get(r.type))
        a, last = anchors.get(s), e.last.get(s)
        if a is None or last is None or s in crews or not r.matches(e.subjects.get(s)):
            continue
        still_for = last[0] - a[2]
        akey = AlarmKey.of(r.id, s, zid, ms(a[2]))
        due = still_for >= p["limit_s"] and akey not in e.open and akey not in e.latched
        if due and e.zone_on(r, key, now):
            e.new(
                out,
                r,
                akey,
                now,
                subject=s,
                zone=zid,
                lon=last[3],
                lat=last[4],
                evidence={"rule": r.id, "params": p, "still_since": a[2], "last_fix": last[0]},
                visit=m.visit,
            )


register(
    RuleType(
        "stationary",
        "person",
        "3",
        "alarm",
        "静止 (疑似倒地)",
        # A permit's crew at its work (within crew_exempt_m of it) stands still by trade, watched by its guardian.
        {"radius_m": 3.0, "limit_s": 300.0, "crew_exempt_m": 30.0},
        zone_kinds=("key_place", "work_area"),
        fences="zones",
        on={"tick": stationary_tick, "fixes": stationary_fixes, "configure": stationary_configure},
        state=Stillness,
        cause="inside a hazardous zone and not more than `radius_m` (3 m), allowing twice each fix's reported "
        "accuracy, from where they stand for `limit_s` (300 s); not a permit's crew at its work (within "
        "`crew_exempt_m`, 30 m, of a permit in progress or paused: they stand still by trade, watched by their "
        "guardian)",
        ending="moves or leaves",
        evidence=("still_since", "last_fix"),
        safe_bounds={"radius_m": (1.0, 10.0), "limit_s": (30.0, 600.0), "crew_exempt_m": (0.0, 100.0)},
    )
)


def _premises(e: Engine, fence: str) -> int | str:
    """Whose premises a site fence is: its enterprise's (all its sites are one), or the authority's boundary alone."""
    z = e.zones.get(FenceKey(fence).zone_id)
    return z.enterprise_id if z is not None and z.enterprise_id is not None else fence


def leaving_transition(e: Engine, r: RuleSpec, tr: Transition, subj: SubjectInfo | None, out) -> bool:
    """Out of the own premises while on duty: an exit from an own site while in none of the enterprise's other
    sites; it ends on coming back to any of them (a walk from one site of an enterprise to another is left and back,
    not a leaving). Going home after the shift is no leaving."""
    if tr.kind == "exit" and (subj is None or subj.on_duty(tr.t)):
        premises = _premises(e, tr.fence)
        elsewhere = [
            k
            for k in e.tracker.members.get(tr.subject, {})
            if k != tr.fence
            and FenceKey(k).is_zone
            and e.tracker.members[tr.subject][k].inside
            and _premises(e, k) == premises
        ]
        if not elsewhere and e.zone_on(r, tr.fence, tr.t) and e.own_site(tr.fence, subj):
            ev = e.transition_evidence(r, tr)
            e.new(
                out,
                r,
                AlarmKey.of(r.id, tr.subject, tr.visit, "out"),
                tr.t,
                subject=tr.subject,
                zone=FenceKey(tr.fence).zone_id,
                lon=tr.lon,
                lat=tr.lat,
                evidence=ev,
            )
    elif tr.kind == "enter":
        premises = _premises(e, tr.fence)
        for key in [
            k for k in e.open_for(r.id, subject=tr.subject) if _premises(e, FenceKey.zone(e.open[k].zone)) == premises
        ]:
            out.append(e.end(key, tr.t, {"reason": "returned", "to": tr.fence}))
    return True


def leaving_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    """Who left during the shift and is still away when it ends is off duty from then on: the alarm ends."""
    for key in e.open_for(r.id):
        subj = e.subjects.get(e.open[key].subject)
        if subj is not None and not subj.on_duty(now):
            out.append(e.end(key, now, {"reason": "shift over"}))


register(
    RuleType(
        "leaving",
        "person",
        "4",
        "warning",
        "离场",
        zone_kinds=("site_boundary",),
        fences="zones",
        on={"transition": leaving_transition, "tick": leaving_tick},
        cause="exits the site boundary of the own enterprise (or an authority's boundary) and is in none of the "
        "enterprise's other sites, while on duty (within the person's shift, `Subject.shift`; no shift: always)",
        ending="comes back to any site of the enterprise, or the shift ends",
        evidence=("transition", "fence", "visit", "fix"),
    )
)


def unauthorized_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    for key, members in occupants.items():
        if key[0] != "p" or r not in e.by_fence.get(key, ()):
            continue
        for s in members:
            if r.matches(e.subjects.get(s)):
                m = e.tracker.members[s][key]
                e.inside(r, s, key, m.visit, m.entered_at, now, m.where, out)


def unauthorized_presence(e: Engine, r: RuleSpec, s: int, zone: int | None, permit: int | None) -> bool:
    return permit is not None and s not in e.permits[permit].authorised


register(
    RuleType(
        "unauthorized_person",
        "person",
        None,
        "alarm",
        "非授权人员进入作业区域",
        fences="permit_areas",
        on={"tick": unauthorized_tick, "presence": unauthorized_presence},
        cause="inside an in-progress permit's work area and not on the permit (workers, guardian, approver)",
        ending="the visit ends",
        evidence=("transition", "fence", "visit", "fix", "entered_at"),
    )
)
