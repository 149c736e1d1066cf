"""Choreographed tracks through the pure engine: each rule type raises exactly the expected alarms, and a track
that must raise none raises none."""

import dataclasses
import pickle

import numpy as np
import pytest
import shapely

from alarms.engine import PermitSpec, RuleSpec, Scan, ZoneSpec
from alarms.fences import Fixes
from tests.alarms.scenes import KEY_PLACE, engine, kinds, line, run, track, zones

OOB = RuleSpec(1, "out_of_bounds", zones=frozenset({1}))


def raised(signals, type_=None):
    return [s for s in signals if s.action == "raise" and (type_ is None or s.type == type_)]


def test_out_of_bounds_warns_then_confirms_after_30_s_and_ends_on_leaving():
    e = engine([OOB])
    path = line((-30, 50), (30, 50), 31) + [(30, 50)] * 40 + line((30, 50), (-40, 50), 36)
    sig = run(e, track(2, 0, path))
    assert kinds(sig) == [("raise", "out_of_bounds"), ("update", "out_of_bounds"), ("end", "out_of_bounds")]
    r, u, end = sig
    assert r.severity == "warning"
    assert r.code == "1"
    assert r.subject == 2
    assert r.zone == 1
    assert r.t - 15.0 <= 5.0  # crossed the edge at t=15, warned within 5 s
    assert u.severity == "alarm"
    assert u.t - r.t >= 30
    assert end.t > u.t
    assert end.key == r.key


def test_walking_past_outside_the_fence_raises_nothing():
    e = engine([OOB])
    assert run(e, track(2, 0, line((-20, -50), (-20, 150), 200))) == []


def test_jitter_along_the_forbidden_fence_raises_no_storm():
    rng = np.random.default_rng(11)
    n = 600
    pts = np.column_stack([rng.uniform(-5, 5, n), np.linspace(5, 95, n) + rng.uniform(-5, 5, n)])
    sig = run(engine([OOB]), track(3, 0, list(map(tuple, pts))))
    assert len(raised(sig)) <= 1


def test_sparse_fixes_passing_through_a_forbidden_zone_raise_and_end_at_once():
    sig = run(engine([OOB]), track(2, 0, [(-50, 50), (150, 50)], dt=60))
    assert kinds(sig) == [("raise", "out_of_bounds"), ("end", "out_of_bounds")]
    assert sig[0].evidence["passed_through"]


def test_a_late_batch_raises_no_real_time_alarm():
    e = engine([OOB])
    run(e, track(2, 1000, [(-50, 50)] * 5))
    late = track(2, 0, [(50, 50)] * 60)  # uploaded after reconnecting: an hour-old walk inside
    assert run(e, late, tick=False) == []


def test_restart_in_the_middle_of_a_visit_neither_repeats_nor_loses_the_alarm():
    e = engine([OOB])
    first = run(e, track(2, 0, line((-30, 50), (40, 50), 71)))
    assert kinds(first) == [("raise", "out_of_bounds"), ("update", "out_of_bounds")]
    revived = pickle.loads(pickle.dumps(e))  # the state only: the scene comes back from the database
    revived.configure(zones(), [], [OOB], e.subjects)
    rest = run(revived, track(2, 71, [(40, 50)] * 10 + line((40, 50), (-40, 50), 81)))
    assert kinds(rest) == [("end", "out_of_bounds")]
    assert rest[0].key == first[0].key


def test_overstay_once_per_visit():
    e = engine([RuleSpec(2, "overstay", params={"limit_s": 60}, zones=frozenset({2}))])
    sig = run(e, track(1, 0, line((280, 50), (350, 50), 20) + [(350, 50)] * 80 + line((350, 50), (450, 50), 30)))
    assert kinds(sig) == [("raise", "overstay"), ("end", "overstay")]
    assert sig[0].code == "2"
    assert sig[0].evidence["limit_s"] == 60


def test_stationary_in_a_hazardous_zone_and_walking_about_is_not():
    rule = RuleSpec(3, "stationary", params={"limit_s": 120, "radius_m": 3}, zones=frozenset({2}))
    still = [(350 + np.sin(k) * 0.5, 50) for k in range(200)]
    sig = run(engine([rule]), track(1, 0, line((280, 50), (350, 50), 20) + still))
    assert kinds(sig) == [("raise", "stationary")]
    walking = [(320 + 40 * np.sin(k / 20), 50 + 30 * np.cos(k / 20)) for k in range(250)]
    assert run(engine([rule]), track(1, 0, walking)) == []


