"""Motion of the demo park's people and welding machines, seeded and vectorised (no I/O here).

People walk between random waypoints inside their home site (the site of their enterprise they start on, kept
EDGE_M away from its boundary, as people work inside a plant, not along its fence) at about 1.2 m/s and pause; people
with a post (a permit's guardian, its workers) stay within a few metres of it. Reported positions carry AQ 3064.3-like
error (about 3 m standing, 5 m moving, one sigma). Now and then a group of 3-7 people of one
enterprise gathers at a spot for a couple of minutes. People work shifts: off duty they are away (their tag silent,
last seen outside their site's gate); when their shift ends they walk out through the gate within a quarter of an
hour (a permit's crew once its work is closed), and they come in through it up to twenty minutes before it begins.
Welding machines report base-station fixes (errors of 50-500 m
with an accuracy radius); mobile machines sometimes move to another district.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer

WALK_MPS = 1.2
STAND_SIGMA_M, MOVE_SIGMA_M = 3.0, 5.0
PAUSE_MAX_S = 180.0
EDGE_M = 15.0  # waypoints keep this far inside the home site (positioning error and fence hysteresis are ~5-6 m)
GATE_OUT_M = 25.0  # where people are last seen when they leave: this far outside the gate
LEAVE_WITHIN_S, COME_BEFORE_S = 900.0, 1200.0
GATHER_FROM_M, GATHER_S = 60.0, 210.0  # who joins a gathering (walk <= 50 s); how long it lasts, walk included
# Walking out or in through the gate (NORMAL: about the site; AWAY: off duty, silent).
NORMAL, TO_GATE, OUT, AWAY, IN = range(5)


def gate_of(site: shapely.Geometry, taken: shapely.Geometry | None = None) -> tuple[tuple, tuple]:
    """A site's gate (门岗), in metres: (the point just inside, where the walk out starts; the point GATE_OUT_M
    outside it, clear of `taken` (the other sites)). The gate is on the fence nearest the middle of the north side,
    away from the tank farms the demo puts in the south-west corner, so a straight walk to it crosses none."""
    xmin, _, xmax, ymax = site.bounds
    fence = site.boundary
    gate = shapely.ops.nearest_points(fence, shapely.Point(xmin + 0.7 * (xmax - xmin), ymax))[0]
    c = site.centroid
    d = np.array([gate.x - c.x, gate.y - c.y])
    d = d / (np.hypot(*d) or 1.0)
    inner = (gate.x - (EDGE_M + 5.0) * d[0], gate.y - (EDGE_M + 5.0) * d[1])
    if not shapely.contains_xy(site, *inner):
        inner = (gate.x, gate.y)
    blocked = site if taken is None else shapely.union(site, taken)
    for dx, dy in (tuple(d), (0.0, 1.0), (1.0, 0.0), (-1.0, 0.0), (0.0, -1.0)):
        out = (gate.x + GATE_OUT_M * dx, gate.y + GATE_OUT_M * dy)
        if shapely.distance(blocked, shapely.Point(out)) > 5.0:
            return inner, out
    return inner, (gate.x, gate.y)


class LocalFrame:
    """Metres east/north around a centre (azimuthal equidistant), vectorised both ways."""

    def __init__(self, lon0: float, lat0: float) -> None:
        crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +ellps=GRS80 +units=m"
        self.fwd = Transformer.from_crs("EPSG:4490", crs, always_xy=True)
        self.inv = Transformer.from_crs(crs, "EPSG:4490", always_xy=True)

    def to_m(self, lon, lat):
        return self.fwd.transform(lon, lat)

    def to_deg(self, x, y):
        return self.inv.transform(x, y)


@dataclass
class People:
    ids: list[str]  # external ids
    company: np.ndarray  # index into companies
    x: np.ndarray
    y: np.ndarray
    tx: np.ndarray  # waypoint
    ty: np.ndarray
    pause: np.ndarray  # seconds left standing
    areas: list[shapely.Geometry]  # per company: union of its sites, in local metres
    home: list[shapely.Geometry]  # per person: the site they work on, less EDGE_M, in local metres
    anchors: dict[int, tuple[float, float, float]]  # person -> (x, y, radius m) of a post they keep to
    stage: np.ndarray  # NORMAL, TO_GATE, OUT, AWAY, IN
    gates: list[tuple[tuple, tuple]]  # per person: their home site's gate (inside, outside)


class PeopleModel:
    def __init__(
        self,
        seed: int,
        frame: LocalFrame,
        ids: list[str],
        company: list[int],
        lon: np.ndarray,
        lat: np.ndarray,
        company_areas_deg: list[shapely.Geometry],
        shift: np.ndarray | None = None,
        shifts: list | None = None,
        now: float = 0.0,
    ) -> None:
        """`shift`: each person's index into `shifts` (callables: epoch seconds -> on duty?), -1 for none; who is off
        duty at `now` starts away."""
        self.rng = np.random.default_rng(seed)
        self.frame = frame
        x, y = frame.to_m(lon, lat)
        areas = [
            shapely.transform(a, lambda c: np.column_stack(frame.to_m(c[:, 0], c[:, 1]))) for a in company_areas_deg
        ]
        for a in areas:
            shapely.prepare(a)
        n = len(ids)
        company = np.asarray(company)
        self.p = People(
            ids,
            company,
            np.array(x, float),
            np.array(y, float),
            np.array(x, float),  # waypoints start where people stand: copies, not the same arrays
            np.array(y, float),
            self.rng.uniform(0, 60, n),
            areas,
            _homes(areas, company, np.asarray(x, float), np.asarray(y, float)),
            {},
            np.full(n, NORMAL),
            [],
        )
        taken = shapely.union_all(areas)
        gates = {id(h): gate_of(h, taken) for h in self.p.home}
        self.p.gates = [gates[id(h)] for h in self.p.home]
        self.shift = np.full(n, -1) if shift is None else np.asarray(shift)
        self.shifts = shifts or []
        # When each one leaves after the shift ends, or comes before it begins.
        self.lag = self.rng.uniform(0, LEAVE_WITHIN_S, n)
        self.lead = self.rng.uniform(0, COME_BEFORE_S, n)
        away = self.off_duty(now, np.zeros(n))
        self.p.stage[away] = AWAY
        self.p.pause[away] = np.inf
        # Anyone standing where no one walks in a normal day (a forbidden zone, along a fence) starts on their site.
        here = np.array([shapely.contains_xy(h, x, y) for h, x, y in zip(self.p.home, self.p.x, self.p.y, strict=True)])
        astray = np.flatnonzero(~here & ~away)
        self._new_targets(astray)
        self.p.x[astray], self.p.y[astray] = self.p.tx[astray], self.p.ty[astray]
        self.gathering: tuple[int, np.ndarray, float] | None = None  # (company, members, seconds left)
        self.hold: dict[int, float] = {}  # person -> seconds to stay once at their target (an incident's)

    def keep_to(self, person: int, lon: float, lat: float, radius_m: float) -> None:
        """A post the person keeps to (a permit's guardian or worker); they are placed there at once (called in if
        they were off duty: the work keeps them until it is closed)."""
        x, y = self.frame.to_m(lon, lat)
        p = self.p
        if p.stage[person] != NORMAL:
            p.stage[person], p.pause[person] = NORMAL, 0.0
        p.anchors[person] = (float(x), float(y), radius_m)
        p.x[person] = p.tx[person] = float(x)
        p.y[person] = p.ty[person] = float(y)

    def _new_targets(self, idx: np.ndarray) -> None:
        p = self.p
        for i in idx.tolist():
            if i in p.anchors:
                ax, ay, r = p.anchors[i]
                d, a = r * np.sqrt(self.rng.random()), self.rng.uniform(0, 2 * np.pi)
                p.tx[i], p.ty[i] = ax + d * np.cos(a), ay + d * np.sin(a)
                continue
            area = p.home[i]
            xmin, ymin, xmax, ymax = area.bounds
            here = (p.x[i], p.y[i])
            inside = shapely.contains_xy(area, *here)
            tx, ty = here  # no walkable target found: stay (a later pause picks again)
            for _ in range(30):
                cx, cy = self.rng.uniform(xmin, xmax), self.rng.uniform(ymin, ymax)
                # the whole way must stay on the site (a straight line across a concave site leaves it)
                if shapely.contains_xy(area, cx, cy) and (
                    not inside or area.contains(shapely.LineString([here, (cx, cy)]))
                ):
                    tx, ty = cx, cy
                    break
            else:  # a narrow or concave corner: a few steps on, which a straight line reaches
                for _ in range(30):
                    d, a = self.rng.uniform(5.0, 30.0), self.rng.uniform(0, 2 * np.pi)
                    cx, cy = here[0] + d * np.cos(a), here[1] + d * np.sin(a)
                    if shapely.contains_xy(area, cx, cy) and area.contains(shapely.LineString([here, (cx, cy)])):
                        tx, ty = cx, cy
                        break
            p.tx[i], p.ty[i] = tx, ty

    def step(self, dt: float) -> None:
        p = self.p
        p.pause -= dt
        walking = p.pause <= 0
        dx, dy = p.tx - p.x, p.ty - p.y
        dist = np.hypot(dx, dy)
        reach = WALK_MPS * dt
        arrive = walking & (dist <= reach)
        move = walking & ~arrive
        p.x[move] += dx[move] / dist[move] * reach
        p.y[move] += dy[move] / dist[move] * reach
        p.x[arrive], p.y[arrive] = p.tx[arrive], p.ty[arrive]
        self._through_gates(arrive)
        if self.gathering is not None:
            arrive[self.gathering[1]] = False  # people at a gathering wait there for the others
        if arrive.any():
            # A stop to work at a spot lasts up to PAUSE_MAX_S: standing still for the stationary rule's 300 s is
            # the man-down incident's, not everyone's.
            p.pause[arrive] = self.rng.uniform(20, PAUSE_MAX_S, int(arrive.sum()))
            for i in [i for i in np.flatnonzero(arrive).tolist() if i in self.hold]:
                p.pause[i] = self.hold.pop(i)
            self._new_targets(np.flatnonzero(arrive))
        self._gatherings(dt)

    @property
    def present(self) -> np.ndarray:
        """Who is on site (their tag reports)."""
        return self.p.stage != AWAY

    def available(self, i: int) -> bool:
        """On site about their work: not on a post, not on the way out or in (an incident may pick them)."""
        return self.p.stage[i] == NORMAL and i not in self.p.anchors and i not in self.hold

    def off_duty(self, now: float, offset: np.ndarray) -> np.ndarray:
        """Whose shift is not in force at now + offset (per person, quantised to the minute: few window lookups)."""
        out = np.zeros(len(self.shift), bool)
        minute = np.round(offset / 60.0).astype(int)
        for k, on in enumerate(self.shifts):
            mine = self.shift == k
            for m in np.unique(minute[mine]).tolist():
                out[mine & (minute == m)] = not on(now + 60.0 * m)
        return out

    def shifts_at(self, now: float) -> None:
        """Shift change: who is off duty (their shift ended `lag` ago) walks out through the gate, unless still on a
        post or an incident; who is on duty (their shift begins within `lead`) comes in through it. Who came in early
        for a shift about to begin is not sent home again: before, each of them walked out and back in until the
        shift began, and those whose shift had begun on the way out raised 离场 (some 5,000 in the half hour round
        the 20:00 change)."""
        p = self.p
        zero = np.zeros(len(p.ids))
        going = (
            (p.stage == NORMAL)
            & self.off_duty(now, -self.lag)
            & self.off_duty(now, zero)
            & self.off_duty(now, self.lead)
        )
        for i in np.flatnonzero(going).tolist():
            if i in p.anchors or i in self.hold or (self.gathering is not None and i in self.gathering[1]):
                continue
            p.stage[i] = TO_GATE
            p.tx[i], p.ty[i] = p.gates[i][0]
            p.pause[i] = 0.0
        coming = (p.stage == AWAY) & ~self.off_duty(now, self.lead)
        idx = np.flatnonzero(coming)
        p.stage[idx] = IN
        p.pause[idx] = 0.0
        for i in idx.tolist():
            p.tx[i], p.ty[i] = p.gates[i][0]

    def _through_gates(self, arrive: np.ndarray) -> None:
        """Arrivals on the way out or in go on to the next point of the walk instead of pausing to work."""
        p = self.p
        for i in np.flatnonzero(arrive & (p.stage != NORMAL)).tolist():
            arrive[i] = False
            if p.stage[i] == TO_GATE:
                p.stage[i] = OUT
                p.tx[i], p.ty[i] = p.gates[i][1]
            elif p.stage[i] == OUT:
                p.stage[i] = AWAY
                p.pause[i] = np.inf
            elif p.stage[i] == IN:
                p.stage[i] = NORMAL
                arrive[i] = True  # inside: on to work

    def _gatherings(self, dt: float) -> None:
        """Every so often 3-7 colleagues within GATHER_FROM_M of each other meet at a spot and talk for about two
        minutes (AQ 3064.3: more than 1 minute within 15 m is a gathering), then walk on: the whole meeting, walk
        there included, is over within GATHER_S, so no one stands still long enough to look like a man down."""
        p = self.p
        if self.gathering is not None:
            company, members, left = self.gathering
            here = np.hypot(p.x[members] - p.tx[members], p.y[members] - p.ty[members]) < 0.5
            p.pause[members[here]] = np.maximum(p.pause[members[here]], 1.0)  # wait for the others, then talk
            left -= dt
            if left <= 0:
                p.pause[members] = 0.0
                self._new_targets(members)
                self.gathering = None
            else:
                self.gathering = (company, members, left)
            return
        if self.rng.random() < dt / 300.0:  # one gathering about every five minutes
            company = int(self.rng.integers(len(p.areas)))
            staff = np.flatnonzero((p.company == company) & (p.stage == NORMAL))
            if staff.size >= 3:
                staff = np.array([i for i in staff.tolist() if i not in p.anchors and i not in self.hold], dtype=int)
            if staff.size >= 3:
                host = int(self.rng.choice(staff))
                size = int(self.rng.integers(3, 8))
                dist = np.hypot(p.x[staff] - p.x[host], p.y[staff] - p.y[host])
                near = staff[np.argsort(dist)[:size]]
                near = near[np.hypot(p.x[near] - p.x[host], p.y[near] - p.y[host]) <= GATHER_FROM_M]
                if near.size < 3:
                    return
                cx, cy = p.x[host], p.y[host]
                p.tx[near] = cx + self.rng.normal(0, 2.0, near.size)
                p.ty[near] = cy + self.rng.normal(0, 2.0, near.size)
                p.pause[near] = 0.0
                self.gathering = (company, near, GATHER_S)

    def observe(self, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reported lon, lat (with positioning error) and the accuracy the tag claims."""
        p = self.p
        idx = np.arange(len(p.ids)) if idx is None else idx
        moving = p.pause[idx] <= 0
        sigma = np.where(moving, MOVE_SIGMA_M, STAND_SIGMA_M)
        x = p.x[idx] + self.rng.normal(0, 1, idx.size) * sigma
        y = p.y[idx] + self.rng.normal(0, 1, idx.size) * sigma
        lon, lat = self.frame.to_deg(x, y)
        return np.asarray(lon), np.asarray(lat), sigma


