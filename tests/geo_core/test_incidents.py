"""The demo day's scripted incidents act as they say: an intruder reaches the forbidden zone and lingers, a guardian
walks off and comes back, an SOS and a remote scan are sent."""

from __future__ import annotations

import numpy as np
import shapely

from geo_core.demo.incidents import KINDS, Incidents
from geo_core.demo.motion import LocalFrame, PeopleModel


def test_incidents_come_in_rotation_and_do_what_they_say():
    frame = LocalFrame(121.44, 30.785)
    site = shapely.box(121.430, 30.780, 121.440, 30.787)
    n = 30
    m = PeopleModel(3, frame, [f"P{i}" for i in range(n)], [0] * n, np.full(n, 121.435), np.full(n, 30.783), [site])
    m.keep_to(0, 121.436, 30.784, 3.0)  # a guardian at a permit
    zone = shapely.box(-100, -100, -60, -60)  # local metres
    sent = {"sos": [], "scan": []}
    inc = Incidents(m, [(0, zone)], [(0, shapely.box(100, 100, 130, 130))], [(0, shapely.box(200, 0, 220, 20))],
                    np.arange(5, 15), sent["sos"].append, sent["scan"].append, every_s=60.0, next_at=0.0)  # fmt: skip
    x0 = m.p.anchors[0][0]
    seen_away = False
    in_zone = 0
    for t in range(0, 760):
        m.step(1.0)
        inc.step(float(t))
        seen_away |= m.p.anchors[0][0] > x0 + 50
        in_zone = max(in_zone, int(shapely.contains_xy(zone, m.p.x, m.p.y).sum()))
    assert [inc.happened.get(k, 0) for k in KINDS] == [3, 2, 2, 2, 2, 2]  # thirteen turns in rotation
    assert in_zone >= 1  # an intruder got in
    assert seen_away
    assert m.p.anchors[0][0] == x0  # and the guardian came back to the work
    assert len(sent["sos"]) == 2
    assert sent["scan"] == [3000.0, 3000.0]
