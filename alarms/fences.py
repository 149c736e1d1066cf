"""Fence detection: which subjects are inside which fences, with dwell and hysteresis, as visits.

Pure (numpy + shapely, no database), in a metric plane. Tile38's `fenceMatch` decides enter/exit/inside/cross from
(old, new, fence); we add what its users miss: positioning jitter of a few metres along an edge must not produce an
enter/exit storm. An enter counts only after the subject has been inside for `enter_dwell_s` seconds or is more than
`enter_margin_m` metres past the edge; an exit likewise (`exit_dwell_s`, `exit_margin_m`). A visit (enter..exit)
gets an id made of the fence, the subject and the time the visit began, so replaying the same fixes after a restart
names the same visit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

# A step longer than this between two fixes of one subject is checked for passing through a fence between them.
CROSS_MIN_STEP_M = 20.0
# A passage between two fixes is inferred only where the straight line is the likely path: travelled no faster than
# a vehicle in a park (30 km/h), and within two minutes (a sparse tag, a machine's fix a minute). A longer jump is
# a relocation (a tag moved), and after a longer silence (a first fix long after the last known one) the path is
# unknown.
CROSS_MAX_SPEED_MPS = 8.4
CROSS_MAX_GAP_S = 120.0
# Fixes as accurate as AQ 3064.3 asks (+-5 m dynamic) are what the hysteresis margins are set for. A fix that reports
# a larger accuracy radius counts across an edge only by more than the excess: inside only when it would be even at
# the nearest end of its circle. Nearer the edge it says nothing (a pending change neither starts nor resets).
ACCURATE_M = 5.0


@dataclass(frozen=True, slots=True)
class Fence:
    """One fence in the metric plane. `key` names it across reloads: "z<id>" for zones, "p<id>" for permit areas."""

    key: str
    geom: BaseGeometry
    floor: int | None = None
    enter_dwell_s: float = 0.0
    exit_dwell_s: float = 0.0
    enter_margin_m: float = 0.0
    exit_margin_m: float = 0.0


class Fixes(NamedTuple):
    """A batch of positions in columns: subject ids, epoch seconds, metric x/y, floor (NaN = unknown), the
    CGCS2000 lon/lat the alarms report, and the accuracy radius in metres each fix reports (NaN = not reported)."""

    subject: np.ndarray
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    floor: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    acc: np.ndarray | None = None

    @classmethod
    def of(cls, subject, t, x, y, floor=None, lon=None, lat=None, acc=None) -> Fixes:
        subject = np.asarray(subject, dtype=np.int64)
        n = subject.shape[0]
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        nan = np.full(n, np.nan)
        return cls(
            subject,
            np.asarray(t, dtype=float),
            x,
            y,
            nan if floor is None else np.asarray(floor, dtype=float),
            x if lon is None else np.asarray(lon, dtype=float),
            y if lat is None else np.asarray(lat, dtype=float),
            nan if acc is None else np.asarray(acc, dtype=float),
        )

    @property
    def accuracy(self) -> np.ndarray:
        return np.full(len(self), np.nan) if self.acc is None else self.acc

    def take(self, idx: np.ndarray) -> Fixes:
        return Fixes(*(None if a is None else a[idx] for a in self))

    def __len__(self) -> int:  # type: ignore[override]
        return int(self.subject.shape[0])


class Transition(NamedTuple):
    kind: str  # enter, exit, cross
    subject: int
    fence: str
    t: float
    visit: str
    entered_at: float
    depth: float  # metres inside (+) or outside (-) the edge at the deciding fix
    x: float
    y: float
    lon: float
    lat: float


@dataclass(slots=True)
class Membership:
    """A subject's standing with one fence."""

    inside: bool = False
    since: float = math.nan  # when the pending change (first fix across the edge) began; NaN = none pending
    visit: str = ""
    entered_at: float = math.nan
    depth: float = math.nan
    t: float = math.nan
    where: tuple[float, float, float, float] = (math.nan, math.nan, math.nan, math.nan)  # x, y, lon, lat


