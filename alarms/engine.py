"""The alarm engine: rules as data applied to fixes, fence transitions, device events and time.

Pure: it takes specs (zones, permits, rules, subjects, already in the metric plane), batches of fixes and the
clock, and returns Signals (raise / update / end an alarm, each with a deterministic key). It never touches the
database; `alarms.store` feeds it and writes what it says. Its whole state pickles, so `alarms.store` can keep it
in PostGIS and a restarted engine continues where it stopped; because every key is derived from the data (subject,
fence, visit start), replaying fixes after a restart names the same alarms and the store drops the repeats.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from alarms.catalogue import TYPES, UPGRADE_CODES, params
from alarms.fences import Fence, FenceIndex, FenceTracker, Fixes, Transition
from alarms.gathering import GroupTracker, clusters, level


def always(_t: float) -> bool:
    return True


# Zone-based types that keep fence memberships; the fence's hysteresis comes from these rules' params.
FENCE_TYPES = {
    "out_of_bounds",
    "overstay",
    "stationary",
    "leaving",
    "over_capacity",
    "under_staffed",
    "absent_from_post",
    "key_area_work",
    "gathering",  # when a rule names zones: who is in them
}
HYSTERESIS = ("enter_dwell_s", "exit_dwell_s", "enter_margin_m", "exit_margin_m")
STILL_MAX_GAP_S = 120.0  # a longer gap between fixes restarts the stationary count
FENCE_SETTLE_S = 60.0  # after a fence is redrawn, enters and exits this long are the edit's, not people's
DEFAULT_HYSTERESIS = {"enter_dwell_s": 10.0, "exit_dwell_s": 10.0, "enter_margin_m": 6.0, "exit_margin_m": 6.0}


@dataclass(frozen=True)
class SubjectInfo:
    id: int
    kind: str
    external_id: str
    enterprise_id: int | None = None
    person_type: str = ""
    tags: frozenset[str] = frozenset()
    provisional: bool = False  # known only from its own reports (positions or alarms before its registration)


@dataclass(frozen=True)
class ZoneSpec:
    id: int
    name: str
    kind: str
    geom: BaseGeometry  # metric plane
    enterprise_id: int | None = None
    floor: int | None = None
    capacity_min: int | None = None
    capacity_max: int | None = None
    holders: tuple[int, ...] = ()  # subjects who must be at this post
    params: dict = field(default_factory=dict)  # per-zone thresholds, by type: {"overstay": {"limit_s": 600}}
    in_force: Callable[[float], bool] = always
    cleared: frozenset[int] = frozenset()  # subjects allowed in (a work cordon's own crew): no out_of_bounds for them


@dataclass(frozen=True)
class PermitSpec:
    id: int
    ticket_no: str
    ticket_type: str
    status: int
    enterprise_id: int
    x: float
    y: float
    lon: float
    lat: float
    area: BaseGeometry | None = None  # metric plane
    guardian: int | None = None
    authorised: frozenset[int] = frozenset()
    planned_end: float = math.inf
    actual_start: float | None = None
    max_validity_s: float | None = None
    outside_site: bool = False
    upgraded: bool = False
    approver_distance_m: float | None = None  # approver's distance from the work location when approving; inf = no fix

    @property
    def active(self) -> bool:
        return self.status == 2  # AQ 3064.2: in progress


@dataclass(frozen=True)
class RuleSpec:
    id: int
    type: str
    severity: str = ""
    params: dict = field(default_factory=dict)
    zones: frozenset[int] = frozenset()
    kinds: tuple[str, ...] = ()
    person_types: frozenset[str] = frozenset()
    enterprise_id: int | None = None
    tags: frozenset[str] = frozenset()
    in_force: Callable[[float], bool] = always
    # Time windows by purpose (night, holiday, ...) for the hot-work upgrade rule.
    windows: dict[str, Callable[[float], bool]] = field(default_factory=dict)

    def matches(self, s: SubjectInfo | None) -> bool:
        if s is None:
            return False
        kinds = self.kinds or TYPES[self.type].kinds
        return (
            (not kinds or s.kind in kinds)
            and (not self.person_types or s.person_type in self.person_types)
            and (self.enterprise_id is None or s.enterprise_id == self.enterprise_id)
            and (not self.tags or bool(self.tags & s.tags))
        )


@dataclass
class Signal:
    action: str  # raise, update, end
    key: str
    rule: int
    type: str
    t: float
    severity: str = ""
    code: str | None = None
    subject: int | None = None
    subjects: tuple[int, ...] = ()
    zone: int | None = None
    permit: int | None = None
    enterprise: int | None = None
    lon: float | None = None
    lat: float | None = None
    evidence: dict = field(default_factory=dict)


@dataclass
class Open:
    rule: int
    type: str
    since: float
    severity: str
    visit: str = ""
    subject: int | None = None
    zone: int | None = None
    permit: int | None = None


def _metres(d: float) -> float | None:
    """A depth for the evidence: None when only "beyond every margin" is known (JSON has no infinity)."""
    return round(d, 2) if math.isfinite(d) else None


def _ms(t: float) -> int:
    return round(t * 1000)


class Engine:
    """See the module docstring. Inputs: configure(), fixes(), tick(), sos(), device(), scan(), feeds()."""

    def __init__(self) -> None:
        self.tracker = FenceTracker()
        self.index = FenceIndex([])
        self.rules: dict[int, RuleSpec] = {}
        self.zones: dict[int, ZoneSpec] = {}
        self.permits: dict[int, PermitSpec] = {}
        self.subjects: dict[int, SubjectInfo] = {}
        self.by_fence: dict[str, list[RuleSpec]] = {}
        self.open: dict[str, Open] = {}
        self.by: dict[tuple, set[str]] = {}  # index over open alarms: see _index_keys
        self.still_fences: frozenset[str] = frozenset()
        self.still_radius = 3.0
        self.latched: set[str] = set()  # raised and ended while their visit goes on: not raised again
        # Fences redrawn a moment ago: fence key -> (edited at, settled at, enter/exit counts). The memberships the
        # new shape makes are no one's walking: no per-person alarm, one `fence_edited` record with the counts.
        self.settling: dict[str, tuple[float, float, dict[str, int]]] = {}
        self.last: dict[int, tuple[float, float, float, float, float]] = {}  # subject -> t, x, y, lon, lat
        self.anchors: dict[int, tuple[float, float, float, float]] = {}  # stationary: x, y, since, last fix
        self.since: dict[str, float] = {}  # condition timers: capacity, absence, guardian distance, silence
        self.power: dict[int, tuple[bool, float]] = {}  # welder -> (powered, last heard)
        self.outage_ended: dict[int, float] = {}  # welder_silent rule -> when its last feed outage ended
        self.scan_verdicts: list[tuple[str, dict]] = []  # remote-scan verdicts since the caller last took them
        self.work: dict[int, deque] = {}  # welder -> (t, x, y, district) of recent work starts
        self.groups: dict[tuple[int, int | None], GroupTracker] = {}
        self.last_gathering: dict[int, float] = {}

    # The scene (specs, fence index) is rebuilt from the database by configure(); only the state is saved.
    SCENE = ("index", "rules", "zones", "permits", "subjects", "by_fence", "still_fences", "still_radius")

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self.SCENE}

    def __setstate__(self, state: dict) -> None:
        fresh = Engine()
        self.__dict__.update({k: getattr(fresh, k) for k in self.SCENE})
        self.__dict__.update(state)

    # --- configuration -------------------------------------------------------------------------------------------

    def configure(
        self,
        zones: list[ZoneSpec],
        permits: list[PermitSpec],
        rules: list[RuleSpec],
        subjects: dict[int, SubjectInfo] | None = None,
        now: float | None = None,
    ) -> list[Signal]:
        """Load (or reload) the scene. Memberships of fences that remain are kept; open alarms of rules, zones or
        permits that are gone end."""
        before = getattr(self, "zones", {})
        self.zones = {z.id: z for z in zones}
        t_now = now if now is not None else max((v[0] for v in self.last.values()), default=0.0)
        for zid, z in self.zones.items():  # a fence redrawn: who it now holds is not who walked in (see _settling)
            old = before.get(zid)
            if old is not None and not old.geom.equals_exact(z.geom, 1e-6):
                self.settling[f"z{zid}"] = (t_now, t_now + FENCE_SETTLE_S, {"enter": 0, "exit": 0})
        self.permits = {p.id: p for p in permits}
        self.rules = {r.id: r for r in rules}
        # Who may be in a zone by permit: the crew of each permit in progress whose work lies in it (a permitted
        # job in a tank farm is not an intrusion), with a work cordon's own crew (ZoneSpec.cleared).
        self.permitted = _permitted(self.zones, self.permits)
        if subjects is not None:
            self.subjects = subjects
        fences: list[Fence] = []
        self.by_fence = {}
        for r in rules:
            if r.type in FENCE_TYPES:
                for zid in r.zones:
                    if zid in self.zones:
                        self.by_fence.setdefault(f"z{zid}", []).append(r)
            elif r.type == "unauthorized_person":
                for p in permits:
                    if p.active and p.area is not None:
                        self.by_fence.setdefault(f"p{p.id}", []).append(r)
        for key, rs in self.by_fence.items():
            kind, ident = key[0], int(key[1:])
            if kind == "z":
                z = self.zones[ident]
                h = _hysteresis(rs, z.params.get("fence"))
                fences.append(Fence(key, z.geom, z.floor, **h))
            else:
                fences.append(Fence(key, self.permits[ident].area, None, **_hysteresis(rs, None)))
        self.index = FenceIndex(fences)
        still = [r for r in rules if r.type == "stationary"]
        self.still_fences = frozenset(f"z{z}" for r in still for z in r.zones)
        self.still_radius = min((params("stationary", r.params)["radius_m"] for r in still), default=3.0)
        out: list[Signal] = []
        t = now if now is not None else max((v[0] for v in self.last.values()), default=0.0)
        for tr in self.tracker.retain(set(self.by_fence)):
            for key in self._keys("v", tr.visit):
                out.append(self._end(key, t, {"reason": "the fence is no longer watched"}))
            self.latched = {k for k in self.latched if tr.visit not in k}
        for key, o in list(self.open.items()):
            gone = (
                o.rule not in self.rules
                or (o.zone is not None and o.zone not in self.zones)
                or (o.permit is not None and o.permit not in self.permits)
            )
            if gone:
                out.append(self._end(key, t, {"reason": "rule, zone or permit removed"}))
        return out

    # --- positions -----------------------------------------------------------------------------------------------

    def fixes(self, batch: Fixes) -> list[Signal]:
        """Evaluate a batch of fixes (any order; fixes not newer than a subject's last are ignored here)."""
        transitions, kept = self.tracker.advance(self.index, batch)
        out: list[Signal] = []
        for tr in transitions:
            self._transition(tr, out)
        if len(kept):
            self._remember(kept, out)
        return out

    def _remember(self, f: Fixes, out: list[Signal]) -> None:
        """The last fix of every subject, and the stationary anchors of subjects inside fences that a stationary
        rule watches (a subject's anchor moves when a fix lands farther than the radius from it)."""
        sl, tl, xl, yl = f.subject.tolist(), f.t.tolist(), f.x.tolist(), f.y.tolist()
        lonl, latl = f.lon.tolist(), f.lat.tolist()
        ends = np.append(f.subject[1:] != f.subject[:-1], True)
        last = self.last
        for i in np.flatnonzero(ends).tolist():
            last[sl[i]] = (tl[i], xl[i], yl[i], lonl[i], latl[i])
        still = self.still_fences
        if not still:
            return
        watched = {s for s, ms in self.tracker.members.items() if not still.isdisjoint(ms)}
        for s in [s for s in self.anchors if s not in watched]:
            del self.anchors[s]
        if not watched:
            return
        radius = self.still_radius
        rows = np.flatnonzero(np.isin(f.subject, np.fromiter(watched, np.int64, len(watched))))
        for i in rows.tolist():
            s, t = sl[i], tl[i]
            a = self.anchors.get(s)
            moved = a is not None and math.hypot(xl[i] - a[0], yl[i] - a[1]) > radius
            if moved:
                for key in self._keys("ts", "stationary", s):
                    out.append(self._end(key, t, {"reason": "moved"}))
            # Stillness must be seen: after a gap in the data (and no alarm yet) the count starts again.
            gap = a is not None and t - a[3] > STILL_MAX_GAP_S and not self._keys("ts", "stationary", s)
            if a is None or moved or gap:
                self.anchors[s] = (xl[i], yl[i], t, t)
            else:
                self.anchors[s] = (a[0], a[1], a[2], t)

    def _settled_by_edit(self, fence: str, t: float, kind: str | None = None) -> bool:
        """Whether a transition (or a visit that began) at `t` on `fence` is the doing of a fence edit."""
        s = self.settling.get(fence)
        if s is None or not (s[0] <= t <= s[1]):
            return False
        if kind in s[2]:
            s[2][kind] += 1
        return True

    def _tick_settling(self, now: float, out: list[Signal]) -> None:
        for fence, (edited, settled, counts) in list(self.settling.items()):
            if now < settled:
                continue
            del self.settling[fence]
            if counts["enter"] or counts["exit"]:
                zid = int(fence[1:])
                ev = {
                    "edited_at": edited,
                    "entered": counts["enter"],
                    "left": counts["exit"],
                    "settle_s": FENCE_SETTLE_S,
                }
                key = f"edit:{fence}:{_ms(edited)}"
                if self._raise(out, Signal("raise", key, 0, "fence_edited", now, zone=zid, evidence=ev)):
                    out.append(self._end(key, now, {"reason": "a record of the edit's effect"}))

    def _transition(self, tr: Transition, out: list[Signal]) -> None:
        if self._settled_by_edit(tr.fence, tr.t, tr.kind):
            return
        rules = self.by_fence.get(tr.fence, ())
        subj = self.subjects.get(tr.subject)
        for r in rules:
            if not r.matches(subj):
                continue
            if tr.kind == "exit":
                if r.type == "leaving" and self._zone_on(r, tr.fence, tr.t) and self._own(tr.fence, subj):
                    self._new(
                        out,
                        r,
                        f"{r.id}:{tr.subject}:{tr.visit}:out",
                        tr.t,
                        subject=tr.subject,
                        zone=int(tr.fence[1:]),
                        lon=tr.lon,
                        lat=tr.lat,
                        evidence=self._evidence(r, tr),
                        visit="",
                    )
                continue
            if tr.kind == "enter":
                if r.type == "leaving":
                    for key in [k for k in self._keys("rs", r.id, tr.subject) if f"z{self.open[k].zone}" == tr.fence]:
                        out.append(self._end(key, tr.t, {"reason": "returned"}))
                    continue
                self._inside(
                    r, tr.subject, tr.fence, tr.visit, tr.entered_at, tr.t, (tr.x, tr.y, tr.lon, tr.lat), out, tr
                )
            elif (
                tr.kind == "cross"
                and r.type == "out_of_bounds"
                and self._zone_on(r, tr.fence, tr.t)
                and tr.subject not in self.permitted.get(int(tr.fence[1:]), ())
            ):
                key = f"{r.id}:{tr.subject}:{tr.visit}"
                ev = self._evidence(r, tr) | {"passed_through": True}
                if self._new(
                    out, r, key, tr.t, subject=tr.subject, zone=int(tr.fence[1:]), lon=tr.lon, lat=tr.lat, evidence=ev
                ):
                    out.append(self._end(key, tr.t, {"reason": "passed through between two fixes"}))
        if tr.kind == "exit":
            for key in self._keys("v", tr.visit):
                out.append(self._end(key, tr.t, {"reason": "left the zone", "depth_m": _metres(tr.depth)}))
            self.latched = {k for k in self.latched if tr.visit not in k}

    def _own(self, fence: str, subj: SubjectInfo | None) -> bool:
        """Leaving counts for the site of one's own enterprise (or an authority's boundary, such as the park's)."""
        z = self.zones.get(int(fence[1:])) if fence[0] == "z" else None
        return z is not None and subj is not None and z.enterprise_id in (None, subj.enterprise_id)

    def _zone_on(self, r: RuleSpec, fence: str, t: float) -> bool:
        if not r.in_force(t):
            return False
        if fence[0] == "z":
            z = self.zones.get(int(fence[1:]))
            return z is not None and z.in_force(t)
        p = self.permits.get(int(fence[1:]))
        return p is not None and p.active

    def _inside(
        self,
        r: RuleSpec,
        s: int,
        fence: str,
        visit: str,
        entered_at: float,
        t: float,
        where,
        out,
        tr: Transition | None = None,
    ) -> None:
        """A subject is inside a fence a rule watches: the alarms that presence itself raises."""
        if r.type not in ("out_of_bounds", "key_area_work", "unauthorized_person"):
            return
        key = f"{r.id}:{s}:{visit}"
        if key in self.open or key in self.latched or not self._zone_on(r, fence, t):
            return
        if self._settled_by_edit(fence, entered_at):  # inside because the fence moved, not because they walked in
            self.latched.add(key)
            return
        if r.type == "key_area_work":
            powered = self.power.get(s, (False, 0.0))[0]
            if not powered:
                return
        zone = int(fence[1:]) if fence[0] == "z" else None
        permit = int(fence[1:]) if fence[0] == "p" else None
        if r.type == "unauthorized_person" and s in self.permits[permit].authorised:
            return
        if r.type == "out_of_bounds" and zone is not None and s in self.permitted.get(zone, ()):
            return
        ev = self._evidence(r, tr) if tr else {"rule": r.id, "params": params(r.type, r.params)}
        ev |= {"entered_at": entered_at}
        self._new(
            out, r, key, t, subject=s, zone=zone, permit=permit, lon=where[2], lat=where[3], evidence=ev, visit=visit
        )

    def _evidence(self, r: RuleSpec, tr: Transition) -> dict:
        return {
            "rule": r.id,
            "params": params(r.type, r.params),
            "transition": tr.kind,
            "fence": tr.fence,
            "visit": tr.visit,
            "fix": {"t": tr.t, "lon": tr.lon, "lat": tr.lat, "depth_m": _metres(tr.depth)},
        }

    # --- signals ------------------------------------------------------------------------------------------------

    def _keys(self, *idx) -> list[str]:
        return list(self.by.get(idx, ()))

    def _new(self, out: list[Signal], rule: RuleSpec, key: str, t: float, visit: str = "", **fields) -> bool:
        """Raise an alarm of `rule` under `key` (see _raise)."""
        return self._raise(out, Signal("raise", key, rule.id, rule.type, t, **fields), visit=visit)

    def _raise(self, out: list[Signal], sig: Signal, visit: str = "") -> bool:
        if sig.key in self.open:
            return False
        r = self.rules.get(sig.rule)
        t = TYPES[sig.type]
        sig.severity = sig.severity or (r.severity if r and r.severity else t.severity)
        sig.code = sig.code if sig.code is not None else t.code
        if sig.enterprise is None:
            if sig.subject is not None and sig.subject in self.subjects:
                sig.enterprise = self.subjects[sig.subject].enterprise_id
            elif sig.zone is not None and sig.zone in self.zones:
                sig.enterprise = self.zones[sig.zone].enterprise_id
            elif sig.permit is not None and sig.permit in self.permits:
                sig.enterprise = self.permits[sig.permit].enterprise_id
        o = self.open[sig.key] = Open(sig.rule, sig.type, sig.t, sig.severity, visit, sig.subject, sig.zone, sig.permit)
        for idx in _index_keys(o):
            self.by.setdefault(idx, set()).add(sig.key)
        out.append(sig)
        return True

    def _end(self, key: str, t: float, evidence: dict) -> Signal:
        o = self.open.pop(key)
        for idx in _index_keys(o):
            keys = self.by.get(idx)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by[idx]
        if o.visit:
            self.latched.add(key)
        return Signal(
            "end",
            key,
            o.rule,
            o.type,
            t,
            severity=o.severity,
            subject=o.subject,
            zone=o.zone,
            permit=o.permit,
            evidence=evidence,
        )

    def _update(self, key: str, t: float, severity: str, evidence: dict) -> Signal:
        o = self.open[key]
        o.severity = severity
        return Signal(
            "update",
            key,
            o.rule,
            o.type,
            t,
            severity=severity,
            subject=o.subject,
            zone=o.zone,
            permit=o.permit,
            evidence=evidence,
        )

    def _hold(self, out: list[Signal], name: str, condition: bool, now: float, grace: float) -> float | None:
        """A condition timer: returns when the condition began once it has held for `grace` seconds."""
        if not condition:
            self.since.pop(name, None)
            return None
        began = self.since.setdefault(name, now)
        return began if now - began >= grace else None

    # --- time ---------------------------------------------------------------------------------------------------

    def tick(self, now: float) -> list[Signal]:
        """Everything that follows from time passing or data not coming; call about once a second."""
        out: list[Signal] = []
        for tr in self.tracker.tick(self.index, now):
            self._transition(tr, out)
        self._tick_settling(now, out)
        occupants = self.tracker.occupants()
        for r in self.rules.values():
            handler = getattr(self, f"_tick_{r.type}", None)
            if handler is not None:
                handler(r, now, occupants, out)
        return out

    def _visits(self, r: RuleSpec, occupants: dict[str, list[int]]):
        for zid in r.zones:
            key = f"z{zid}"
            for s in occupants.get(key, ()):
                m = self.tracker.members[s][key]
                yield zid, key, s, m

    def _tick_out_of_bounds(self, r: RuleSpec, now: float, occupants, out) -> None:
        p = params(r.type, r.params)
        for zid, key, s, m in self._visits(r, occupants):
            if not r.matches(self.subjects.get(s)):
                continue
            self._inside(r, s, key, m.visit, m.entered_at, now, m.where, out)
            akey = f"{r.id}:{s}:{m.visit}"
            o = self.open.get(akey)
            confirm = params(r.type, r.params, self.zones[zid].params.get(r.type))["confirm_after_s"]
            if o and o.severity == "warning" and now - o.since >= confirm:
                out.append(self._update(akey, now, "alarm", {"confirmed_after_s": confirm, "params": p}))

    def _tick_key_area_work(self, r: RuleSpec, now: float, occupants, out) -> None:
        for _zid, key, s, m in self._visits(r, occupants):
            if r.matches(self.subjects.get(s)):
                self._inside(r, s, key, m.visit, m.entered_at, now, m.where, out)
        for akey in self._keys("r", r.id):
            if not self.power.get(self.open[akey].subject, (False, 0.0))[0]:
                out.append(self._end(akey, now, {"reason": "machine powered off"}))

    def _tick_unauthorized_person(self, r: RuleSpec, now: float, occupants, out) -> None:
        for key, members in occupants.items():
            if key[0] != "p" or r not in self.by_fence.get(key, ()):
                continue
            for s in members:
                if r.matches(self.subjects.get(s)):
                    m = self.tracker.members[s][key]
                    self._inside(r, s, key, m.visit, m.entered_at, now, m.where, out)

    def _tick_overstay(self, r: RuleSpec, now: float, occupants, out) -> None:
        for zid, key, s, m in self._visits(r, occupants):
            z = self.zones[zid]
            limit = params(r.type, r.params, z.params.get(r.type))["limit_s"]
            akey = f"{r.id}:{s}:{m.visit}"
            due = now - m.entered_at > limit and akey not in self.open and akey not in self.latched
            if due and r.matches(self.subjects.get(s)) and self._zone_on(r, key, now):
                self._new(
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

    def _tick_stationary(self, r: RuleSpec, now: float, occupants, out) -> None:
        for zid, key, s, m in self._visits(r, occupants):
            z = self.zones[zid]
            p = params(r.type, r.params, z.params.get(r.type))
            a, last = self.anchors.get(s), self.last.get(s)
            if a is None or last is None or not r.matches(self.subjects.get(s)):
                continue
            still_for = last[0] - a[2]
            akey = f"{r.id}:{s}:{zid}:{_ms(a[2])}"
            due = still_for >= p["limit_s"] and akey not in self.open and akey not in self.latched
            if due and self._zone_on(r, key, now):
                self._new(
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

    def _tick_over_capacity(self, r: RuleSpec, now: float, occupants, out) -> None:
        self._capacity(r, now, occupants, out, over=True)

    def _tick_under_staffed(self, r: RuleSpec, now: float, occupants, out) -> None:
        self._capacity(r, now, occupants, out, over=False)

    def _capacity(self, r: RuleSpec, now: float, occupants, out, over: bool) -> None:
        for zid in r.zones:
            z = self.zones.get(zid)
            if z is None:
                continue
            limit = z.capacity_max if over else z.capacity_min
            p = params(r.type, r.params, z.params.get(r.type))
            people = [s for s in occupants.get(f"z{zid}", ()) if r.matches(self.subjects.get(s))]
            n = len(people)
            bad = limit is not None and (n > limit if over else n < limit) and self._zone_on(r, f"z{zid}", now)
            name = f"{r.id}:z{zid}"
            began = self._hold(out, name, bad, now, p["grace_s"])
            current = self._keys("rz", r.id, zid)
            if bad and began is not None and not current:
                self._new(
                    out,
                    r,
                    f"{name}:{_ms(began)}",
                    now,
                    zone=zid,
                    subjects=tuple(sorted(people)),
                    evidence={"rule": r.id, "count": n, "limit": limit, "since": began, "params": p},
                )
            elif not bad:
                for k in current:
                    out.append(self._end(k, now, {"count": n, "limit": limit}))

    def _tick_absent_from_post(self, r: RuleSpec, now: float, occupants, out) -> None:
        for zid in r.zones:
            z = self.zones.get(zid)
            if z is None:
                continue
            p = params(r.type, r.params, z.params.get(r.type))
            present = set(occupants.get(f"z{zid}", ()))
            for h in z.holders:
                name = f"{r.id}:z{zid}:{h}"
                absent = h not in present and self._zone_on(r, f"z{zid}", now)
                began = self._hold(out, name, absent, now, p["grace_s"])
                current = [k for k in self._keys("rz", r.id, zid) if self.open[k].subject == h]
                if began is not None and not current:
                    last = self.last.get(h)
                    self._new(
                        out,
                        r,
                        f"{name}:{_ms(began)}",
                        now,
                        subject=h,
                        zone=zid,
                        lon=last[3] if last else None,
                        lat=last[4] if last else None,
                        evidence={
                            "rule": r.id,
                            "absent_since": began,
                            "params": p,
                            "last_fix": last[0] if last else None,
                        },
                    )
                elif not absent:
                    for k in current:
                        out.append(self._end(k, now, {"reason": "back at the post"}))

    def _at_work(self, reach_m: float) -> set[int]:
        """People at the work of a permit in progress that names them (its guardian, its workers), within
        `reach_m` of its location: a crew at its work is not a gathering."""
        out: set[int] = set()
        if reach_m <= 0:
            return out
        for pm in self.permits.values():
            if not pm.active:
                continue
            for s in (pm.guardian, *pm.authorised):
                last = self.last.get(s) if s is not None else None
                if last is not None and math.hypot(last[1] - pm.x, last[2] - pm.y) <= reach_m:
                    out.add(s)
        return out

    def _tick_gathering(self, r: RuleSpec, now: float, occupants, out) -> None:
        p = params(r.type, r.params)
        if now - self.last_gathering.get(r.id, -math.inf) < p["interval_s"]:
            return
        self.last_gathering[r.id] = now
        by_scope: dict[int | None, list[int]] = {}
        for s, (t, *_rest) in self.last.items():
            if now - t <= p["fresh_s"]:
                info = self.subjects.get(s)
                if r.matches(info):
                    by_scope.setdefault(info.enterprise_id, []).append(s)
        if r.zones:
            inside = {s for zid in r.zones for s in occupants.get(f"z{zid}", ())}
            by_scope = {k: [s for s in v if s in inside] for k, v in by_scope.items()}
        crews = self._at_work(p["crew_exempt_m"])
        if crews:
            by_scope = {k: [s for s in v if s not in crews] for k, v in by_scope.items()}
        on = r.in_force(now)
        for scope in set(by_scope) | {sc for (rid, sc) in self.groups if rid == r.id}:
            members = by_scope.get(scope, []) if on else []
            found = []
            if len(members) >= p["min_people"]:
                ids = np.array(members)
                xy = np.array([self.last[s][1:5] for s in members])
                for c in clusters(xy[:, 0], xy[:, 1], p["radius_m"], int(p["min_people"])):
                    cx, cy, clon, clat = xy[c].mean(axis=0).tolist()
                    found.append((frozenset(ids[c].tolist()), (cx, cy, clon, clat)))
            tracker = self.groups.setdefault((r.id, scope), GroupTracker())
            current, gone = tracker.update(f"{r.id}:{scope}", found, now)
            for g in gone:
                key = f"{r.id}:{g.gid}"
                if key in self.open:
                    out.append(self._end(key, now, {"reason": "dispersed", "peak": g.peak}))
            for g in current.values():
                key = f"{r.id}:{g.gid}"
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
                if key in self.open:
                    if self.open[key].severity != lvl:
                        out.append(self._update(key, now, lvl, ev))
                elif now - g.since > p["min_duration_s"]:
                    self._new(
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
                self.groups.pop((r.id, scope), None)

    # --- permits ------------------------------------------------------------------------------------------------

    def _permit_raise(self, out, r: RuleSpec, key: str, p: PermitSpec, now: float, ev: dict, code=None) -> None:
        self._new(
            out,
            r,
            key,
            now,
            code=code,
            permit=p.id,
            enterprise=p.enterprise_id,
            lon=p.lon,
            lat=p.lat,
            evidence={"rule": r.id, "ticket_no": p.ticket_no, "ticket_type": p.ticket_type, "status": p.status, **ev},
        )

    def _permit_end(self, out, r: RuleSpec, now: float, keep: set[str], reason: str) -> None:
        for k in [k for k in self._keys("r", r.id) if k not in keep]:
            out.append(self._end(k, now, {"reason": reason}))

    def _tick_location_outside_site(self, r: RuleSpec, now: float, occupants, out) -> None:
        keep = set()
        for p in self.permits.values():
            if p.outside_site and p.status in (1, 2, 6) and r.in_force(now):
                key = f"{r.id}:p{p.id}"
                keep.add(key)
                self._permit_raise(out, r, key, p, now, {"location": [p.lon, p.lat]})
        self._permit_end(out, r, now, keep, "permit closed or moved onto its site")

    def _tick_approver_not_on_site(self, r: RuleSpec, now: float, occupants, out) -> None:
        limit = params(r.type, r.params)["distance_m"]
        for p in self.permits.values():
            d = p.approver_distance_m
            if d is not None and d > limit:
                self._permit_raise(
                    out,
                    r,
                    f"{r.id}:p{p.id}",
                    p,
                    now,
                    {
                        "approver_distance_m": None if math.isinf(d) else round(d, 1),
                        "limit_m": limit,
                        "no_position": math.isinf(d),
                    },
                )

    def _tick_permit_expired(self, r: RuleSpec, now: float, occupants, out) -> None:
        keep = set()
        for p in self.permits.values():
            if not p.active:
                continue
            past_end = now > p.planned_end
            too_long = (
                p.max_validity_s is not None
                and p.actual_start is not None
                and (now - p.actual_start > p.max_validity_s)
            )
            if past_end or too_long:
                key = f"{r.id}:p{p.id}"
                keep.add(key)
                self._permit_raise(
                    out,
                    r,
                    key,
                    p,
                    now,
                    {
                        "planned_end": p.planned_end,
                        "past_planned_end": past_end,
                        "past_max_validity": too_long,
                        "max_validity_s": p.max_validity_s,
                    },
                )
        self._permit_end(out, r, now, keep, "permit no longer in progress")

    def _tick_hot_work_not_upgraded(self, r: RuleSpec, now: float, occupants, out) -> None:
        keep = set()
        for p in self.permits.values():
            if not p.active or p.ticket_type not in ("02", "03") or p.upgraded:
                continue
            for purpose, inside in r.windows.items():
                code = UPGRADE_CODES.get(purpose)
                if code and inside(now):
                    key = f"{r.id}:p{p.id}:{code}"
                    keep.add(key)
                    self._permit_raise(out, r, key, p, now, {"window": purpose}, code=code)
        self._permit_end(out, r, now, keep, "outside the window, upgraded or finished")

    def _tick_guardian_away(self, r: RuleSpec, now: float, occupants, out) -> None:
        pr = params(r.type, r.params)
        keep = set()
        for p in self.permits.values():
            if not p.active or p.ticket_type not in pr["ticket_types"] or p.guardian is None:
                continue
            last = self.last.get(p.guardian)
            d = math.inf if last is None else math.hypot(last[1] - p.x, last[2] - p.y)
            name = f"{r.id}:p{p.id}"
            began = self._hold(out, name, d > pr["distance_m"], now, pr["grace_s"])
            current = self._keys("rp", r.id, p.id)
            keep.update(current)
            if began is not None and not current:
                key = f"{name}:{_ms(began)}"
                keep.add(key)
                self._permit_raise(
                    out,
                    r,
                    key,
                    p,
                    now,
                    {
                        "guardian": p.guardian,
                        "distance_m": None if math.isinf(d) else round(d, 1),
                        "limit_m": pr["distance_m"],
                        "away_since": began,
                        "no_position": last is None,
                    },
                )
            elif d <= pr["distance_m"]:
                for k in current:
                    keep.discard(k)
        self._permit_end(out, r, now, keep, "guardian back, or permit no longer in progress")

    # --- devices, events, feeds ---------------------------------------------------------------------------------

    def sos(
        self,
        subject: int | None,
        t: float,
        lon: float | None,
        lat: float | None,
        ref: str,
        enterprise: int | None = None,
        extra: dict | None = None,
    ) -> list[Signal]:
        """An SOS (button press, or an enterprise's B.3 type 0 alarm): raised at once, no thresholds. An SOS is never
        dropped for want of knowing its subject: one from a subject the scene does not know, or knows only
        provisionally, is raised by the park-wide SOS rule, flagged, with whatever `extra` the caller has (the
        reporter, the raw record)."""
        out: list[Signal] = []
        info = self.subjects.get(subject) if subject is not None else None
        rules = [r for r in self.rules.values() if r.type == "sos" and r.in_force(t)]
        chosen = [r for r in rules if r.matches(info)]
        if not chosen and rules and (info is None or info.provisional):
            chosen = [min(rules, key=lambda r: (r.enterprise_id is not None, bool(r.person_types), r.id))]
        flags = {"unknown_subject": info is None, "provisional_subject": bool(info and info.provisional)}
        for r in chosen:
            self._new(
                out,
                r,
                f"{r.id}:{subject}:{ref}",
                t,
                subject=subject,
                enterprise=info.enterprise_id if info else enterprise,
                lon=lon,
                lat=lat,
                evidence={"rule": r.id, "source": ref, **{k: v for k, v in flags.items() if v}, **(extra or {})},
            )
        return out

    def unevaluated(self, ref: str, t: float, subject: int | None, evidence: dict) -> list[Signal]:
        """An input that could not be evaluated after retries: itself an alarm (no rule: it is the service's)."""
        out: list[Signal] = []
        self._raise(out, Signal("raise", f"unevaluated:{ref}", 0, "input_unevaluated", t, subject=subject,
                                evidence=evidence))  # fmt: skip
        return out

    def device(self, subject: int, powered: bool, heard_at: float) -> None:
        """A welder's power state and when it was last heard from (position, heartbeat, power or scan)."""
        self.power[subject] = (powered, heard_at)

    def _tick_welder_silent(self, r: RuleSpec, now: float, occupants, out) -> None:
        """Powered machines not heard for `silent_s`. When many fall silent together the silence is the feed's (an
        outage of the broker, the ingest, the network, or this service before its first start): one `feed_outage`
        alarm says how many and since when, and ends when data flows again; machines are then given `silent_s`
        from that moment before a silence counts as their own."""
        p = params(r.type, r.params)
        limit = p["silent_s"]
        watched = [(s, powered, heard) for s, (powered, heard) in self.power.items() if r.matches(self.subjects.get(s))]
        resumed = self.outage_ended.get(r.id, -math.inf)
        silent = [(s, heard) for s, powered, heard in watched if powered and now - max(heard, resumed) > limit]
        lone = [(s, h) for s, h in silent if not self._keys("rs", r.id, s)]  # not already alarmed on their own
        powered_n = sum(1 for _, powered, _ in watched if powered)
        mass = len(lone) >= max(p["outage_min"], p["outage_share"] * powered_n)
        outage = [k for k in self._keys("r", r.id) if self.open[k].type == "feed_outage"]
        if mass and not outage:
            heard = sorted(h for _, h in lone)
            since = heard[len(heard) // 2]
            evidence = {"rule": r.id, "silent": len(lone), "powered": powered_n, "since": since,
                        "first_silent_since": heard[0], "silent_s": limit}  # fmt: skip
            self._raise(out, Signal("raise", f"{r.id}:outage:{_ms(since)}", r.id, "feed_outage", now,
                                    evidence=evidence))  # fmt: skip
            return
        if outage:
            if mass:
                return
            for k in outage:
                out.append(self._end(k, now, {"reason": "data flows again", "still_silent": len(lone)}))
            self.outage_ended[r.id] = now
            return
        for s, powered, heard in watched:
            name = f"{r.id}:{s}"
            silent = powered and now - max(heard, resumed) > limit
            current = self._keys("rs", r.id, s)
            if silent and not current:
                last = self.last.get(s)
                self._new(
                    out,
                    r,
                    f"{name}:{_ms(heard)}",
                    now,
                    subject=s,
                    lon=last[3] if last else None,
                    lat=last[4] if last else None,
                    evidence={"rule": r.id, "last_heard": heard, "silent_s": limit},
                )
            elif not silent:
                for k in current:
                    out.append(self._end(k, now, {"reason": "heard again" if powered else "powered off"}))

    def scan(
        self,
        subject: int,
        t: float,
        machine: tuple[float, float] | None,
        phone: tuple[float, float] | None,
        phone_lonlat: tuple[float, float] | None,
        district: str | None,
        ref: str,
        works: bool = True,
        machine_accuracy_m: float | None = None,
        phone_accuracy_m: float | None = None,
    ) -> list[Signal]:
        """A QR scan on a welder: remote scan (the phone far from the machine, both in the metric plane of one
        datum), and, when it starts work (`works`), the mobile-welder pattern over the work starts of recent days.
        Each remote-scan verdict (remote, uncertain, near) is kept in `scan_verdicts` for the caller to record."""
        out: list[Signal] = []
        info = self.subjects.get(subject)
        for r in self.rules.values():
            if not r.matches(info) or not r.in_force(t):
                continue
            if r.type == "remote_scan" and machine is not None and phone is not None:
                verdict = remote_scan_verdict(
                    math.hypot(machine[0] - phone[0], machine[1] - phone[1]),
                    machine_accuracy_m,
                    phone_accuracy_m,
                    params(r.type, r.params),
                )
                self.scan_verdicts.append((ref, verdict))
                if verdict["result"] == "remote":
                    self._new(
                        out,
                        r,
                        f"{r.id}:{subject}:{ref}",
                        t,
                        subject=subject,
                        lon=phone_lonlat[0],
                        lat=phone_lonlat[1],
                        evidence={"rule": r.id, **verdict, "scan": ref},
                    )
        if works and machine is not None and info is not None and info.kind == "welder":
            work = self.work.setdefault(subject, deque())
            if not work or t > work[-1][0]:
                work.append((t, machine[0], machine[1], district))
            for r in self.rules.values():
                if r.type == "mobile_welder" and r.matches(info) and r.in_force(t):
                    self._mobile(r, subject, work, t, out)
        return out

    def _mobile(self, r: RuleSpec, subject: int, work: deque, t: float, out: list[Signal]) -> None:
        p = params(r.type, r.params)
        window = p["window_days"] * 86400.0
        while work and work[0][0] < t - window:
            work.popleft()
        pts = list(work)
        jumps = [(a, b, math.hypot(b[1] - a[1], b[2] - a[2])) for a, b in itertools.pairwise(pts)]
        far = [(a, b, d) for a, b, d in jumps if d > p["jump_m"]]
        districts = sorted({w[3] for w in pts if w[3]})
        if len(far) < p["jumps"] and len(districts) < p["districts"]:
            return
        if self._keys("rs", r.id, subject):
            return  # once per machine per window: the open alarm's evidence is the record
        if any(
            k.startswith(f"{r.id}:{subject}:") and float(k.rsplit(":", 1)[1]) / 1000 > t - window for k in self.latched
        ):
            return
        start = pts[0][0]
        ev = {
            "rule": r.id,
            "params": p,
            "work_starts": [{"t": w[0], "district": w[3]} for w in pts],
            "jumps_m": [round(d, 1) for _, _, d in far],
            "districts": districts,
            "reason": "far_jumps" if len(far) >= p["jumps"] else "districts",
        }
        last = self.last.get(subject)
        key = f"{r.id}:{subject}:{_ms(start)}"
        if self._new(
            out, r, key, t, subject=subject, lon=last[3] if last else None, lat=last[4] if last else None, evidence=ev
        ):
            # A pattern, not a state: it is recorded once and needs a person to look at it; the window latches.
            out.append(self._end(key, t, {"reason": "recorded"}))
            self.latched.add(key)

    def feeds(self, states: list[tuple[int | None, str, bool, float]], now: float) -> list[Signal]:
        """Reporting liveness per (enterprise, feed): offline raises, back online ends. Many feeds offline together
        (at least `outage_min` and `outage_share` of them: the broker, the network, this service's own start) are
        one `feed_outage` alarm, not one per enterprise; a feed still offline `grace_s` after it ended is its own."""
        out: list[Signal] = []
        for r in [r for r in self.rules.values() if r.type == "feed_offline"]:
            p = params(r.type, r.params)
            mine = [st for st in states if r.enterprise_id is None or st[0] == r.enterprise_id]
            down = [st for st in mine if not st[2]]
            mass = len(down) >= max(p["outage_min"], p["outage_share"] * len(mine))
            outage = [k for k in self._keys("r", r.id) if self.open[k].type == "feed_outage"]
            if mass and not outage and r.in_force(now):
                since = sorted(st[3] for st in down)[len(down) // 2]
                evidence = {
                    "rule": r.id,
                    "feeds_offline": len(down),
                    "feeds": len(mine),
                    "since": since,
                    "by_feed": {f: sum(1 for st in down if st[1] == f) for f in sorted({st[1] for st in down})},
                }
                self._raise(out, Signal("raise", f"{r.id}:outage:{_ms(since)}", r.id, "feed_outage", now,
                                        evidence=evidence))  # fmt: skip
                continue
            if outage:
                if mass:
                    continue
                for k in outage:
                    out.append(self._end(k, now, {"reason": "feeds report again", "still_offline": len(down)}))
                self.outage_ended[r.id] = now
            if now - self.outage_ended.get(r.id, -math.inf) < p["grace_s"]:
                continue
            for ent, feed, online, changed in mine:
                name = f"{r.id}:{ent}:{feed}"
                current = [k for k in self._keys("r", r.id) if k.startswith(name + ":")]
                if not online and not current and r.in_force(now):
                    self._new(
                        out,
                        r,
                        f"{name}:{_ms(changed)}",
                        changed,
                        enterprise=ent,
                        evidence={"rule": r.id, "feed": feed, "offline_since": changed},
                    )
                elif online:
                    for k in current:
                        out.append(self._end(k, changed, {"reason": "feed back online"}))
        return out


def remote_scan_verdict(distance_m: float, machine_acc: float | None, phone_acc: float | None, p: dict) -> dict:
    """Remote when the phone is beyond the limit even at the nearest ends of both accuracy radii; uncertain when
    only the raw distance is beyond it; near otherwise. A radius not reported takes the rule's default."""
    am = p["machine_accuracy_m"] if machine_acc is None or machine_acc != machine_acc else machine_acc
    ap = p["phone_accuracy_m"] if phone_acc is None or phone_acc != phone_acc else phone_acc
    nearest = max(0.0, distance_m - am - ap)
    result = "remote" if nearest > p["distance_m"] else "uncertain" if distance_m > p["distance_m"] else "near"
    return {"result": result, "distance_m": round(distance_m, 1), "nearest_possible_m": round(nearest, 1),
            "machine_accuracy_m": am, "phone_accuracy_m": ap, "limit_m": p["distance_m"]}  # fmt: skip


def _permitted(zones: dict[int, ZoneSpec], permits: dict[int, PermitSpec]) -> dict[int, frozenset[int]]:
    """Zone -> the people allowed in it: its `cleared` list, and the crew (guardian, authorised) of every permit in
    progress whose work location lies in it."""
    out: dict[int, set[int]] = {zid: set(z.cleared) for zid, z in zones.items() if z.cleared}
    active = [p for p in permits.values() if p.active]
    for zid, z in zones.items():
        if z.kind not in ("forbidden", "temporary"):
            continue
        for p in active:
            if z.geom.covers(Point(p.x, p.y)):
                out.setdefault(zid, set()).update({*p.authorised, *([p.guardian] if p.guardian else [])})
    return {zid: frozenset(v) for zid, v in out.items()}


def _index_keys(o: Open) -> list[tuple]:
    """The lookups open alarms are found by (instead of scanning them all)."""
    out: list[tuple] = [("r", o.rule), ("ts", o.type, o.subject)]
    if o.zone is not None:
        out.append(("rz", o.rule, o.zone))
    if o.subject is not None:
        out.append(("rs", o.rule, o.subject))
    if o.permit is not None:
        out.append(("rp", o.rule, o.permit))
    if o.visit:
        out.append(("v", o.visit))
    return out


def _hysteresis(rules: list[RuleSpec], zone_fence: dict | None) -> dict:
    """A fence's hysteresis: the largest any watching rule asks for (rule params over type defaults over the
    general default), then the zone's own `fence` settings."""
    out = {}
    for k in HYSTERESIS:
        vals = [params(r.type, r.params).get(k) for r in rules]
        vals = [v for v in vals if v is not None]
        out[k] = float(max(vals)) if vals else DEFAULT_HYSTERESIS[k]
    if zone_fence:
        out.update({k: float(v) for k, v in zone_fence.items() if k in HYSTERESIS})
    return out
