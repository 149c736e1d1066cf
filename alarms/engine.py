"""The alarm engine: rules as data applied to fixes, fence transitions, device events and time.

Pure: it takes specs (zones, permits, rules, subjects, already in the metric plane), batches of fixes and the
clock, and returns Signals (raise / update / end an alarm, each with a deterministic key). It never touches the
database; `alarms.store` feeds it and writes what it says. Its whole state pickles, so `alarms.store` can keep it
in PostGIS and a restarted engine continues where it stopped; because every key is derived from the data (subject,
fence, visit start), replaying fixes after a restart names the same alarms and the store drops the repeats.
"""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry import Point

from alarms import rules as _rules  # noqa: F401  (the whole register: the engine evaluates every type)
from alarms.catalogue import TYPES, listening, params
from alarms.fences import Fence, FenceIndex, FenceTracker, Fixes, Transition
from alarms.keys import AlarmKey, FenceKey
from alarms.specs import Open, Paperwork, PermitSpec, RuleSpec, Scan, Signal, SubjectInfo, ZoneSpec, metres, ms

__all__ = [
    "FENCE_SETTLE_S",
    "Engine",
    "Paperwork",
    "PermitSpec",
    "RuleSpec",
    "Scan",
    "Signal",
    "SubjectInfo",
    "ZoneSpec",
]

HYSTERESIS = ("enter_dwell_s", "exit_dwell_s", "enter_margin_m", "exit_margin_m")
FENCE_SETTLE_S = 60.0  # after a fence is redrawn, enters and exits this long are the edit's, not people's
# Ticks come about once a second and fixes as people move. Time passing beyond this with neither (the service's clock
# stepped forward, or it stood still) was not observed: it does not count towards any dwell, stay or grace.
CLOCK_JUMP_S = 60.0
DEFAULT_HYSTERESIS = {"enter_dwell_s": 10.0, "exit_dwell_s": 10.0, "enter_margin_m": 6.0, "exit_margin_m": 6.0}


