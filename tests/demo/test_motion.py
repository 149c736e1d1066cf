"""The simulator's motion model: people stay on their sites, report with AQ 3064.3-like error, and gather."""

from __future__ import annotations

import numpy as np
import shapely

from demo.motion import NORMAL, LocalFrame, PeopleModel, WelderModel


def model(seed=3, n=60):
    frame = LocalFrame(121.44, 30.785)
    site = shapely.box(121.43, 30.78, 121.44, 30.787)  # ~950 m x 780 m
    lon = np.full(n, 121.435)
    lat = np.full(n, 30.783)
    return PeopleModel(seed, frame, [f"P{i}" for i in range(n)], [0] * n, lon, lat, [site]), frame, site


def test_people_walk_but_never_leave_their_site():
    m, frame, site = model()
    for _ in range(600):
        m.step(1.0)
    lon, lat = frame.to_deg(m.p.x, m.p.y)
    assert shapely.contains_xy(shapely.buffer(site, 1e-6), np.asarray(lon), np.asarray(lat)).all()
    assert np.hypot(m.p.x - m.p.x.mean(), m.p.y - m.p.y.mean()).max() > 50  # they did move


def test_people_walk_at_walking_speed_never_jump():
    """Waypoints were once the same arrays as positions, so choosing a waypoint moved the person there at once."""
    m, _, _ = model()
    for _ in range(300):
        x0, y0 = m.p.x.copy(), m.p.y.copy()
        m.step(1.0)
        assert np.hypot(m.p.x - x0, m.p.y - y0).max() <= 1.2 + 1e-9


def test_reported_positions_carry_metre_level_error():
    m, frame, _ = model(n=2000)
    lon, lat, sigma = m.observe()
    x, y = frame.to_m(lon, lat)
    err = np.hypot(np.asarray(x) - m.p.x, np.asarray(y) - m.p.y)
    assert set(np.unique(sigma)) <= {3.0, 5.0}
    assert 2.0 < np.median(err) < 7.0
    assert err.max() < 40


def test_a_gathering_forms_within_a_few_metres_for_over_a_minute_and_disperses():
    m, _, _ = model(seed=11)
    together = 0
    members = None
    for _ in range(7200):
        m.step(1.0)
        if m.gathering is not None:
            members = m.gathering[1]
            spread = np.hypot(m.p.x[members] - m.p.x[members].mean(), m.p.y[members] - m.p.y[members].mean())
            together = together + 1 if spread.max() < 15 else 0
        elif together:
            break
    assert members is not None
    assert 3 <= members.size <= 7
    assert together > 60  # AQ 3064.3: within 15 m for more than a minute
    assert m.gathering is None  # and then it ends
    assert (m.p.pause[members] <= 0).all()  # everyone walks on


def test_no_one_stands_still_five_minutes_in_a_normal_hour():
    """Standing still 300 s is the man-down alarm's: the pauses and the gatherings (their wait included) of a normal
    day stay under it."""
    m, _, _ = model(seed=11)
    still = np.zeros(len(m.p.ids))
    longest = 0.0
    for _ in range(3600):
        x0, y0 = m.p.x.copy(), m.p.y.copy()
        m.step(1.0)
        moved = np.hypot(m.p.x - x0, m.p.y - y0) > 0.01
        still = np.where(moved, 0.0, still + 1.0)
        longest = max(longest, still.max())
    assert longest < 300


def shift_model(on_until: float, off_until: float):
    """Half the staff on a shift that ends at `on_until`, half on one that begins at `off_until`."""
    frame = LocalFrame(121.44, 30.785)
    site = shapely.box(121.43, 30.78, 121.44, 30.787)
    n = 40
    lon, lat = np.full(n, 121.435), np.full(n, 30.783)
    shift = np.arange(n) % 2
    shifts = [lambda t: t < on_until, lambda t: t >= off_until]
    m = PeopleModel(5, frame, [f"P{i}" for i in range(n)], [0] * n, lon, lat, [site], shift, shifts, now=0.0)
    return m, frame, site


def test_a_shift_goes_home_through_the_gate_and_the_next_comes_in():
    m, frame, site = shift_model(on_until=600.0, off_until=1800.0)
    day, night = np.arange(40) % 2 == 0, np.arange(40) % 2 == 1
    assert m.present[day].all()
    assert not m.present[night].any()
    m.p.anchors[0] = (float(m.p.x[0]), float(m.p.y[0]), 3.0)  # one of the day shift is on a permit's post
    came = np.zeros(40, bool)
    for t in range(3600):
        m.step(1.0)
        if t % 10 == 0:
            m.shifts_at(float(t))
        if t == 590:
            assert m.present[day].all()  # no one leaves before the shift ends
        # who came in early for the night shift stays in (is not sent home again before the shift begins)
        assert not (came & night & (m.p.stage != NORMAL)).any(), t
        came |= night & (m.p.stage == NORMAL)
    lon, lat = frame.to_deg(m.p.x, m.p.y)
    outside = ~shapely.contains_xy(site, np.asarray(lon), np.asarray(lat))
    assert m.present[0]
    assert not outside[0]
    assert not m.present[day][1:].any()  # the rest of the day shift went home within a quarter of an hour...
    assert outside[day][1:].all()  # ...out through the gate, and is last seen outside
    gone = m.p.x[day][1:], m.p.y[day][1:]
    assert np.ptp(gone[0]) < 1
    assert np.ptp(gone[1]) < 1
    assert m.present[night].all()
    assert not outside[night].any()


def test_mobile_welders_move_kilometres_fixed_ones_stay():
    city = shapely.box(121.0, 30.7, 121.9, 31.8)
    lon, lat = np.full(200, 121.45), np.full(200, 31.2)
    w = WelderModel(5, lon, lat, np.arange(200) < 100, city)
    for _ in range(3600):
        w.step(1.0)
    moved = np.hypot((w.lon - lon) * 95_000, (w.lat - lat) * 111_000)
    assert (moved[:100] > 4000).any()
    assert (moved[100:] == 0).all()


def test_people_keep_to_their_home_site_away_from_its_fence_and_to_their_post():
    """The demo's `leaving` and `guardian_away` alarms were mostly people wandering between an enterprise's sites
    and along fences, and guardians walking off: a plant's people stay on their site, a guardian at the work."""
    frame = LocalFrame(121.44, 30.785)
    a, b = shapely.box(121.430, 30.780, 121.436, 30.786), shapely.box(121.440, 30.780, 121.446, 30.786)
    n = 40
    lon = np.where(np.arange(n) < 20, 121.433, 121.443)
    m = PeopleModel(5, frame, [f"P{i}" for i in range(n)], [0] * n, lon, np.full(n, 30.783), [a.union(b)])
    m.keep_to(0, 121.434, 30.784, 3.0)
    for _ in range(1800):
        m.step(1.0)
        x0, y0 = frame.to_m(121.434, 30.784)
        assert np.hypot(m.p.x[0] - x0, m.p.y[0] - y0) <= 3.0 + 1e-6
    plon, plat = (np.asarray(v) for v in frame.to_deg(m.p.x, m.p.y))
    assert shapely.contains_xy(shapely.buffer(a, -10 / 111_000), plon[:20], plat[:20]).all()
    assert shapely.contains_xy(shapely.buffer(b, -10 / 111_000), plon[20:], plat[20:]).all()