def test_leaving_the_site_and_returning():
    e = engine([RuleSpec(4, "leaving", zones=frozenset({4}))])
    sig = run(e, track(1, 0, line((1400, 0), (1600, 0), 60) + line((1600, 0), (1400, 0), 60)))
    assert kinds(sig) == [("raise", "leaving"), ("end", "leaving")]
    assert sig[0].code == "4"


def on_shift_until(end: float):
    return lambda t: t < end


def test_leaving_after_the_shift_is_going_home():
    e = engine([RuleSpec(4, "leaving", zones=frozenset({4}))])
    e.subjects[1] = dataclasses.replace(e.subjects[1], on_duty=on_shift_until(30.0))
    sig = run(e, track(1, 0, line((1400, 0), (1600, 0), 60)))
    assert sig == []  # crossed the fence at t≈50, twenty seconds after the shift ended


def test_leaving_during_the_shift_ends_when_the_shift_does():
    e = engine([RuleSpec(4, "leaving", zones=frozenset({4}))])
    e.subjects[1] = dataclasses.replace(e.subjects[1], on_duty=on_shift_until(100.0))
    sig = run(e, track(1, 0, line((1400, 0), (1600, 0), 60) + [(1600, 0)] * 60))
    assert kinds(sig) == [("raise", "leaving"), ("end", "leaving")]
    assert sig[1].evidence["reason"] == "shift over"
    assert 100.0 <= sig[1].t <= 101.0


def test_over_capacity_and_back():
    e = engine([RuleSpec(5, "over_capacity", params={"grace_s": 5}, zones=frozenset({2}))])
    fx = [track(s, 0, line((280, 10 * s), (350, 10 * s), 20) + [(350, 10 * s)] * 40) for s in range(1, 5)]
    fx.append(track(4, 60, line((350, 40), (450, 40), 40)))
    sig = run(e, Fixes(*(np.concatenate(cols) for cols in zip(*fx, strict=True))))
    assert kinds(sig) == [("raise", "over_capacity")]  # back within the limit, not yet for clear_s (60 s)
    for t in range(100, 200):
        sig += e.tick(float(t))
    assert kinds(sig) == [("raise", "over_capacity"), ("end", "over_capacity")]
    assert sig[1].evidence["within_since"] < sig[1].t - 59
    assert sig[0].evidence["count"] == 4
    assert sig[0].evidence["limit"] == 3
    assert sig[0].zone == 2


def test_absent_from_post_after_grace_and_back():
    e = engine([RuleSpec(6, "absent_from_post", params={"grace_s": 30}, zones=frozenset({3}))])
    at_post = [(610, 10)] * 20
    away = line((610, 10), (700, 10), 10) + [(700, 10)] * 40
    sig = run(e, track(5, 0, at_post + away + line((700, 10), (610, 10), 10) + at_post))
    assert kinds(sig) == [("raise", "absent_from_post"), ("end", "absent_from_post")]
    assert sig[0].subject == 5
    assert sig[0].code == "3"


