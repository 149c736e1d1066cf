"""The demo day's scripted incidents act as they say: an intruder reaches the forbidden zone and lingers, a guardian
walks off and comes back, an SOS and a remote scan are sent."""

from __future__ import annotations

import numpy as np
import shapely

from demo.incidents import KINDS, Incidents
from demo.motion import LocalFrame, PeopleModel


def test_incidents_come_in_rotation_and_do_what_they_say():
    frame = LocalFrame(121.44, 30.785)
    site = shapely.box(121.430, 30.780, 121.440, 30.787)
    neighbour = shapely.box(121.441, 30.780, 121.450, 30.787)
    n = 30
    company = [0] * 25 + [1] * 5
    lon = np.array([121.435] * 25 + [121.445] * 5)
    m = PeopleModel(3, frame, [f"P{i}" for i in range(n)], company, lon, np.full(n, 30.783), [site, neighbour])
    m.keep_to(0, 121.436, 30.784, 3.0)  # a guardian at a permit
    zone = shapely.box(-100, -100, -60, -60)  # local metres
    sent = {"sos": [], "scan": [], "permit": [], "done": []}

    def permit(kind: str):
        sent["permit"].append(kind)
        return [(600.0, lambda: sent["done"].append(kind))]

    inc = Incidents(
        m,
        [(0, zone)],
        [(0, shapely.box(100, 100, 130, 130))],
        [(0, shapely.box(200, 0, 220, 20))],
        np.arange(5, 15),
        sent["sos"].append,
        sent["scan"].append,
        permit,
        every_s=60.0,
        next_at=0.0,
    )
    neighbour_m = m.p.areas[1]
    x0 = m.p.anchors[0][0]
    seen_away = False
    in_zone = 0
    elsewhere = 0
    for t in range(0, 1700):
        m.step(1.0)
        inc.step(float(t))
        seen_away |= m.p.anchors[0][0] > x0 + 50
        in_zone = max(in_zone, int(shapely.contains_xy(zone, m.p.x, m.p.y).sum()))
        elsewhere = max(elsewhere, int(shapely.contains_xy(neighbour_m, m.p.x[:25], m.p.y[:25]).sum()))
    assert [inc.happened.get(k, 0) for k in KINDS] == [4, 4, 3, 3, 3, 3, 3, 3, 3]  # 29 turns in rotation
    assert elsewhere >= 1  # a contractor of the first enterprise went to work on its neighbour's site
    assert sent["permit"] == ["late_video", "overdue"] * 3
    assert sent["done"] == ["late_video", "overdue"] * 2  # each permit's follow-up in its time (the last still due)
    assert in_zone >= 1  # an intruder got in
    assert seen_away
    assert m.p.anchors[0][0] == x0  # and the guardian came back to the work
    assert len(sent["sos"]) == 3
    assert sent["scan"] == [3000.0] * 3


def test_the_man_down_reaches_the_work_area_and_lies_still_past_the_stationary_limit():
    frame = LocalFrame(121.44, 30.785)
    site = shapely.box(121.430, 30.780, 121.440, 30.787)
    n = 30
    m = PeopleModel(3, frame, [f"P{i}" for i in range(n)], [0] * n, np.full(n, 121.435), np.full(n, 30.783), [site])
    area = shapely.box(100, 100, 130, 130)  # local metres
    inc = Incidents(
        m, [], [(0, area)], [], np.arange(5, 15), print, print, lambda kind: [], every_s=10_000.0, next_at=0.0
    )
    inc.turn = KINDS.index("man_down")
    still = np.zeros(n)
    longest_in_area = 0.0
    for t in range(1200):
        x0, y0 = m.p.x.copy(), m.p.y.copy()
        m.step(1.0)
        inc.step(float(t))
        still = np.where(np.hypot(m.p.x - x0, m.p.y - y0) > 0.01, 0.0, still + 1.0)
        inside = shapely.contains_xy(area, m.p.x, m.p.y)
        longest_in_area = max(longest_in_area, float((still * inside).max()))
    assert inc.happened == {"man_down": 1}
    assert longest_in_area >= 300  # the stationary rule's limit
