"""Fence transitions: enter/exit/cross, dwell and hysteresis, visits, floors, out-of-order fixes."""

import numpy as np
import shapely

from alarms.fences import Fence, FenceIndex, FenceTracker, Fixes

SQUARE = shapely.box(0, 0, 100, 100)


def kinds(trs):
    return [(t.kind, t.fence) for t in trs]


def walk(tracker, index, subject, points, t0=0.0, dt=1.0):
    xy = np.array(points, dtype=float)
    out = []
    for k, (x, y) in enumerate(xy):
        trs, _ = tracker.advance(index, Fixes.of([subject], [t0 + k * dt], [x], [y]))
        out += trs
    return out


def test_plain_fence_enter_then_exit_with_one_visit_id():
    index = FenceIndex([Fence("z1", SQUARE)])
    trs = walk(FenceTracker(), index, 7, [(-10, 50), (10, 50), (50, 50), (110, 50)])
    assert kinds(trs) == [("enter", "z1"), ("exit", "z1")]
    assert trs[0].visit == trs[1].visit == "z1:7:1000"
    assert trs[0].t == 1.0
    assert trs[1].t == 3.0


def test_dwell_dates_the_visit_from_the_first_fix_inside():
    index = FenceIndex([Fence("z1", SQUARE, enter_dwell_s=5, exit_dwell_s=5)])
    trs = walk(FenceTracker(), index, 1, [(-5, 50)] + [(5, 50)] * 6 + [(-5, 50)] * 6)
    assert kinds(trs) == [("enter", "z1"), ("exit", "z1")]
    assert trs[0].entered_at == 1.0
    assert trs[0].t == 1.0
    assert trs[1].t == 7.0  # first fix outside


def test_margin_counts_before_the_dwell():
    index = FenceIndex([Fence("z1", SQUARE, enter_dwell_s=30, enter_margin_m=8, exit_margin_m=8, exit_dwell_s=30)])
    trs = walk(FenceTracker(), index, 1, [(-5, 50), (3, 50), (9, 50)])
    assert kinds(trs) == [("enter", "z1")]


def test_jitter_along_an_edge_raises_no_storm():
    """+-5 m uniform jitter around the west edge for 10 minutes at 1 Hz: a plain fence flips hundreds of times,
    the fence with hysteresis (6 m margin, 10 s dwell) at most once each way."""
    rng = np.random.default_rng(5)
    n = 600
    pts = np.column_stack([rng.uniform(-5, 5, n), np.linspace(10, 90, n) + rng.uniform(-5, 5, n)])
    plain = walk(FenceTracker(), FenceIndex([Fence("z1", SQUARE)]), 1, pts)
    damped = walk(
        FenceTracker(),
        FenceIndex([Fence("z1", SQUARE, enter_dwell_s=10, exit_dwell_s=10, enter_margin_m=6, exit_margin_m=6)]),
        1,
        pts,
    )
    assert len(plain) > 200
    assert len(damped) <= 2


def test_sparse_fixes_that_jump_over_a_fence_cross_it():
    index = FenceIndex([Fence("z1", SQUARE)])
    trs = walk(FenceTracker(), index, 1, [(-50, 50), (150, 50)], dt=60)
    assert kinds(trs) == [("cross", "z1")]


def test_a_jump_no_one_could_travel_is_a_relocation_not_a_passage():
    """200 m in 10 s (72 km/h): a tag moved or a first fix far from the last known one; its path is unknown."""
    index = FenceIndex([Fence("z1", SQUARE)])
    assert walk(FenceTracker(), index, 1, [(-50, 50), (150, 50)], dt=10) == []
    assert kinds(walk(FenceTracker(), index, 1, [(-50, 50), (150, 50)], dt=30)) == [("cross", "z1")]  # 24 km/h
    # Twenty minutes apart: any path at all could join them.
    assert walk(FenceTracker(), index, 1, [(-50, 50), (150, 50)], dt=1200) == []


def test_out_of_order_and_repeated_fixes_are_ignored():
    tracker, index = FenceTracker(), FenceIndex([Fence("z1", SQUARE)])
    walk(tracker, index, 1, [(-10, 50), (-9, 50)], t0=100)
    late, kept = tracker.advance(index, Fixes.of([1, 1, 1], [50, 60, 101], [50, 50, 50], [50, 50, 50]))
    assert late == []
    assert len(kept) == 0


def test_a_floor_fence_ignores_other_floors():
    index = FenceIndex([Fence("z1", SQUARE, floor=3)])
    tracker = FenceTracker()
    a, _ = tracker.advance(index, Fixes.of([1], [0], [50], [50], floor=[2]))
    b, _ = tracker.advance(index, Fixes.of([1], [1], [50], [50], floor=[3]))
    c, _ = tracker.advance(index, Fixes.of([1], [2], [50], [50], floor=[np.nan]))  # floor unknown: 2D decides
    assert a == []
    assert kinds(b) == [("enter", "z1")]
    assert c == []


def test_tick_confirms_a_pending_exit_when_fixes_stop():
    index = FenceIndex([Fence("z1", SQUARE, exit_dwell_s=10, enter_dwell_s=0)])
    tracker = FenceTracker()
    walk(tracker, index, 1, [(50, 50), (50, 50), (-3, 50)])
    assert tracker.tick(index, 5.0) == []
    trs = tracker.tick(index, 12.5)
    assert kinds(trs) == [("exit", "z1")]
    assert trs[0].t == 2.0


def test_a_coarse_fix_widens_only_its_own_search():
    """One base-station fix (500 m) in a batch: it is paired with a fence 300 m off, the accurate fix beside it
    (same distance, 3 m) is not: the rest of the batch is not searched 500 m wide."""
    index = FenceIndex([Fence("z1", SQUARE, enter_margin_m=6.0)])
    p, _, _ = index.pairs(np.array([400.0, 400.0]), np.array([50.0, 50.0]), np.full(2, np.nan), np.array([495.0, 0.0]))
    assert p.tolist() == [0]
