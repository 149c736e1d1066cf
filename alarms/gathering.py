"""Gathering detection (AQ 3064.3: >= 3 people within 15 m for more than a minute; 3 yellow, 4-6 orange, > 6 red).

Groups are found with DBSCAN (eps = the radius, min_samples = the minimum group size) over an STRtree's pairs, so
a group is never split on a grid-cell edge as cell counting does. Groups are followed from one evaluation to the
next by their members (the largest overlap wins), so a group that grows keeps its identity, start time and alarm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import STRtree


def clusters(x: np.ndarray, y: np.ndarray, radius_m: float, min_size: int) -> list[np.ndarray]:
    """DBSCAN: a core point has at least `min_size` points (itself included) within `radius_m`; clusters are
    the connected cores plus the border points within reach of a core. Returns arrays of point indices."""
    n = len(x)
    if n < min_size:
        return []
    pts = shapely.points(x, y)
    a, b = STRtree(pts).query(pts, predicate="dwithin", distance=radius_m)
    keep = a != b
    a, b = a[keep], b[keep]
    degree = np.bincount(a, minlength=n) + 1
    core = degree >= min_size
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cc = core[a] & core[b]
    for i, j in zip(a[cc].tolist(), b[cc].tolist(), strict=True):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    label = np.full(n, -1)
    for i in np.flatnonzero(core).tolist():
        label[i] = find(i)
    border = core[a] & ~core[b]
    for i, j in zip(a[border].tolist(), b[border].tolist(), strict=True):
        if label[j] < 0:
            label[j] = label[i]
    out = []
    for lab in np.unique(label[label >= 0]).tolist():
        members = np.flatnonzero(label == lab)
        if len(members) >= min_size:
            out.append(members)
    return out


def level(size: int, orange_from: int = 4, red_from: int = 7) -> str:
    return "red" if size >= red_from else "orange" if size >= orange_from else "yellow"


@dataclass
class Group:
    gid: str
    since: float
    members: frozenset[int]
    peak: int
    last_seen: float
    x: float = 0.0
    y: float = 0.0
    lon: float = 0.0
    lat: float = 0.0


@dataclass
class GroupTracker:
    """The live groups of one scope (an enterprise), matched across evaluations by member overlap."""

    groups: dict[str, Group] = field(default_factory=dict)

    def update(self, scope: str, found: list[tuple[frozenset[int], tuple[float, float, float, float]]], now: float):
        """`found`: (members, (x, y, lon, lat) centre). Returns (current groups, groups that dispersed)."""
        unmatched = dict(self.groups)
        current: dict[str, Group] = {}
        for members, (x, y, lon, lat) in sorted(found, key=lambda g: -len(g[0])):
            best, overlap = None, 0
            for gid, g in unmatched.items():
                k = len(g.members & members)
                if k > overlap:
                    best, overlap = gid, k
            if best is not None and overlap * 2 >= min(len(members), len(unmatched[best].members)):
                g = unmatched.pop(best)
                g.members, g.last_seen, g.peak = members, now, max(g.peak, len(members))
            else:
                g = Group(f"{scope}:{round(now * 1000)}:{min(members)}", now, members, len(members), now)
            g.x, g.y, g.lon, g.lat = x, y, lon, lat
            current[g.gid] = g
        self.groups = current
        return current, list(unmatched.values())