class Engine:
    """See the module docstring. Inputs: configure(), fixes(), tick(), sos(), device(), scan(), feeds(). The rule
    types (`alarms/rules/`) evaluate through its public helpers: new / emit / update / end (signals), open_for /
    open_of_type / open_in_visit (the index of open alarms), hold (condition timers), visits / inside / zone_on
    (fence memberships), at_work, state (a type's own memory). The worker asks through summary, observe, knows,
    add_subjects, power_of, last_fix and take_scan_verdicts: none of its fields are anyone else's to read."""

    def __init__(self) -> None:
        self.tracker = FenceTracker()
        self.index = FenceIndex([])
        self.rules: dict[int, RuleSpec] = {}
        self.zones: dict[int, ZoneSpec] = {}
        self.permits: dict[int, PermitSpec] = {}
        self.subjects: dict[int, SubjectInfo] = {}
        self.paperwork: Paperwork | None = None  # contractors and filings; None: not known, their rules judge nothing
        self.by_fence: dict[str, list[RuleSpec]] = {}
        self.open: dict[str, Open] = {}
        self.by: dict[tuple, set[str]] = {}  # index over open alarms: see _index_keys
        self.states: dict[str, object] = {}  # rule type -> what it remembers (RuleType.state)
        self.latched: set[str] = set()  # raised and ended while their visit goes on: not raised again
        # Fences redrawn a moment ago: fence key -> (edited at, settled at, enter/exit counts). The memberships the
        # new shape makes are no one's walking: no per-person alarm, one `fence_edited` record with the counts.
        self.settling: dict[str, tuple[float, float, dict[str, int]]] = {}
        self.last: dict[int, tuple[float, float, float, float, float]] = {}  # subject -> t, x, y, lon, lat
        self.since: dict[str, float] = {}  # condition timers: capacity, absence, guardian distance, silence
        self.power: dict[int, tuple[bool, float]] = {}  # welder -> (powered, last heard)
        self.outage_ended: dict[int, float] = {}  # welder_silent rule -> when its last feed outage ended
        self.scan_verdicts: list[tuple[str, dict]] = []  # remote-scan verdicts since the caller last took them
        self.clock = -math.inf  # the last tick, and the newest fix seen: what time the engine has observed
        self.newest_fix = -math.inf

    # The scene (specs, fence index) is rebuilt from the database by configure(); only the state is saved.
    SCENE = ("index", "rules", "zones", "permits", "subjects", "paperwork", "by_fence")
    # State an engine of before issue 25 kept as its own fields, now its types' (saved snapshots carry them on).
    LEGACY = {
        "anchors": ("stationary", "anchors"),
        "work": ("mobile_welder", None),  # the state is the dict itself
        "groups": ("gathering", "groups"),
        "last_gathering": ("gathering", "last"),
    }

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self.SCENE}

    def __setstate__(self, state: dict) -> None:
        # A fresh engine first: the scene is rebuilt by configure(), and state added since the save was made (a
        # newer engine's) starts empty rather than missing.
        state = dict(state)
        legacy = {k: state.pop(k) for k in [*self.LEGACY, "still_fences", "still_radius"] if k in state}
        self.__dict__.update(Engine().__dict__)
        self.__dict__.update(state)
        for name, (type_name, attr) in self.LEGACY.items():
            if name not in legacy:
                continue
            if attr is None:
                self.states[type_name] = legacy[name]
            else:
                setattr(self.state(type_name), attr, legacy[name])

    def state(self, type_name: str):
        """What a rule type remembers between inputs (its RuleType.state, made on first use)."""
        s = self.states.get(type_name)
        if s is None:
            s = self.states[type_name] = TYPES[type_name].state()
        return s

    # --- configuration -------------------------------------------------------------------------------------------

    def configure(
        self,
        zones: list[ZoneSpec],
        permits: list[PermitSpec],
        rules: list[RuleSpec],
        subjects: dict[int, SubjectInfo] | None = None,
        now: float | None = None,
        paperwork: Paperwork | None = None,
    ) -> list[Signal]:
        """Load (or reload) the scene. Memberships of fences that remain are kept; open alarms of rules, zones or
        permits that are gone end."""
        before = getattr(self, "zones", {})
        self.zones = {z.id: z for z in zones}
        t_now = now if now is not None else max((v[0] for v in self.last.values()), default=0.0)
        for zid, z in self.zones.items():  # a fence redrawn: who it now holds is not who walked in (_settled_by_edit)
            old = before.get(zid)
            if old is not None and not old.geom.equals_exact(z.geom, 1e-6):
                self.settling[FenceKey.zone(zid)] = (t_now, t_now + FENCE_SETTLE_S, {"enter": 0, "exit": 0})
        self.permits = {p.id: p for p in permits}
        self.rules = {r.id: r for r in rules}
        # Who may be in a zone by permit: the crew of each permit in progress whose work lies in it (a permitted
        # job in a tank farm is not an intrusion), with a work cordon's own crew (ZoneSpec.cleared).
        self.permitted = _permitted(self.zones, self.permits)
        if subjects is not None:
            self.subjects = subjects
        if paperwork is not None:
            self.paperwork = paperwork
        fences: list[Fence] = []
        self.by_fence = {}
        for r in rules:
            watches = TYPES[r.type].fences
            if watches == "zones":
                for zid in r.zones:
                    if zid in self.zones:
                        self.by_fence.setdefault(FenceKey.zone(zid), []).append(r)
            elif watches == "permit_areas":
                for p in permits:
                    if p.active and p.area is not None:
                        self.by_fence.setdefault(FenceKey.permit(p.id), []).append(r)
        for key, rs in self.by_fence.items():
            if key.is_zone:
                z = self.zones[key.ident]
                h = _hysteresis(rs, z.params.get("fence"))
                fences.append(Fence(key, z.geom, z.floor, **h))
            else:
                fences.append(Fence(key, self.permits[key.ident].area, None, **_hysteresis(rs, None)))
        self.index = FenceIndex(fences)
        for t_ in listening("configure"):
            t_.on["configure"](self, self.rules_of(t_.name))
        out: list[Signal] = []
        t = now if now is not None else max((v[0] for v in self.last.values()), default=0.0)
        for tr in self.tracker.retain(set(self.by_fence)):
            for key in self.open_in_visit(tr.visit):
                out.append(self.end(key, t, {"reason": "the fence is no longer watched"}))
            self.latched = {k for k in self.latched if tr.visit not in k}
        for key, o in list(self.open.items()):
            gone = (
                o.rule not in self.rules
                or (o.zone is not None and o.zone not in self.zones)
                or (o.permit is not None and o.permit not in self.permits)
            )
            if gone:
                out.append(self.end(key, t, {"reason": "rule, zone or permit removed"}))
        return out

    # --- positions -----------------------------------------------------------------------------------------------

    def fixes(self, batch: Fixes) -> list[Signal]:
        """Evaluate a batch of fixes (any order; fixes not newer than a subject's last are ignored here)."""
        if len(batch):
            self.newest_fix = max(self.newest_fix, float(batch.t.max()))
        transitions, kept = self.tracker.advance(self.index, batch)
        out: list[Signal] = []
        for tr in transitions:
            self._transition(tr, out)
        if len(kept):
            self._remember(kept, out)
        return out

    def _remember(self, f: Fixes, out: list[Signal]) -> None:
        """The last fix of every subject; then the types that follow fixes themselves (stationary)."""
        sl, tl, xl, yl = f.subject.tolist(), f.t.tolist(), f.x.tolist(), f.y.tolist()
        lonl, latl = f.lon.tolist(), f.lat.tolist()
        ends = np.append(f.subject[1:] != f.subject[:-1], True)
        last = self.last
        for i in np.flatnonzero(ends).tolist():
            last[sl[i]] = (tl[i], xl[i], yl[i], lonl[i], latl[i])
        for t_ in listening("fixes"):
            t_.on["fixes"](self, self.rules_of(t_.name), f, out)

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
                zid = FenceKey(fence).zone_id
                ev = {
                    "edited_at": edited,
                    "entered": counts["enter"],
                    "left": counts["exit"],
                    "settle_s": FENCE_SETTLE_S,
                }
                key = AlarmKey.of("edit", fence, ms(edited))
                if self.emit(out, Signal("raise", key, 0, "fence_edited", now, zone=zid, evidence=ev)):
                    out.append(self.end(key, now, {"reason": "a record of the edit's effect"}))

    def _transition(self, tr: Transition, out: list[Signal]) -> None:
        if self._settled_by_edit(tr.fence, tr.t, tr.kind):
            return
        rules = self.by_fence.get(tr.fence, ())
        subj = self.subjects.get(tr.subject)
        for r in rules:
            if not r.matches(subj):
                continue
            t = TYPES[r.type]
            handler = t.on.get("transition")
            if handler is not None and handler(self, r, tr, subj, out):
                continue
            if tr.kind == "enter":  # presence: what being inside raises (see inside)
                self.inside(
                    r, tr.subject, tr.fence, tr.visit, tr.entered_at, tr.t, (tr.x, tr.y, tr.lon, tr.lat), out, tr
                )
        if tr.kind == "exit":
            for key in self.open_in_visit(tr.visit):
                out.append(self.end(key, tr.t, {"reason": "left the zone", "depth_m": metres(tr.depth)}))
            self.latched = {k for k in self.latched if tr.visit not in k}

    def own_site(self, fence: str, subj: SubjectInfo | None) -> bool:
        """Leaving counts for the site of one's own enterprise (or an authority's boundary, such as the park's)."""
        z = self.zones.get(FenceKey(fence).zone_id)
        return z is not None and subj is not None and z.enterprise_id in (None, subj.enterprise_id)

    def zone_on(self, r: RuleSpec, fence: str, t: float) -> bool:
        if not r.in_force(t):
            return False
        key = FenceKey(fence)
        if key.is_zone:
            z = self.zones.get(key.ident)
            return z is not None and z.in_force(t)
        p = self.permits.get(key.ident)
        return p is not None and p.active

    def inside(
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
        """A subject is inside a fence a rule watches: the alarms that presence itself raises (for the types whose
        `presence` function says it does)."""
        presence = TYPES[r.type].on.get("presence")
        if presence is None:
            return
        key = AlarmKey.of(r.id, s, visit)
        if key in self.open or key in self.latched or not self.zone_on(r, fence, t):
            return
        if self._settled_by_edit(fence, entered_at):  # inside because the fence moved, not because they walked in
            self.latched.add(key)
            return
        zone, permit = FenceKey(fence).zone_id, FenceKey(fence).permit_id
        if not presence(self, r, s, zone, permit):
            return
        ev = self.transition_evidence(r, tr) if tr else {"rule": r.id, "params": params(r.type, r.params)}
        ev |= {"entered_at": entered_at}
        self.new(
            out, r, key, t, subject=s, zone=zone, permit=permit, lon=where[2], lat=where[3], evidence=ev, visit=visit
        )

    def transition_evidence(self, r: RuleSpec, tr: Transition) -> dict:
        return {
            "rule": r.id,
            "params": params(r.type, r.params),
            "transition": tr.kind,
            "fence": tr.fence,
            "visit": tr.visit,
            "fix": {"t": tr.t, "lon": tr.lon, "lat": tr.lat, "depth_m": metres(tr.depth)},
        }

    # --- signals ------------------------------------------------------------------------------------------------

    def _keys(self, *idx) -> list[str]:
        return list(self.by.get(idx, ()))

    def open_for(
        self, rule: int, *, subject: int | None = None, zone: int | None = None, permit: int | None = None
    ) -> list[str]:
        """Keys of a rule's open alarms: all of them, or those about one subject, zone or permit."""
        if subject is not None:
            return self._keys("rs", rule, subject)
        if zone is not None:
            return self._keys("rz", rule, zone)
        if permit is not None:
            return self._keys("rp", rule, permit)
        return self._keys("r", rule)

    def open_of_type(self, type_name: str, subject: int | None) -> list[str]:
        """Keys of the open alarms of a type about a subject (whatever rule raised them)."""
        return self._keys("ts", type_name, subject)

    def open_in_visit(self, visit: str) -> list[str]:
        """Keys of the open alarms that a visit (enter .. exit of a fence) raised."""
        return self._keys("v", visit)

    def new(self, out: list[Signal], rule: RuleSpec, key: str, t: float, visit: str = "", **fields) -> bool:
        """Raise an alarm of `rule` under `key` (see emit)."""
        return self.emit(out, Signal("raise", key, rule.id, rule.type, t, **fields), visit=visit)

    def emit(self, out: list[Signal], sig: Signal, visit: str = "") -> bool:
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

    def end(self, key: str, t: float, evidence: dict) -> Signal:
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

    def update(self, key: str, t: float, severity: str, evidence: dict) -> Signal:
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

    def hold(self, name: str, condition: bool, now: float, grace: float) -> float | None:
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
        observed = max(self.clock, self.newest_fix)
        if math.isfinite(observed) and now - observed > CLOCK_JUMP_S:
            self._unobserved(observed, now, out)
        self.clock = max(self.clock, now)
        for tr in self.tracker.tick(self.index, now):
            self._transition(tr, out)
        self._tick_settling(now, out)
        occupants = self.tracker.occupants()
        for r in self.rules.values():
            handler = TYPES[r.type].on.get("tick")
            if handler is not None:
                handler(self, r, now, occupants, out)
        return out

    def _unobserved(self, observed: float, now: float, out: list[Signal]) -> None:
        """A stretch of time with neither ticks nor fixes (a clock step, a stalled service): every timer moves on by
        it, so no stay, dwell or grace is complete for time no one saw, and one `clock_jump` record says so instead
        of a storm of per-person alarms at once."""
        gap = now - observed
        memberships = 0
        for subject_ms in self.tracker.members.values():
            for m in subject_ms.values():
                memberships += 1
                m.entered_at += gap
                if not math.isnan(m.since):
                    m.since += gap
        self.since = {k: v + gap for k, v in self.since.items()}
        ev = {
            "from": observed,
            "to": now,
            "unobserved_s": round(gap, 1),
            "memberships": memberships,
            "timers": len(self.since),
        }
        key = AlarmKey.of("clock", ms(observed))
        if (memberships or self.since) and self.emit(out, Signal("raise", key, 0, "clock_jump", now, evidence=ev)):
            out.append(self.end(key, now, {"reason": "a record: timers moved on by the unobserved time"}))

    def visits(self, r: RuleSpec, occupants: dict[str, list[int]]):
        for zid in r.zones:
            key = FenceKey.zone(zid)
            for s in occupants.get(key, ()):
                m = self.tracker.members[s][key]
                yield zid, key, s, m

    def at_work(self, reach_m: float) -> set[int]:
        """People at the work of a standing permit (in progress or paused) that names them (its guardian, its
        workers), within `reach_m` of its location: a crew at its work is not a gathering, nor a man down."""
        out: set[int] = set()
        if reach_m <= 0:
            return out
        for pm in self.permits.values():
            if not pm.standing:
                continue
            for s in (pm.guardian, *pm.authorised):
                last = self.last.get(s) if s is not None else None
                if last is not None and math.hypot(last[1] - pm.x, last[2] - pm.y) <= reach_m:
                    out.add(s)
        return out

    # --- devices, events, feeds ---------------------------------------------------------------------------------

    def rules_of(self, type_name: str) -> list[RuleSpec]:
        return [r for r in self.rules.values() if r.type == type_name]

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
        """An SOS (button press, or an enterprise's B.3 type 0 alarm): the types listening to `sos` decide."""
        out: list[Signal] = []
        for t_ in listening("sos"):
            out += t_.on["sos"](self, self.rules_of(t_.name), subject, t, lon, lat, ref, enterprise, extra)
        return out

    def equipment(self, fault) -> list[Signal]:
        """A special equipment's fault starting or ending (`alarms.rules.equipment.Fault`), for the types listening."""
        out: list[Signal] = []
        for t_ in listening("equipment"):
            out += t_.on["equipment"](self, self.rules_of(t_.name), fault)
        return out

    def equipment_open(self) -> list[int]:
        """The equipment faults (EquipmentFault ids) raised for and not yet ended: the worker asks whether they have."""
        return list(self.state("equipment_fault").open)

    def scan(self, scan: Scan) -> list[Signal]:
        """A QR scan on a welder, for the types listening to `scan` (remote scan); one that starts work (`works`)
        is also a `work_start`, which its types hear even when none of their rules is in force (they keep the
        machine's recent work starts: mobile welder)."""
        out: list[Signal] = []
        info = self.subjects.get(scan.subject)
        starts = scan.works and scan.machine is not None and info is not None and info.kind == "welder"
        for event in ("scan", "work_start") if starts else ("scan",):
            for t_ in listening(event):
                rules = [r for r in self.rules_of(t_.name) if r.matches(info) and r.in_force(scan.t)]
                if rules or event == "work_start":
                    t_.on[event](self, rules, scan, out)
        return out

    def feeds(self, states: list[tuple[int | None, str, bool, float]], now: float) -> list[Signal]:
        """Reporting liveness per (enterprise, feed), for the types listening to `feeds`."""
        out: list[Signal] = []
        for t_ in listening("feeds"):
            t_.on["feeds"](self, self.rules_of(t_.name), states, now, out)
        return out

    def upkeep(self, concerns: list, now: float) -> list[Signal]:
        """Every (device, upkeep state) that holds now (`geo_core.equipment_upkeep.Concern`), for the reminder types."""
        out: list[Signal] = []
        for t_ in listening("upkeep"):
            t_.on["upkeep"](self, self.rules_of(t_.name), concerns, now, out)
        return out

    def unevaluated(self, ref: str, t: float, subject: int | None, evidence: dict) -> list[Signal]:
        """An input that could not be evaluated after retries: itself an alarm (no rule: it is the service's)."""
        out: list[Signal] = []
        self.emit(
            out, Signal("raise", f"unevaluated:{ref}", 0, "input_unevaluated", t, subject=subject, evidence=evidence)
        )
        return out

    def device(self, subject: int, powered: bool, heard_at: float) -> None:
        """A welder's power state and when it was last heard from (position, heartbeat, power or scan)."""
        self.power[subject] = (powered, heard_at)

    # --- what the worker asks -------------------------------------------------------------------------------------

    def summary(self) -> dict[str, int]:
        """Sizes for the worker's log and health: rules, fences, subjects, open alarms."""
        return {
            "rules": len(self.rules),
            "fences": len(self.index),
            "subjects": len(self.subjects),
            "open": len(self.open),
        }

    def observe(self, now: float) -> None:
        """The clock as the caller has seen it (a restart: time it knows passed, not a jump)."""
        self.clock = now

    def knows(self, subject: int) -> bool:
        return subject in self.subjects

    def add_subjects(self, subjects: list[SubjectInfo]) -> None:
        """Subjects loaded since configure() (registered a moment ago), before any input about them."""
        for s in subjects:
            self.subjects[s.id] = s

    def heard(self, subjects: list[int], times: list[float]) -> None:
        """Fixes are heard from their machines too: a welder's last heard moves on (its power state stays)."""
        power = self.power
        if not power:
            return
        for s, t in zip(subjects, times, strict=True):
            p = power.get(s)
            if p is not None and t > p[1]:
                power[s] = (p[0], t)

    def power_of(self, subject: int) -> tuple[bool, float] | None:
        """A welder's (powered, last heard), if it was ever heard."""
        return self.power.get(subject)

    def last_fix(self, subject: int) -> tuple[float, float, float, float, float] | None:
        """A subject's last fix: (t, x, y in the metric plane, lon, lat)."""
        return self.last.get(subject)

    def take_scan_verdicts(self) -> list[tuple[str, dict]]:
        """Remote-scan verdicts since the last call (the scan API answers with them)."""
        out, self.scan_verdicts = self.scan_verdicts, []
        return out


def _permitted(zones: dict[int, ZoneSpec], permits: dict[int, PermitSpec]) -> dict[int, frozenset[int]]:
    """Zone -> the people allowed in it: its `cleared` list, and the crew (guardian, authorised) of every permit in
    progress or paused whose work location lies in it (a pause does not turn the crew at its work into intruders)."""
    out: dict[int, set[int]] = {zid: set(z.cleared) for zid, z in zones.items() if z.cleared}
    active = [p for p in permits.values() if p.standing]
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
