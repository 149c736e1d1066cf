"""The demo's enforcement team (seed 004): each day a plan to inspect a few of the park's enterprises, and two
officers whose body cameras go from one to the next (driving between, walking the site while there), reported as
their cameras would (MQTT `camera/{id}/position`). The inspection panel then shows a plan in progress: visited, on
site now, to visit.

Pure motion (`Patrol.at`) over the plan's stops in a local metric frame; the plan itself is made by `todays_plan`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely

from demo.motion import LocalFrame
from geo_core.models import Enterprise, Site, Subject
from video.models import InspectionPlan, InspectionStop

STOPS = 5
DWELL_S = 600.0  # ten minutes on each site
DRIVE_MPS = 8.0  # between sites, by car on the park's roads
WALK_M = 40.0  # the round the officers walk on a site while there
TEAM_GAP_M = 4.0  # the two officers walk side by side
DEPARTMENT = "金山区应急管理局执法大队"
UNIT = "金山区应急管理局"


@dataclass
class Patrol:
    """Where the team's cameras are `t` seconds after the patrol began: at stop k for DWELL_S, then driving."""

    frame: LocalFrame
    stops: np.ndarray  # (n, 2) metres
    cameras: list[str]  # external ids

    def at(self, t: float) -> tuple[np.ndarray, np.ndarray] | None:
        """The cameras' lon, lat; None once the last site is done (the team goes back, its cameras off)."""
        legs = np.linalg.norm(np.diff(self.stops, axis=0), axis=1) / DRIVE_MPS
        clock = 0.0
        for k in range(len(self.stops)):
            if t < clock + DWELL_S:  # on site k: a slow round about its centre
                a = 2 * np.pi * (t - clock) / DWELL_S
                x, y = self.stops[k] + WALK_M * np.array([np.cos(a) - 1.0, np.sin(a)])
                break
            clock += DWELL_S
            if k == len(legs):
                return None
            if t < clock + legs[k]:
                x, y = self.stops[k] + (t - clock) / legs[k] * (self.stops[k + 1] - self.stops[k])
                break
            clock += legs[k]
        xs = x + TEAM_GAP_M * np.arange(len(self.cameras))
        lon, lat = self.frame.to_deg(xs, np.full(len(self.cameras), y))
        return np.asarray(lon), np.asarray(lat)


def _point(site: Site) -> tuple[float, float]:
    p = shapely.from_wkb(bytes(site.footprint.wkb)).point_on_surface()
    return p.x, p.y


def todays_plan(park, day: date, seed: int) -> InspectionPlan | None:
    """The day's demo plan (made once a day): STOPS enterprises with sites, two officers of the district's bureau."""
    plan = InspectionPlan.objects.filter(day=day, department=DEPARTMENT, cancelled_at__isnull=True).first()
    if plan is not None:
        return plan
    rng = np.random.default_rng([seed, day.toordinal()])
    with_sites = list(
        Enterprise.objects.filter(park=park, sites__isnull=False).distinct().order_by("id").values_list("id", flat=True)
    )
    cams = Subject.objects.filter(kind="body_camera", attributes__demo=True, attributes__unit=UNIT)
    cams = list(cams.order_by("external_id")[:2])
    if len(with_sites) < STOPS or len(cams) < 2:
        return None
    chosen = [int(i) for i in rng.choice(with_sites, STOPS, replace=False)]
    plan = InspectionPlan.objects.create(
        name="危险化学品企业专项执法检查", kind=InspectionPlan.Kind.SPECIAL, day=day, department=DEPARTMENT
    )
    plan.officers.set(cams)
    InspectionStop.objects.bulk_create(
        [InspectionStop(plan=plan, enterprise_id=e, order=k + 1) for k, e in enumerate(chosen)]
    )
    return plan


def patrol_of(plan: InspectionPlan, frame: LocalFrame) -> Patrol:
    points = []
    for stop in plan.stops.order_by("order"):
        site = Site.objects.filter(enterprise_id=stop.enterprise_id).order_by("id").first()
        points.append(_point(site) if site else (stop.enterprise.location.x, stop.enterprise.location.y))
    x, y = frame.to_m(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    cams = [s.external_id for s in plan.officers.order_by("external_id")]
    return Patrol(frame, np.column_stack([x, y]), cams)