def _homes(areas: list[shapely.Geometry], company: np.ndarray, x: np.ndarray, y: np.ndarray) -> list:
    """Each person's home site: the part of their enterprise's area they stand on (else the nearest: someone in a
    forbidden zone belongs to the site around it, not to another one), less EDGE_M."""
    parts = []
    for a in areas:
        sites = list(shapely.get_parts(a))
        inner = [shapely.buffer(s, -EDGE_M) for s in sites]
        inner = [i if not i.is_empty else s for i, s in zip(inner, sites, strict=True)]
        for i in inner:
            shapely.prepare(i)
        parts.append((sites, inner))
    homes = []
    for k in range(len(x)):
        sites, inner = parts[company[k]]
        pt = shapely.Point(x[k], y[k])
        j = min(range(len(sites)), key=lambda j: sites[j].distance(pt))  # the part they stand on, else the nearest
        homes.append(inner[j])
    return homes


class WelderModel:
    """Fixed machines stay put; mobile ones now and then move several kilometres, possibly to another district."""

    def __init__(self, seed: int, lon: np.ndarray, lat: np.ndarray, mobile: np.ndarray, city: shapely.Geometry) -> None:
        self.rng = np.random.default_rng(seed)
        self.lon, self.lat = np.asarray(lon, float).copy(), np.asarray(lat, float).copy()
        self.mobile = np.asarray(mobile, bool)
        self.powered = self.rng.random(self.lon.size) < 0.1
        self.city = city
        shapely.prepare(city)

    def step(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Advance; returns (indices that moved far, indices whose power changed)."""
        moved = np.flatnonzero(self.mobile & (self.rng.random(self.lon.size) < dt / 1800.0))
        for i in moved.tolist():
            for _ in range(20):
                lon = self.lon[i] + self.rng.uniform(-0.15, 0.15)
                lat = self.lat[i] + self.rng.uniform(-0.12, 0.12)
                if shapely.contains_xy(self.city, lon, lat):
                    self.lon[i], self.lat[i] = lon, lat
                    break
        flip = np.flatnonzero(self.rng.random(self.lon.size) < dt / 3600.0)
        self.powered[flip] = ~self.powered[flip]
        return moved, flip

    def observe(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Base-station positioning: an accuracy radius of 50-500 m and an error within it."""
        acc = self.rng.uniform(50, 500, idx.size)
        r = acc * np.sqrt(self.rng.random(idx.size)) * 0.7
        a = self.rng.uniform(0, 2 * np.pi, idx.size)
        lat = self.lat[idx] + r * np.sin(a) / 111_000.0
        lon = self.lon[idx] + r * np.cos(a) / (111_000.0 * np.cos(np.radians(self.lat[idx])))
        return lon, lat, acc