def test_gathering_forms_grows_yellow_to_red_and_disperses():
    e = engine([RuleSpec(7, "gathering")])
    out = []
    pos = {s: (900 + 200 * s, 0.0) for s in range(1, 11)}
    for t in range(0, 400):
        n_in = 3 if t < 120 else 5 if t < 200 else 8 if t < 300 else 0
        for s in range(1, 11):
            pos[s] = (800 + 4 * (s % 4), 4 * (s // 4)) if s <= n_in else (900 + 200 * s, 0.0)
        fx = Fixes.of(list(pos), [t] * 10, [p[0] for p in pos.values()], [p[1] for p in pos.values()])
        out += e.fixes(fx) + e.tick(float(t))
    assert [(s.action, s.severity) for s in out] == [
        ("raise", "yellow"),
        ("update", "orange"),
        ("update", "red"),
        ("end", "red"),
    ]
    assert 60 < out[0].t <= 62
    assert out[-1].t == 300
    assert len(out[0].subjects) == 3
    assert out[2].evidence["size"] == 8


def test_a_line_of_people_16_m_apart_is_no_gathering():
    e = engine([RuleSpec(7, "gathering")])
    out = []
    for t in range(200):
        fx = Fixes.of([1, 2, 3, 4], [t] * 4, [800, 816, 832, 848], [0, 0, 0, 0])
        out += e.fixes(fx) + e.tick(float(t))
    assert out == []


def test_sos_passes_through_at_once():
    e = engine([RuleSpec(8, "sos")])
    sig = e.sos(2, 10.0, 121.3, 30.7, "reported:55")
    assert kinds(sig) == [("raise", "sos")]
    assert sig[0].code == "0"
    assert sig[0].severity == "critical"
    assert e.sos(2, 10.0, 121.3, 30.7, "reported:55") == []  # the same SOS again: one alarm


PERMIT = PermitSpec(
    1,
    "DH-1",
    "02",
    2,
    1,
    350.0,
    50.0,
    121.3,
    30.7,
    area=shapely.box(340, 40, 360, 60),
    guardian=6,
    authorised=frozenset({6, 7}),
    planned_end=10_000.0,
    actual_start=0.0,
    max_validity_s=8 * 3600,
)


def test_unauthorised_person_in_an_active_permit_area():
    e = engine([RuleSpec(9, "unauthorized_person")], permits=[PERMIT])
    walk = line((300, 50), (350, 50), 30) + [(350, 50)] * 20
    sig = run(e, track(8, 0, walk))
    assert kinds(sig) == [("raise", "unauthorized_person")]
    assert sig[0].permit == 1
    e = engine([RuleSpec(9, "unauthorized_person")], permits=[PERMIT])
    assert run(e, track(7, 0, walk)) == []  # on the permit


def test_guardian_away_after_grace_and_back():
    e = engine([RuleSpec(10, "guardian_away", params={"grace_s": 20})], permits=[PERMIT])
    near = [(352, 50)] * 10
    sig = run(e, track(6, 0, near + line((352, 50), (400, 50), 10) + [(400, 50)] * 40 + near))
    assert kinds(sig) == [("raise", "guardian_away"), ("end", "guardian_away")]
    assert sig[0].code == "31"
    assert sig[0].evidence["distance_m"] > 10
    # A guardian who stays within 10 m raises nothing.
    e = engine([RuleSpec(10, "guardian_away", params={"grace_s": 20})], permits=[PERMIT])
    assert run(e, track(6, 0, [(355, 52)] * 100)) == []


def test_permit_rules_expired_not_upgraded_outside_site_approver():
    late = PermitSpec(**{**PERMIT.__dict__, "planned_end": 100.0, "outside_site": True, "approver_distance_m": 400.0})
    rules = [
        RuleSpec(11, "permit_expired"),
        RuleSpec(12, "work_not_upgraded", windows={"night": lambda t: t > 50}),
        RuleSpec(13, "location_outside_site"),
        RuleSpec(14, "approver_not_on_site"),
    ]
    e = engine(rules, permits=[late])
    out = e.tick(10.0) + e.tick(60.0) + e.tick(120.0)
    assert sorted((s.type, s.code, s.t) for s in raised(out)) == [
        ("approver_not_on_site", "30", 10.0),
        ("location_outside_site", None, 10.0),
        ("permit_expired", "10", 120.0),
        ("work_not_upgraded", "42", 60.0),
    ]
    assert e.tick(130.0) == []  # nothing twice
    ok = PermitSpec(**{**PERMIT.__dict__, "approver_distance_m": 20.0})
    e = engine(rules[:1] + rules[2:], permits=[ok])
    assert e.tick(10.0) + e.tick(5000.0) == []


def test_welder_working_in_a_key_area_only_when_powered():
    e = engine([RuleSpec(15, "key_area_work", zones=frozenset({2}))])
    run(e, track(40, 0, line((280, 50), (350, 50), 20) + [(350, 50)] * 20))
    assert e.tick(40.0) == []
    e.device(40, True, 41.0)
    sig = e.tick(41.0)
    assert kinds(sig) == [("raise", "key_area_work")]
    e.device(40, False, 50.0)
    assert kinds(e.tick(50.0)) == [("end", "key_area_work")]


def test_welding_in_a_temporary_zone_and_anywhere_in_a_key_period_warns():
    """Seed 003: "根据重点区域、重点时段，临时作业，电子围栏内作业进行展示预警信息"."""
    temporary = ZoneSpec(6, "临时围栏", "temporary", KEY_PLACE, enterprise_id=1)
    e = engine([RuleSpec(18, "temporary_zone_work", zones=frozenset({6}))], [*zones(), temporary])
    run(e, track(40, 0, line((280, 50), (350, 50), 20) + [(350, 50)] * 20))
    e.device(40, True, 41.0)
    sig = e.tick(41.0)
    assert [(s.action, s.type, s.severity, s.zone) for s in sig] == [("raise", "temporary_zone_work", "warning", 6)]
    # A key period (重点时段): every powered machine, wherever it is; ends when the period is over.
    period = RuleSpec(19, "key_period_work", windows={"key_period": lambda t: 100 <= t < 200})
    e = engine([period])
    e.device(40, True, 90.0)
    e.device(41, False, 90.0)
    assert e.tick(95.0) == []
    sig = e.tick(100.0)
    assert [(s.action, s.subject, s.evidence["period"]) for s in sig] == [("raise", 40, "key_period")]
    assert e.tick(150.0) == []
    assert [(s.action, s.evidence["reason"]) for s in e.tick(200.0)] == [("end", "period over")]


def test_remote_scan_is_beyond_the_limit_even_at_the_nearest_ends_of_both_accuracy_radii():
    e = engine([RuleSpec(16, "remote_scan")])
    gnss = {"machine_accuracy_m": 10.0, "phone_accuracy_m": 15.0}
    assert e.scan(Scan(40, 10.0, (0.0, 0.0), (800.0, 0.0), (121.3, 30.7), "310116", "scan:1", **gnss)) == []
    sig = e.scan(Scan(40, 20.0, (0.0, 0.0), (1200.0, 0.0), (121.3, 30.7), "310116", "scan:2", **gnss))
    assert kinds(sig) == [("raise", "remote_scan")]
    assert sig[0].evidence["distance_m"] == 1200.0
    assert sig[0].evidence["nearest_possible_m"] == 1175.0
    # A base-station fix (no radius reported: the rule's 500 m) 1.2 km away may be next to the phone: uncertain.
    assert e.scan(Scan(40, 30.0, (0.0, 0.0), (1200.0, 0.0), (121.3, 30.7), "310116", "scan:3")) == []
    assert kinds(e.scan(Scan(40, 40.0, (0.0, 0.0), (1600.0, 0.0), (121.3, 30.7), "310116", "scan:4"))) == [
        ("raise", "remote_scan")
    ]
    assert [v["result"] for _, v in e.scan_verdicts] == ["near", "remote", "uncertain", "remote"]


def test_mobile_welder_over_15_days():
    e = engine([RuleSpec(17, "mobile_welder", params={"districts": 99})])
    day = 86400.0
    # Days 0-4: stays put. Then three jumps of more than 4 km within 15 days; a fourth is in the same window.
    spots = [(0, 0), (0, 0), (100, 0), (0, 50), (5000, 0), (5000, 100), (10_000, 0), (15_000, 0), (20_000, 0)]
    out = []
    for k, (x, y) in enumerate(spots):
        out += e.scan(Scan(40, k * day, (x, y), (x, y), (121.3, 30.7), "310116", f"s{k}"))
    assert kinds(raised(out)) == [("raise", "mobile_welder")]
    assert len(out[0].evidence["jumps_m"]) == 3
    assert out[0].t == 7 * day
    # Districts: two districts within the window.
    e = engine([RuleSpec(18, "mobile_welder")])
    a = e.scan(Scan(40, 0.0, (0, 0), (0, 0), (121.3, 30.7), "310116", "a"))
    b = e.scan(Scan(40, day, (10, 0), (10, 0), (121.3, 30.7), "310120", "b"))
    assert a == []
    assert kinds(raised(b)) == [("raise", "mobile_welder")]
    assert b[0].evidence["districts"] == ["310116", "310120"]


def test_welder_powered_but_silent():
    e = engine([RuleSpec(19, "welder_silent", params={"silent_s": 60})])
    e.device(40, True, 0.0)
    assert e.tick(30.0) == []
    assert kinds(e.tick(61.0)) == [("raise", "welder_silent")]
    e.device(40, True, 70.0)
    assert kinds(e.tick(71.0)) == [("end", "welder_silent")]


def test_feed_offline_and_back():
    e = engine([RuleSpec(20, "feed_offline")])
    sig = e.feeds([(1, "positions", False, 100.0)], 101.0)
    assert kinds(sig) == [("raise", "feed_offline")]
    assert sig[0].enterprise == 1
    assert e.feeds([(1, "positions", False, 100.0)], 102.0) == []
    assert kinds(e.feeds([(1, "positions", True, 200.0)], 200.0)) == [("end", "feed_offline")]


def test_zone_time_window_limits_the_rule():
    night_only = zones(**{"禁区": zones()[0].__class__(**{**zones()[0].__dict__, "in_force": lambda t: t >= 1000})})
    e = engine([OOB], zone_list=night_only)
    assert run(e, track(2, 0, line((-30, 50), (50, 50), 40))) == []
    e = engine([OOB], zone_list=night_only)
    assert kinds(run(e, track(2, 1000, line((-30, 50), (50, 50), 40)))) == [("raise", "out_of_bounds")]


def test_quiet_tracks_raise_nothing():
    """The counterpart of each scenario above: short visits, staying in, under the limits, at the post."""
    day = 86400.0
    short_visit = line((280, 50), (350, 50), 20) + [(350, 50)] * 30 + line((350, 50), (450, 50), 30)
    assert (
        run(engine([RuleSpec(2, "overstay", params={"limit_s": 60}, zones=frozenset({2}))]), track(1, 0, short_visit))
        == []
    )
    assert run(engine([RuleSpec(4, "leaving", zones=frozenset({4}))]), track(1, 0, line((0, 0), (1400, 0), 200))) == []
    three = [track(s, 0, line((280, 10 * s), (350, 10 * s), 20) + [(350, 10 * s)] * 40) for s in range(1, 4)]
    fx = Fixes(*(np.concatenate(cols) for cols in zip(*three, strict=True)))
    assert run(engine([RuleSpec(5, "over_capacity", params={"grace_s": 5}, zones=frozenset({2}))]), fx) == []
    assert (
        run(
            engine([RuleSpec(6, "absent_from_post", params={"grace_s": 30}, zones=frozenset({3}))]),
            track(5, 0, [(610, 10)] * 120),
        )
        == []
    )
    e = engine([RuleSpec(17, "mobile_welder")])
    out = []
    for k in range(20):  # one district, never more than 4 km from the last work start
        out += e.scan(Scan(40, k * day, (k * 100.0, 0.0), None, None, "310116", f"s{k}"))
    assert out == []
    e = engine([RuleSpec(19, "welder_silent", params={"silent_s": 60})])
    for t in range(0, 300, 30):
        e.device(40, True, float(t))
        assert e.tick(float(t) + 1) == []
    e.device(40, False, 300.0)
    assert e.tick(1000.0) == []  # powered off: silence is expected
    e = engine([RuleSpec(20, "feed_offline")])
    assert e.feeds([(1, "positions", True, 100.0)], 101.0) == []


def test_stationary_needs_stillness_that_was_seen_not_a_gap_in_the_data():
    rule = RuleSpec(3, "stationary", params={"limit_s": 120, "radius_m": 3}, zones=frozenset({2}))
    e = engine([rule])
    run(e, track(1, 0, line((280, 50), (350, 50), 20)))
    # An hour without data, then two fixes at the same spot: no alarm (nobody saw an hour of stillness).
    assert run(e, track(1, 3600, [(350, 50)] * 2)) == []


def test_twenty_thousand_machines_silent_together_are_one_outage_not_a_storm():
    """The broker stops for longer than the silence limit: one feed_outage alarm (how many, since when), no
    per-machine alarm; it ends when data flows again; a machine that stays silent after that is its own alarm."""
    from alarms.engine import SubjectInfo

    e = engine([RuleSpec(19, "welder_silent", params={"silent_s": 60})])
    machines = range(1000, 21000)
    e.subjects.update({i: SubjectInfo(i, "welder", f"W{i}") for i in machines})
    for i in machines:
        e.device(i, True, 100.0 + (i % 10))  # the last messages before the broker stopped
    assert e.tick(150.0) == []
    storm = e.tick(200.0)
    assert kinds(storm) == [("raise", "feed_outage")]
    assert storm[0].evidence["silent"] == 20000
    assert 100.0 <= storm[0].evidence["since"] <= 110.0
    assert e.tick(400.0) == []  # still out: nothing more
    for i in machines:
        if i != 1234:  # one machine stays silent: its own fault
            e.device(i, True, 500.0)
    ended = e.tick(501.0)
    assert kinds(ended) == [("end", "feed_outage")]
    assert e.tick(540.0) == []  # the silent one gets its own silence limit after the outage
    for i in machines:
        if i != 1234:
            e.device(i, True, 555.0)  # the others go on reporting
    own = e.tick(562.0)
    assert kinds(own) == [("raise", "welder_silent")]
    assert own[0].subject == 1234


def test_a_few_machines_silent_together_are_each_their_own():
    e = engine([RuleSpec(19, "welder_silent", params={"silent_s": 60})])
    from alarms.engine import SubjectInfo

    e.subjects.update({i: SubjectInfo(i, "welder", f"W{i}") for i in range(1000, 1200)})
    for i in range(1000, 1200):
        e.device(i, True, 100.0 if i < 1005 else 190.0)
    assert kinds(e.tick(170.0)) == [("raise", "welder_silent")] * 5  # 5 of 200: below 20 and 10 %


def test_every_enterprise_offline_at_once_is_one_outage_and_one_left_offline_is_its_own():
    e = engine([RuleSpec(20, "feed_offline", params={"grace_s": 60})])
    down = [(ent, "positions", False, 100.0 + ent) for ent in range(1, 30)]
    sig = e.feeds(down, 200.0)
    assert kinds(sig) == [("raise", "feed_outage")]
    assert sig[0].evidence["feeds_offline"] == 29
    assert e.feeds(down, 300.0) == []
    back = [(ent, "positions", ent != 7, 400.0) for ent in range(1, 30)]  # all but one report again
    assert kinds(e.feeds(back, 400.0)) == [("end", "feed_outage")]
    assert e.feeds(back, 430.0) == []  # within the grace after the outage
    own = e.feeds(back, 470.0)
    assert kinds(own) == [("raise", "feed_offline")]
    assert own[0].enterprise == 7


def test_a_permit_crew_at_its_work_is_no_gathering_but_others_joining_them_are():
    crew = PermitSpec(5, "DH-1", "02", 2, 1, 800.0, 0.0, 121.3, 30.7, guardian=1, authorised=frozenset({2, 3}))
    e = engine([RuleSpec(7, "gathering")], permits=[crew])
    out = []
    for t in range(300):
        ids = [1, 2, 3] + ([4, 5, 6] if t >= 150 else [])
        xs = [800.0 + 3 * k for k in range(len(ids))]
        fx = Fixes.of(ids, [t] * len(ids), xs, [0.0] * len(ids))
        out += e.fixes(fx) + e.tick(float(t))
    raised = [s for s in out if s.action == "raise"]
    assert len(raised) == 1  # only once three who are not the crew stand together
    assert raised[0].t > 150 + 59
    assert set(raised[0].subjects) == {4, 5, 6}


def test_a_work_cordon_lets_its_own_crew_in_and_no_one_else():
    """A permit's cordon (作业警戒区) keeps others out; its guardian and workers work inside it."""
    import dataclasses

    cordon = dataclasses.replace(zones()[0], kind="temporary", cleared=frozenset({2}))
    e = engine([OOB], zone_list=zones(禁区=cordon))
    path = line((-30, 50), (30, 50), 31) + [(30, 50)] * 40
    assert run(e, track(2, 0, path)) == []  # the crew
    assert kinds(run(e, track(3, 100, path)))[0] == ("raise", "out_of_bounds")  # anyone else


@pytest.mark.parametrize("status", [2, 6])  # in progress, paused
def test_a_permitted_job_inside_a_forbidden_zone_is_not_an_intrusion_by_its_crew(status):
    inside = PermitSpec(9, "DH-9", "02", status, 1, 30.0, 50.0, 121.3, 30.7, guardian=2, authorised=frozenset({6}))
    e = engine([OOB], permits=[inside])
    path = line((-30, 50), (30, 50), 31) + [(30, 50)] * 60
    assert run(e, track(2, 0, path)) == []  # the guardian of the job in the zone
    assert kinds(run(e, track(3, 100, path)))[0] == ("raise", "out_of_bounds")


def test_a_fence_redrawn_over_people_is_one_record_not_an_alarm_each():
    """A supervisor enlarges a forbidden zone over ten contractors: no out_of_bounds for them (they did not walk in),
    one fence_edited record with the count; someone who walks in after the edit settles is an intrusion as ever."""
    import dataclasses

    from alarms.engine import FENCE_SETTLE_S

    visitors = [RuleSpec(1, "out_of_bounds", zones=frozenset({1}))]
    e = engine(visitors)
    people = list(range(1, 11))
    for t in range(0, 30):  # ten people standing 20-40 m east of the zone (it spans 0-100 m)
        fx = Fixes.of(people, [t] * 10, [120.0 + 2 * k for k in range(10)], [50.0] * 10)
        assert e.fixes(fx) + e.tick(float(t)) == []
    bigger = dataclasses.replace(zones()[0], geom=shapely.box(0, 0, 200, 100))
    assert e.configure(zones(禁区=bigger), [], visitors, None, now=30.0) == []
    out = []
    for t in range(30, 30 + int(FENCE_SETTLE_S) + 40):
        fx = Fixes.of(people, [t] * 10, [120.0 + 2 * k for k in range(10)], [50.0] * 10)
        out += e.fixes(fx) + e.tick(float(t))
    assert [s.type for s in out if s.action == "raise"] == ["fence_edited"]
    record = next(s for s in out if s.type == "fence_edited")
    assert record.evidence["entered"] == 10
    assert record.zone == 1
    late = run(e, track(15, 200, line((300, 50), (150, 50), 40) + [(150, 50)] * 40))
    assert kinds(late)[0] == ("raise", "out_of_bounds")


def test_a_still_person_whose_fixes_scatter_by_their_accuracy_is_still():
    """Tags scatter by their accuracy: a person lying still, fixes within 4 m of the spot, is stationary when the
    fixes say they are 4 m accurate, and moving when nothing says how accurate they are."""
    rule = RuleSpec(3, "stationary", params={"limit_s": 120, "radius_m": 3}, zones=frozenset({2}))
    rng = np.random.default_rng(5)
    angle, r = rng.uniform(0, 2 * np.pi, 200), rng.uniform(0, 4, 200)
    still = [(350 + a * np.cos(b), 50 + a * np.sin(b)) for a, b in zip(r, angle, strict=True)]
    path = line((280, 50), (350, 50), 20) + still
    assert kinds(run(engine([rule]), track(1, 0, path, acc=4.0))) == [("raise", "stationary")]
    assert run(engine([rule]), track(1, 0, path)) == []


def test_a_base_station_fix_enters_a_fence_only_when_its_whole_circle_would():
    """A fix 20 m inside with a 50 m accuracy radius may be outside: it decides nothing, however long it stays;
    60 m inside it counts. An accurate fix 20 m inside counts as before."""
    rule = RuleSpec(1, "out_of_bounds", zones=frozenset({1}), person_types=frozenset({"03"}))
    big = shapely.box(0, 0, 200, 200)
    zl = zones(**{"禁区": ZoneSpec(1, "禁区", "forbidden", big, enterprise_id=1)})
    assert run(engine([rule], zl), track(30, 0, [(20.0, 100.0)] * 60, acc=50.0)) == []
    assert kinds(run(engine([rule], zl), track(30, 0, [(20.0, 100.0)] * 60, acc=3.0)))[0] == ("raise", "out_of_bounds")
    assert kinds(run(engine([rule], zl), track(30, 0, [(60.0, 100.0)] * 60, acc=50.0)))[0] == ("raise", "out_of_bounds")


def test_a_clock_step_is_one_record_not_a_storm_of_stays_and_observed_time_still_counts():
    """Ten people in a key place; the service's clock steps 40 minutes ahead (no tick, no fix in between): no one
    overstays for time no one saw, one `clock_jump` record says what moved; their real stay then counts on."""
    rule = RuleSpec(2, "overstay", params={"limit_s": 1800}, zones=frozenset({2}))
    e = engine([rule])
    crowd = [track(s, 0, line((280, 5 * s), (350, 5 * s), 20) + [(350, 5 * s)] * 80) for s in range(1, 11)]
    assert run(e, Fixes(*(np.concatenate(cols) for cols in zip(*crowd, strict=True)))) == []
    jumped = e.tick(100 + 2400)
    assert kinds(jumped) == [("raise", "clock_jump"), ("end", "clock_jump")]
    assert jumped[0].evidence["unobserved_s"] == 2401.0
    assert jumped[0].evidence["memberships"] == 10
    # They stay on, seen every 10 s: overstay once 1,800 s of observed stay have passed, for each of them.
    later = [track(s, 2501, [(350, 5 * s)] * 200, dt=10) for s in range(1, 11)]
    out = run(e, Fixes(*(np.concatenate(cols) for cols in zip(*later, strict=True))))
    raised = [s for s in out if s.action == "raise"]
    assert [s.type for s in raised] == ["overstay"] * 10
    assert min(s.t for s in raised) >= 2501 + 1800 - 100 - 10


def test_a_walk_between_two_sites_of_ones_enterprise_is_left_and_back_not_a_leaving():
    second = ZoneSpec(5, "第2厂区", "site_boundary", shapely.box(1600, -500, 2500, 500), enterprise_id=1)
    rule = RuleSpec(4, "leaving", zones=frozenset({4, 5}))
    e = engine([rule], [*zones(), second])
    out = run(e, track(1, 0, line((1400, 0), (1700, 0), 120)))  # over the road between the two sites
    assert kinds(out) == [("raise", "leaving"), ("end", "leaving")]
    assert out[1].evidence["to"] == "z5"
    # Out of the second one into the open: a leaving that stays open.
    assert kinds(run(e, track(1, 200, line((1700, 0), (1700, 700), 120)))) == [("raise", "leaving")]


def test_a_state_saved_before_a_field_existed_restores_with_it_empty():
    e = engine([RuleSpec(1, "out_of_bounds", zones=frozenset({1}))])
    state = e.__getstate__()
    del state["clock"], state["newest_fix"]  # as an engine saved them before they existed
    restored = pickle.loads(pickle.dumps(e))
    restored.__setstate__(state)
    assert restored.clock == -np.inf
    assert restored.tick(10.0) == []


def test_a_man_down_seen_through_tag_noise_is_stationary_and_a_slow_walker_is_not():
    """Tags of the demo's kind: errors of 3 m (one sigma per axis), reporting 3 m. A man down is seen despite fixes
    now and then 10 m off; a worker pacing at 0.5 m/s, with the same noise, is not."""
    rule = RuleSpec(3, "stationary", zones=frozenset({2}))  # the defaults: 3 m, 300 s
    rng = np.random.default_rng(11)
    still = [(350 + dx, 50 + dy) for dx, dy in rng.normal(0, 3.0, (400, 2))]
    out = run(engine([rule]), track(1, 0, line((280, 50), (350, 50), 20) + still, acc=3.0))
    assert kinds(out) == [("raise", "stationary")]
    pacing = [(330 + 30 * np.sin(k / 60) + dx, 50 + dy) for k, (dx, dy) in enumerate(rng.normal(0, 3.0, (500, 2)))]
    assert run(engine([rule]), track(1, 0, pacing, acc=3.0)) == []


@pytest.mark.parametrize("status", [2, 6])  # in progress, paused
def test_a_permits_crew_standing_at_its_work_is_not_a_man_down(status):
    rule = RuleSpec(3, "stationary", params={"limit_s": 120}, zones=frozenset({2}))
    permit = PermitSpec(9, "DH-9", "02", status, 1, 350.0, 50.0, 121.3, 30.7, guardian=1, authorised=frozenset({1}))
    still = line((280, 50), (352, 50), 20) + [(352, 50)] * 200
    assert run(engine([rule], permits=[permit]), track(1, 0, still, acc=3.0)) == []
    assert kinds(run(engine([rule], permits=[permit]), track(2, 0, still, acc=3.0))) == [("raise", "stationary")]
    closed = dataclasses.replace(permit, status=3)  # work over: standing still there is a man down again
    assert kinds(run(engine([rule], permits=[closed]), track(1, 0, still, acc=3.0))) == [("raise", "stationary")]
