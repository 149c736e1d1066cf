"""Small choreographed scenes for the pure engine: metres on a local plane, seconds from zero."""

from __future__ import annotations

import numpy as np
import shapely

from alarms.engine import Engine, PermitSpec, RuleSpec, SubjectInfo, ZoneSpec
from alarms.fences import Fixes

# A 100 m x 100 m forbidden square, a key place, a post and a site boundary around everything.
FORBIDDEN = shapely.box(0, 0, 100, 100)
KEY_PLACE = shapely.box(300, 0, 400, 100)
POST = shapely.box(600, 0, 620, 20)
SITE = shapely.box(-500, -500, 1500, 500)

PEOPLE = {i: SubjectInfo(i, "person", f"P{i}", enterprise_id=1, person_type="01") for i in range(1, 21)}
VISITOR = SubjectInfo(30, "person", "V30", enterprise_id=1, person_type="03")
WELDER = SubjectInfo(40, "welder", "W40", enterprise_id=1)


def subjects() -> dict[int, SubjectInfo]:
    return {**PEOPLE, VISITOR.id: VISITOR, WELDER.id: WELDER}


def zones(**overrides) -> list[ZoneSpec]:
    base = [
        ZoneSpec(1, "禁区", "forbidden", FORBIDDEN, enterprise_id=1),
        ZoneSpec(2, "重点场所", "key_place", KEY_PLACE, enterprise_id=1, capacity_max=3),
        ZoneSpec(3, "中控室", "post", POST, enterprise_id=1, capacity_min=1, holders=(5,)),
        ZoneSpec(4, "厂区", "site_boundary", SITE, enterprise_id=1),
    ]
    return [overrides.get(z.name, z) for z in base]


def engine(rules: list[RuleSpec], zone_list=None, permits: list[PermitSpec] | None = None) -> Engine:
    e = Engine()
    e.configure(zone_list if zone_list is not None else zones(), permits or [], rules, subjects(), now=0.0)
    return e


def track(
    subject: int, t0: float, points: list[tuple[float, float]], dt: float = 1.0, acc: float | None = None
) -> Fixes:
    """Fixes `dt` apart along `points`, each reporting the accuracy radius `acc` (None: not reported)."""
    xy = np.array(points, dtype=float)
    n = len(xy)
    accuracy = None if acc is None else np.full(n, acc)
    return Fixes.of(np.full(n, subject), t0 + dt * np.arange(n), xy[:, 0], xy[:, 1], acc=accuracy)


def line(a: tuple[float, float], b: tuple[float, float], n: int) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * k / (n - 1), a[1] + (b[1] - a[1]) * k / (n - 1)) for k in range(n)]


def run(e: Engine, fixes: Fixes, tick: bool = True):
    """Feed fixes one second at a time with a tick after each second, as the worker does; all signals in order."""
    out = []
    order = np.argsort(fixes.t, kind="stable")
    f = fixes.take(order)
    for t in np.unique(f.t):
        out += e.fixes(f.take(np.flatnonzero(f.t == t)))
        if tick:
            out += e.tick(float(t))
    return out


def kinds(signals) -> list[tuple[str, str]]:
    return [(s.action, s.type) for s in signals]
