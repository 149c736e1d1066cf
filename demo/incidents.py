"""The demo day's incidents (issue 12): on top of a park in order, every few minutes one thing goes wrong for a
realistic reason, in rotation, so that each alarm type happens about once an hour and an alarm list shows what a
command centre really meets. Each incident acts on the motion model (people) or sends what a device or an
enterprise would send (through callbacks of the simulator); none writes to the database.

| incident | what happens | the alarm it should raise |
|---|---|---|
| intrusion | a contractor walks into a forbidden zone of their site and lingers | out_of_bounds |
| man_down | someone stops in a work area of their enterprise for ten minutes | stationary |
| guardian_walks_off | a running permit's guardian walks 60 m away for four minutes | guardian_away |
| sos | a worker presses SOS (the enterprise's B.3 alarm, type 0) | sos |
| remote_scan | a welding machine is scanned by a phone 3 km away | remote_scan |
| crowd | six people of an enterprise meet at its muster point for three minutes | gathering |
| elsewhere | a contractor filed for their own enterprise works 8 min on a neighbour's site | contractor_elsewhere |
| late_video | hot work starts with no video; linked 12 min later, closed at 25 min | permit_without_video |
| overdue | a permit still in progress 35 min past its planned end, closed 6 min on | permit_expired (overtime) |

Standing from the scene: one enterprise that filed no daily commitment (`unfiled_special_work`), one contractor
staff member whose training lapsed (`contractor_unqualified`), a permit in forty without video, one in ten approved
away from the work (`approver_not_on_site`). Hot work in night, rest-day and holiday windows raises
`work_not_upgraded` on the real calendar, not on a schedule.

Gatherings (the motion model's), enterprises going silent and mobile machines crossing districts (the simulator's)
come on their own, every few minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely

from demo.motion import PeopleModel

log = logging.getLogger("geo_core.simulate")
KINDS = (
    "intrusion",
    "man_down",
    "guardian_walks_off",
    "sos",
    "remote_scan",
    "crowd",
    "elsewhere",
    "late_video",
    "overdue",
)
# A scripted permit: its kind -> the follow-ups (seconds from now, what to do) the simulator returns.
Followups = list[tuple[float, Callable[[], None]]]


@dataclass
class Incidents:
    people: PeopleModel
    forbidden: list[tuple[int, shapely.Geometry]]  # (company index, zone in local metres)
    work_areas: list[tuple[int, shapely.Geometry]]
    muster_points: list[tuple[int, shapely.Geometry]]
    contractors: np.ndarray  # person indices of type 02
    sos: Callable[[int], None]  # person index -> report an SOS
    scan: Callable[[float], None]  # metres away -> scan a random machine from that far
    permit: Callable[[str], Followups]  # "late_video" | "overdue" -> report such a permit; its follow-ups
    every_s: float = 300.0
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))
    next_at: float = 120.0
    turn: int = 0
    undo: list[tuple[float, Callable[[], None]]] = field(default_factory=list)
    happened: dict[str, int] = field(default_factory=dict)

    def step(self, t: float) -> None:
        for _, fn in [u for u in self.undo if u[0] <= t]:
            fn()
        self.undo = [u for u in self.undo if u[0] > t]
        if t < self.next_at:
            return
        self.next_at = t + self.every_s
        kind = KINDS[self.turn % len(KINDS)]
        self.turn += 1
        if getattr(self, f"_{kind}")(t):
            self.happened[kind] = self.happened.get(kind, 0) + 1
            log.info("incident", extra={"kind": kind, "seconds": round(t)})

    def _free(self, pool: np.ndarray) -> int | None:
        free = [int(i) for i in pool if self.people.available(int(i))]
        return int(self.rng.choice(free)) if free else None

    def _send(self, i: int, x: float, y: float, stay_s: float) -> None:
        p = self.people.p
        p.tx[i], p.ty[i], p.pause[i] = x, y, 0.0
        self.people.hold[i] = stay_s
        log.info(
            "incident sends",
            extra={"person": p.ids[i], "metres": round(float(np.hypot(x - p.x[i], y - p.y[i]))), "stay_s": stay_s},
        )

    def _intrusion(self, t: float) -> bool:
        i = self._free(self.contractors)
        zones = [z for c, z in self.forbidden if i is not None and c == self.people.p.company[i]]
        if i is None or not zones:
            return False
        c = zones[int(self.rng.integers(len(zones)))].centroid
        self._send(i, c.x, c.y, 120.0)
        return True

    def _man_down(self, t: float) -> bool:
        if not self.work_areas:
            return False
        company, zone = self.work_areas[int(self.rng.integers(len(self.work_areas)))]
        i = self._free(np.flatnonzero(self.people.p.company == company))
        if i is None:
            return False
        c = zone.centroid
        self._send(i, c.x, c.y, 600.0)
        return True

    def _guardian_walks_off(self, t: float) -> bool:
        anchored = list(self.people.p.anchors.items())
        guardians = [(i, a) for i, a in anchored if a[2] <= 3.0]
        if not guardians:
            return False
        i, (x, y, r) = guardians[int(self.rng.integers(len(guardians)))]
        self.people.p.anchors[i] = (x + 60.0, y, r)
        self.people.p.pause[i] = 0.0
        self.people.p.tx[i], self.people.p.ty[i] = x + 60.0, y

        def back() -> None:
            self.people.p.anchors[i] = (x, y, r)
            self.people.p.tx[i], self.people.p.ty[i], self.people.p.pause[i] = x, y, 0.0

        self.undo.append((t + 240.0, back))
        return True

    def _sos(self, t: float) -> bool:
        i = self._free(np.arange(len(self.people.p.ids)))
        if i is None:
            return False
        self.sos(i)
        return True

    def _crowd(self, t: float) -> bool:
        if not self.muster_points:
            return False
        company, zone = self.muster_points[int(self.rng.integers(len(self.muster_points)))]
        staff = [int(i) for i in np.flatnonzero(self.people.p.company == company) if self.people.available(int(i))]
        if len(staff) < 6:
            return False
        c = zone.centroid
        for i in self.rng.choice(staff, 6, replace=False).tolist():
            self._send(i, c.x + self.rng.normal(0, 2.0), c.y + self.rng.normal(0, 2.0), 180.0)
        return True

    def _remote_scan(self, t: float) -> bool:
        self.scan(3000.0)
        return True

    def _elsewhere(self, t: float) -> bool:
        i = self._free(self.contractors)
        if i is None:
            return False
        own = self.people.p.company[i]
        x, y = self.people.p.x[i], self.people.p.y[i]
        others = [(k, a) for k, a in enumerate(self.people.p.areas) if k != own and not a.is_empty]
        if not others:
            return False
        _, area = min(others, key=lambda ka: ka[1].distance(shapely.Point(x, y)))
        c = area.point_on_surface()
        self._send(i, c.x, c.y, 480.0)
        return True

    def _late_video(self, t: float) -> bool:
        return self._scripted("late_video", t)

    def _overdue(self, t: float) -> bool:
        return self._scripted("overdue", t)

    def _scripted(self, kind: str, t: float) -> bool:
        followups = self.permit(kind)
        self.undo += [(t + after, fn) for after, fn in followups]
        return bool(followups)