def visit_id(fence: str, subject: int, entered_at: float) -> str:
    return f"{fence}:{subject}:{round(entered_at * 1000)}"


class FenceIndex:
    """The fences with an STRtree over them; answers (fix, fence, signed depth) for fixes near or in a fence."""

    def __init__(self, fences: Sequence[Fence]):
        self.fences = list(fences)
        self.by_key = {f.key: i for i, f in enumerate(self.fences)}
        self.geoms = np.array([f.geom for f in self.fences], dtype=object)
        shapely.prepare(self.geoms)
        self.boundaries = shapely.boundary(self.geoms)
        self.tree = STRtree(self.geoms)
        self.floors = np.array([np.nan if f.floor is None else f.floor for f in self.fences], dtype=float)
        margins = [max(f.enter_margin_m, f.exit_margin_m) for f in self.fences]
        self.reach = max(margins, default=0.0)

    def __len__(self) -> int:
        return len(self.fences)

    def pairs(
        self, x: np.ndarray, y: np.ndarray, floor: np.ndarray, slack: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fix index, fence index, depth) for every fix inside a fence or within the largest margin of one (and,
        for a fix with a `slack`, its accuracy excess, further). Depth is metres from the edge, positive inside. A
        fix on another floor than a floor fence is outside it."""
        if not len(self.fences) or not len(x):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        pts = shapely.points(x, y)
        if slack is not None:  # each fix as far as its own accuracy needs: one coarse fix must not widen the rest
            p, f = self.tree.query(pts, predicate="dwithin", distance=self.reach + slack)
        elif self.reach > 0:
            p, f = self.tree.query(pts, predicate="dwithin", distance=self.reach)
        else:
            p, f = self.tree.query(pts, predicate="intersects")
        if not len(p):
            return p, f, np.empty(0)
        inside = shapely.contains_xy(self.geoms[f], x[p], y[p])
        dist = shapely.distance(self.boundaries[f], pts[p])
        depth = np.where(inside, dist, -dist)
        fl = self.floors[f]
        other_floor = ~np.isnan(fl) & ~np.isnan(floor[p]) & (fl != floor[p])
        depth[other_floor] = -np.inf
        return p, f, depth

    def crossed(self, x0, y0, x1, y1) -> tuple[np.ndarray, np.ndarray]:
        """(segment index, fence index) for segments that touch a fence."""
        if not len(self.fences) or not len(x0):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        lines = shapely.linestrings(np.stack([np.stack([x0, y0], -1), np.stack([x1, y1], -1)], 1))
        return self.tree.query(lines, predicate="intersects")


@dataclass
class FenceTracker:
    """Memberships of subjects in fences and the last accepted fix of each subject; `advance` feeds it fixes,
    `tick` confirms dwell-based changes when fixes stop coming."""

    members: dict[int, dict[str, Membership]] = field(default_factory=dict)
    # The last accepted fix of each subject, indexed by subject id (dense arrays: one vector lookup per batch).
    last_t: np.ndarray = field(default_factory=lambda: np.full(0, -np.inf))
    last_x: np.ndarray = field(default_factory=lambda: np.full(0, np.nan))
    last_y: np.ndarray = field(default_factory=lambda: np.full(0, np.nan))

    def _grow(self, top: int) -> None:
        n = len(self.last_t)
        if top < n:
            return
        size = max(top + 1, 2 * n, 1024)
        self.last_t = np.concatenate([self.last_t, np.full(size - n, -np.inf)])
        self.last_x = np.concatenate([self.last_x, np.full(size - n, np.nan)])
        self.last_y = np.concatenate([self.last_y, np.full(size - n, np.nan)])

    def inside(self, subject: int) -> list[str]:
        return [k for k, m in self.members.get(subject, {}).items() if m.inside]

    def occupants(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for s, ms in self.members.items():
            for k, m in ms.items():
                if m.inside:
                    out.setdefault(k, []).append(s)
        return out

    def retain(self, keys: set[str]) -> list[Transition]:
        """Forget fences that no longer exist; their open visits end (an exit at the last known fix)."""
        out = []
        for s, ms in self.members.items():
            for k in [k for k in ms if k not in keys]:
                m = ms.pop(k)
                if m.inside:
                    x, y, lon, lat = m.where
                    out.append(Transition("exit", s, k, m.t, m.visit, m.entered_at, m.depth, x, y, lon, lat))
        return out

    def accept(self, fixes: Fixes) -> tuple[Fixes, np.ndarray]:
        """Order fixes by subject and time and drop those not newer than the subject's last accepted fix (late
        uploads feed history, not real-time alarms). Returns the kept fixes and the count dropped per reason."""
        order = np.lexsort((fixes.t, fixes.subject))
        f = fixes.take(order)
        if len(f):
            self._grow(int(f.subject.max()))
        keep = f.t > self.last_t[f.subject]
        same = np.zeros(len(f), dtype=bool)
        same[1:] = (f.subject[1:] == f.subject[:-1]) & (f.t[1:] <= f.t[:-1])
        keep &= ~same
        return f.take(np.flatnonzero(keep)), int(len(f) - keep.sum())

    def advance(self, index: FenceIndex, fixes: Fixes) -> tuple[list[Transition], Fixes]:
        """Feed a batch; returns the transitions it caused (in time order per subject) and the accepted fixes."""
        f, _dropped = self.accept(fixes)
        n = len(f)
        out: list[Transition] = []
        if not n:
            return out, f
        excess = np.nan_to_num(np.maximum(f.accuracy - ACCURATE_M, 0.0), nan=0.0) if f.acc is not None else None
        if excess is not None and not excess.any():
            excess = None  # every fix as accurate as the margins assume (the usual batch): nothing per fix
        p, fi, depth = index.pairs(f.x, f.y, f.floor, excess)
        by_fix: dict[int, list[tuple[int, float]]] = {}
        for a, b, d in zip(p.tolist(), fi.tolist(), depth.tolist(), strict=True):
            by_fix.setdefault(a, []).append((b, d))

        # The previous position of each fix (same subject earlier in the batch, or the last accepted one).
        subj = f.subject
        first = np.ones(n, dtype=bool)
        first[1:] = subj[1:] != subj[:-1]
        px, py, pt = np.empty(n), np.empty(n), np.empty(n)
        px[1:], py[1:], pt[1:] = f.x[:-1], f.y[:-1], f.t[:-1]
        fi0 = np.flatnonzero(first)
        lx, ly = self.last_x[subj[fi0]], self.last_y[subj[fi0]]
        known = ~np.isnan(lx)
        px[fi0], py[fi0] = np.where(known, lx, f.x[fi0]), np.where(known, ly, f.y[fi0])
        pt[fi0] = self.last_t[subj[fi0]]
        step = np.hypot(f.x - px, f.y - py)
        cross_by_fix: dict[int, list[int]] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            travelled = (step <= CROSS_MAX_SPEED_MPS * (f.t - pt)) & (f.t - pt <= CROSS_MAX_GAP_S)
        long = np.flatnonzero((step > CROSS_MIN_STEP_M) & travelled)
        if len(long):
            seg, fen = index.crossed(px[long], py[long], f.x[long], f.y[long])
            for a, b in zip(long[seg].tolist(), fen.tolist(), strict=True):
                cross_by_fix.setdefault(a, []).append(b)

        interesting = np.zeros(n, dtype=bool)
        if len(p):
            interesting[p] = True
        for i in cross_by_fix:
            interesting[i] = True
        # Subjects with memberships must see every fix (an exit is the absence of a pair).
        members = self.members
        if members:
            interesting |= np.isin(subj, np.fromiter(members, np.int64, len(members)))
        fences = index.fences
        keys = [fc.key for fc in fences]
        sl, tl, xl, yl = subj.tolist(), f.t.tolist(), f.x.tolist(), f.y.tolist()
        lonl, latl = f.lon.tolist(), f.lat.tolist()
        el = excess.tolist() if excess is not None else None
        for i in np.flatnonzero(interesting).tolist():
            s, t, where, slack = sl[i], tl[i], (xl[i], yl[i], lonl[i], latl[i]), el[i] if el else 0.0
            near = by_fix.get(i, ())
            ms = members.get(s)
            before = set(ms) if ms else set()
            seen = set()
            for b, d in near:
                key = keys[b]
                seen.add(key)
                if ms is None:
                    ms = members.setdefault(s, {})
                m = ms.get(key)
                if m is None:
                    if d <= slack:
                        continue
                    m = ms[key] = Membership()
                _step(out, s, key, fences[b], m, t, d, where, slack)
            if ms:
                for key in [k for k in ms if k not in seen]:
                    b = index.by_key.get(key)
                    if b is None:
                        continue
                    _step(out, s, key, fences[b], ms[key], t, -math.inf, where)
                for key in [k for k, m in ms.items() if not m.inside and math.isnan(m.since)]:
                    del ms[key]
                if not ms:
                    del members[s]
            for b in cross_by_fix.get(i, ()):
                key = keys[b]
                if key in seen or key in before:
                    continue  # the fix itself is near the fence, or the subject was in it: enter/exit decide
                out.append(Transition("cross", s, key, t, visit_id(key, s, t), t, 0.0, *where))
        # Remember the last fix of each subject.
        lastpos = np.flatnonzero(np.append(subj[1:] != subj[:-1], True))
        self.last_t[subj[lastpos]] = f.t[lastpos]
        self.last_x[subj[lastpos]] = f.x[lastpos]
        self.last_y[subj[lastpos]] = f.y[lastpos]
        return out, f

    def tick(self, index: FenceIndex, now: float) -> list[Transition]:
        """Confirm pending changes whose dwell has elapsed although no new fix came (the subject stopped reporting
        on the far side of the edge)."""
        out: list[Transition] = []
        for s, ms in list(self.members.items()):
            for key, m in list(ms.items()):
                if math.isnan(m.since):
                    continue
                b = index.by_key.get(key)
                if b is None:
                    continue
                fence = index.fences[b]
                dwell = fence.exit_dwell_s if m.inside else fence.enter_dwell_s
                if dwell > 0 and now - m.since >= dwell:
                    _flip(out, s, key, m, m.since, m.depth, m.where)
                    if not m.inside:
                        del ms[key]
            if not ms:
                del self.members[s]
        return out


def _flip(out: list[Transition], s: int, key: str, m: Membership, at: float, depth: float, where) -> None:
    if m.inside:
        m.inside = False
        out.append(Transition("exit", s, key, at, m.visit, m.entered_at, depth, *where))
        m.visit, m.entered_at = "", math.nan
    else:
        m.inside, m.entered_at = True, at
        m.visit = visit_id(key, s, at)
        out.append(Transition("enter", s, key, at, m.visit, at, depth, *where))
    m.since = math.nan


def _due(beyond_m: float, elapsed_s: float, margin_m: float, dwell_s: float) -> bool:
    """An enter (or exit) counts once the subject is `margin_m` past the edge or has stayed `dwell_s` seconds
    across it; with neither set, at once."""
    if margin_m <= 0 and dwell_s <= 0:
        return True
    return (margin_m > 0 and beyond_m >= margin_m) or (dwell_s > 0 and elapsed_s >= dwell_s)


def _step(
    out: list[Transition], s: int, key: str, fence: Fence, m: Membership, t: float, d: float, where, slack: float = 0.0
) -> None:
    """One fix against one fence: the hysteresis state machine. A change dates from the first fix across the edge;
    a fix within its accuracy excess (`slack`) of the edge decides nothing."""
    if slack > 0.0 and -slack < d <= slack:
        return
    m.t, m.depth, m.where = t, d, where
    across = d <= 0 if m.inside else d > 0
    if not across:
        m.since = math.nan
        return
    if math.isnan(m.since):
        m.since = t
    margin, dwell = (
        (fence.exit_margin_m, fence.exit_dwell_s) if m.inside else (fence.enter_margin_m, fence.enter_dwell_s)
    )
    if _due(abs(d), t - m.since, margin, dwell):
        _flip(out, s, key, m, m.since, d, where)
