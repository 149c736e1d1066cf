"""The demo's enforcement team goes from site to site along the day's plan: on a site for its dwell time, driving
between, its cameras off once the last site is done."""

from __future__ import annotations

import numpy as np

from demo.motion import LocalFrame
from demo.patrol import DRIVE_MPS, DWELL_S, WALK_M, Patrol

FRAME = LocalFrame(121.35, 30.75)


def metres(p: Patrol, t: float) -> np.ndarray:
    lon, lat = p.at(t)
    return np.column_stack(FRAME.to_m(lon, lat))


def test_the_team_dwells_on_each_site_then_drives_to_the_next_then_stops_reporting():
    stops = np.array([[0.0, 0.0], [800.0, 0.0], [800.0, 600.0]])
    p = Patrol(FRAME, stops, ["BC1", "BC2"])
    for k, start in enumerate([0.0, DWELL_S + 100.0, 2 * DWELL_S + 175.0]):
        for dt in (1.0, DWELL_S / 2, DWELL_S - 1.0):
            at = metres(p, start + dt)
            assert np.linalg.norm(at[0] - stops[k]) <= 2 * WALK_M + 1e-6, (k, dt)
    halfway = metres(p, DWELL_S + 400.0 / DRIVE_MPS)
    assert np.allclose(halfway[0], [400.0, 0.0], atol=1.0)  # on the road between the first two
    assert np.allclose(halfway[1] - halfway[0], [4.0, 0.0], atol=0.1)  # side by side
    assert p.at(3 * DWELL_S + 175.0 + 1.0) is None  # done: the cameras go quiet
