"""Zone alarms of AQ 3064.3 B.4 (over capacity, under-staffed, absent from post), gatherings, and the record of a
fence redrawn over people."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from alarms.catalogue import RuleType, params, register
from alarms.gathering import GroupTracker, clusters, level
from alarms.keys import AlarmKey, FenceKey
from alarms.specs import RuleSpec, ms

if TYPE_CHECKING:
    from alarms.engine import Engine


def _capacity(e: Engine, r: RuleSpec, now: float, occupants, out, over: bool) -> None:
    for zid in r.zones:
        z = e.zones.get(zid)
        if z is None:
            continue
        limit = z.capacity_max if over else z.capacity_min
        p = params(r.type, r.params, z.params.get(r.type))
        people = [s for s in occupants.get(FenceKey.zone(zid), ()) if r.matches(e.subjects.get(s))]
        n = len(people)
        bad = limit is not None and (n > limit if over else n < limit) and e.zone_on(r, FenceKey.zone(zid), now)
        name = AlarmKey.of(r.id, FenceKey.zone(zid))
        began = e.hold(name, bad, now, p["grace_s"])
        current = e.open_for(r.id, zone=zid)
        if bad and began is not None and not current:
            e.new(
                out,
                r,
                AlarmKey.of(name, ms(began)),
                now,
                zone=zid,
                subjects=tuple(sorted(people)),
                evidence={"rule": r.id, "count": n, "limit": limit, "since": began, "params": p},
            )
        # Ended once the count has been back within the limit for `clear_s`: a count hovering at the limit is one
        # alarm, not one a minute.
        cleared = e.hold(f"{name}:clear", not bad, now, p["clear_s"])
        if cleared is not None:
            for k in current:
                out.append(e.end(k, now, {"count": n, "limit": limit, "within_since": cleared}))


def over_capacity_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    _capacity(e, r, now, occupants, out, over=True)


def under_staffed_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    _capacity(e, r, now, occupants, out, over=False)


register(
    RuleType(
        "over_capacity",
        "zone",
        "1",
        "alarm",
        "超员",
        {"grace_s": 10.0, "clear_s": 60.0},
        zone_kinds=("key_place",),
        fences="zones",
        on={"tick": over_capacity_tick},
        cause="more people inside than `capacity_max` for `grace_s` (10 s)",
        ending="count back within the limit for `clear_s` (60 s)",
        evidence=("count", "limit", "since"),
        default_rule={"zone_kinds": ["key_place", "work_area", "post"]},
    )
)
register(
    RuleType(
        "under_staffed",
        "zone",
        "2",
        "warning",
        "缺员",
        {"grace_s": 60.0, "clear_s": 60.0},
        zone_kinds=("key_place", "post"),
        fences="zones",
        on={"tick": under_staffed_tick},
        cause="fewer than `capacity_min` for `grace_s` (60 s) (default rule off until posts are set up)",
        ending="count back within the limit for `clear_s` (60 s)",
        evidence=("count", "limit", "since"),
        default_rule={"active": False, "description": "enable once post zones carry capacity_min"},
    )
)


def absent_from_post_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    for zid in r.zones:
        z = e.zones.get(zid)
        if z is None:
            continue
        p = params(r.type, r.params, z.params.get(r.type))
        present = set(occupants.get(FenceKey.zone(zid), ()))
        for h in z.holders:
            name = AlarmKey.of(r.id, FenceKey.zone(zid), h)
            absent = h not in present and e.zone_on(r, FenceKey.zone(zid), now)
            began = e.hold(name, absent, now, p["grace_s"])
            current = [k for k in e.open_for(r.id, zone=zid) if e.open[k].subject == h]
            if began is not None and not current:
                last = e.last.get(h)
                e.new(
                    out,
                    r,
                    AlarmKey.of(name, ms(began)),
                    now,
                    subject=h,
                    zone=zid,
                    lon=last[3] if last else None,
                    lat=last[4] if last else None,
                    evidence={"rule": r.id, "absent_since": began, "params": p, "last_fix": last[0] if last else None},
                )
            elif not absent:
                for k in current:
                    out.append(e.end(k, now, {"reason": "back at the post"}))


register(
    RuleType(
        "absent_from_post",
        "zone",
        "3",
        "warning",
        "缺岗",
        {"grace_s": 300.0},
        zone_kinds=("post",),
        fences="zones",
        on={"tick": absent_from_post_tick},
        cause="a holder named in `Zone.attributes.holders` not in the post for `grace_s` (300 s) (default off)",
        ending="back at the post",
        evidence=("absent_since", "last_fix"),
        default_rule={"active": False, "description": "enable once post zones name their holders"},
    )
)


@dataclass
class Gatherings:
    """What the gathering type remembers: the groups followed per (rule, enterprise) and when each rule last looked."""

    groups: dict[tuple[int, int | None], GroupTracker] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)


def gathering_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    p = params(r.type, r.params)
    st: Gatherings = e.state("gathering")
    if now - st.last.get(r.id, -math.inf) < p["interval_s"]:
        return
    st.last[r.id] = now
    by_scope: dict[int | None, list[int]] = {}
    for s, (t, *_rest) in e.last.items():
        if now - t <= p["fresh_s"]:
            info = e.subjects.get(s)
            if r.matches(info):
                by_scope.setdefault(info.enterprise_id, []).append(s)
    if r.zones:
        inside = {s for zid in r.zones for s in occupants.get(FenceKey.zone(zid), ())}
        by_scope = {k: [s for s in v if s in inside] for k, v in by_scope.items()}
    crews = e.at_work(p["crew_exempt_m"])
    if crews:
        by_scope = {k: [s for s in v if s not in crews] for k, v in by_scope.items()}
    on = r.in_force(now)
    for scope in set(by_scope) | {sc for (rid, sc) in st.groups if rid == r.id}:
        members = by_scope.get(scope, []) if on else []
        found = []
        if len(members) >= p["min_people"]:
            ids = np.array(members)
            xy = np.array([e.last[s][1:5] for s in members])
            for c in clusters(xy[:, 0], xy[:, 1], p["radius_m"], int(p["min_people"])):
                cx, cy, clon, clat = xy[c].mean(axis=0).tolist()
                found.append((frozenset(ids[c].tolist()), (cx, cy, clon, clat)))
        tracker = st.groups.setdefault((r.id, scope), GroupTracker())
        current, gone = tracker.update(f"{r.id}:{scope}", found, now)
        for g in gone:
            key = AlarmKey.of(r.id, g.gid)
            if key in e.open:
                out.append(e.end(key, now, {"reason": "dispersed", "peak": g.peak}))
        for g in current.values():
            key = AlarmKey.of(r.id, g.gid)
            lvl = level(len(g.members), int(p["orange_from"]), int(p["red_from"]))
            ev = {
                "rule": r.id,
                "params": p,
                "since": g.since,
                "size": len(g.members),
                "level": lvl,
                "members": sorted(g.members),
                "centre": [g.lon, g.lat],
            }
            if key in e.open:
                if e.open[key].severity != lvl:
                    out.append(e.update(key, now, lvl, ev))
            elif now - g.since > p["min_duration_s"]:
                e.new(
                    out,
                    r,
                    key,
                    now,
                    severity=lvl,
                    subjects=tuple(sorted(g.members)),
                    enterprise=scope,
                    lon=g.lon,
                    lat=g.lat,
                    evidence=ev,
                )
        if not current and not by_scope.get(scope):
            st.groups.pop((r.id, scope), None)


register(
    RuleType(
        "gathering",
        "zone",
        None,
        "yellow",
        "人员聚集",
        # >= 3 people within 15 m for > 1 min: 3 yellow, 4-6 orange, > 6 red (AQ 3064.3).
        # A permit's crew at its work (within crew_exempt_m of it) is not a gathering; 0 counts them too.
        {
            "crew_exempt_m": 30.0,
            "radius_m": 15.0,
            "min_people": 3,
            "min_duration_s": 60.0,
            "orange_from": 4,
            "red_from": 7,
            "fresh_s": 60.0,
            "interval_s": 1.0,
        },
        fences="zones",  # when a rule names zones: who is in them
        state=Gatherings,
        on={"tick": gathering_tick},
        cause=">= 3 people of one enterprise within 15 m (DBSCAN) for > 60 s; `yellow` 3, `orange` 4-6, `red` > 6, "
        "updated as the group grows or shrinks. A permit's crew (its guardian and workers) within 30 m of its work "
        "(`crew_exempt_m`) is not counted: a crew at its work is not a gathering. The default rule watches key "
        "places and muster points (where a crowd is the hazard); a rule with no zones watches everyone",
        ending="the group disperses",
        evidence=("since", "size", "level", "members", "centre"),
        default_rule={"zone_kinds": ["key_place", "muster_point"]},
    )
)

register(
    RuleType(
        "fence_edited",
        "zone",
        None,
        "info",
        "围栏调整致人员进出",
        kinds=(),
        cause="a fence redrawn over people: enters and exits in the 60 s after the edit are the edit's doing, not "
        "people's, so they raise no per-person alarm (no out_of_bounds, leaving ...); one record says how many the "
        "new shape put inside and outside",
        ending="raised and ended at once (a record)",
        evidence=("edited_at", "entered", "left", "settle_s"),
        default_rule=None,
        raised_by="the engine, when a zone's geometry changes",
    )
)
