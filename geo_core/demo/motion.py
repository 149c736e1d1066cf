"""Motion of the demo park's people and welding machines, seeded and vectorised (no I/O here).

People walk between random waypoints inside their home site (the site of their enterprise they start on, kept
EDGE_M away from its boundary, as people work inside a plant, not along its fence) at about 1.2 m/s and pause; people
with a post (a permit's guardian, its workers) stay within a few metres of it. Reported positions carry AQ 3064.3-like
error (about 3 m standing, 5 m moving, one sigma). Now and then a group of 3-7 people of one
enterprise gathers at a spot for a couple of minutes. Welding machines report base-station fixes (errors of 50-500 m
with an accuracy radius); mobile machines sometimes move to another district.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

WALK_MPS = 1.2
STAND_SIGMA_M, MOVE_SIGMA_M = 3.0, 5.0
PAUSE_MAX_S = 180.0
EDGE_M = 15.0  # waypoints keep this far inside the home site (positioning error and fence hysteresis are ~5-6 m)


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
    ) -> None:
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
        )
        # Anyone standing where no one walks in a normal day (a forbidden zone, along a fence) starts on their site.
        astray = [i for i in range(n) if not shapely.contains_xy(self.p.home[i], self.p.x[i], self.p.y[i])]
        self._new_targets(np.array(astray, dtype=int))
        self.p.x[astray], self.p.y[astray] = self.p.tx[astray], self.p.ty[astray]
        self.gathering: tuple[int, np.ndarray, float] | None = None  # (company, members, seconds left)
        self.hold: dict[int, float] = {}  # person -> seconds to stay once at their target (an incident's)

    def keep_to(self, person: int, lon: float, lat: float, radius_m: float) -> None:
        """A post the person keeps to (a permit's guardian or worker); they are placed there at once."""
        x, y = self.frame.to_m(lon, lat)
        p = self.p
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

    def _gatherings(self, dt: float) -> None:
        """Every so often 3-7 colleagues near each other meet at a spot; once all have arrived they stay about two
        minutes (AQ 3064.3: more than 1 minute within 15 m is a gathering), then walk on."""
        p = self.p
        if self.gathering is not None:
            company, members, left = self.gathering
            arrived = bool(np.all(np.hypot(p.x[members] - p.tx[members], p.y[members] - p.ty[members]) < 0.5))
            if arrived:
                p.pause[members] = np.maximum(p.pause[members], 1.0)  # stay put while the meeting lasts
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
            staff = np.flatnonzero(p.company == company)
            if staff.size >= 3:
                host = int(self.rng.choice(staff))
                size = min(staff.size, int(self.rng.integers(3, 8)))
                near = staff[np.argsort(np.hypot(p.x[staff] - p.x[host], p.y[staff] - p.y[host]))[:size]]
                cx, cy = p.x[host], p.y[host]
                p.tx[near] = cx + self.rng.normal(0, 2.0, near.size)
                p.ty[near] = cy + self.rng.normal(0, 2.0, near.size)
                p.pause[near] = 0.0
                self.gathering = (company, near, 150.0)

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
