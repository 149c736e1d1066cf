"""The alarm engine alone (issue 5: >= 200,000 fixes/s with 2,000 fences and 25,000 subjects).

    .venv/bin/python benchmarks/alarm_engine.py [--fences 2000] [--subjects 25000] [--seconds 60] [--repeat 3]

No database: a seeded scene on a 20 km x 20 km metric plane with 2,000 fences (polygons of 20-200 m, about a fifth
of the area fenced, under fence rules of every kind: out of bounds, overstay, stationary, capacity, key-area work,
leaving) plus a gathering rule, and 25,000 subjects walking at 1-2 m/s with 5 m jitter, one fix per subject per
second. Each batch is one second of fixes; the engine's fixes() and tick() run per batch, as in the worker.
Baseline in the same run: the bare spatial test (STRtree query of every fix against the fences, nothing else).
Figures: median over --repeat runs of fixes per second; peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alarms.engine import Engine, RuleSpec, SubjectInfo, ZoneSpec  # noqa: E402
from alarms.fences import Fixes  # noqa: E402

SIDE = 20_000.0
KINDS = ["forbidden", "key_place", "work_area", "post", "site_boundary"]


def log(**fields) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def scene(fences: int, subjects: int, seed: int):
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(0, SIDE, fences), rng.uniform(0, SIDE, fences)
    size = rng.uniform(20, 200, fences)
    zones = []
    for i in range(fences):
        if i % 3 == 0:
            geom = shapely.Point(cx[i], cy[i]).buffer(size[i] / 2, quad_segs=8)
        else:
            geom = shapely.box(cx[i] - size[i] / 2, cy[i] - size[i] / 3, cx[i] + size[i] / 2, cy[i] + size[i] / 3)
        kind = KINDS[i % len(KINDS)]
        zones.append(
            ZoneSpec(
                i + 1,
                f"z{i}",
                kind,
                geom,
                enterprise_id=1 + i % 30,
                capacity_max=10,
                capacity_min=1 if kind == "post" else None,
            )
        )
    by_kind = {k: frozenset(z.id for z in zones if z.kind == k) for k in KINDS}
    rules = [
        RuleSpec(1, "out_of_bounds", zones=by_kind["forbidden"]),
        RuleSpec(2, "overstay", zones=by_kind["key_place"]),
        RuleSpec(3, "stationary", zones=by_kind["work_area"]),
        RuleSpec(4, "over_capacity", zones=by_kind["work_area"] | by_kind["key_place"]),
        RuleSpec(5, "key_area_work", zones=by_kind["key_place"]),
        RuleSpec(6, "leaving", zones=by_kind["site_boundary"]),
        RuleSpec(7, "gathering", params={"interval_s": 5.0}),
    ]
    info = {s: SubjectInfo(s, "person" if s % 10 else "welder", f"S{s}", 1 + s % 30, "02") for s in range(subjects)}
    # A fifth of the subjects start inside a fence, the rest anywhere.
    x, y = rng.uniform(0, SIDE, subjects), rng.uniform(0, SIDE, subjects)
    k = subjects // 5
    pick = rng.integers(0, fences, k)
    x[:k], y[:k] = cx[pick] + rng.normal(0, 10, k), cy[pick] + rng.normal(0, 10, k)
    return zones, rules, info, x, y, rng


def run(args) -> tuple[float, float, dict]:
    zones, rules, info, x, y, rng = scene(args.fences, args.subjects, args.seed)
    engine = Engine()
    engine.configure(zones, [], rules, info, now=0.0)
    heading = rng.uniform(0, 2 * np.pi, args.subjects)
    speed = rng.uniform(1.0, 2.0, args.subjects)
    ids = np.arange(args.subjects)
    batches = []
    for t in range(args.seconds):
        heading += rng.normal(0, 0.3, args.subjects)
        x = np.clip(x + np.cos(heading) * speed, 0, SIDE)
        y = np.clip(y + np.sin(heading) * speed, 0, SIDE)
        jx, jy = x + rng.normal(0, 5, args.subjects), y + rng.normal(0, 5, args.subjects)
        batches.append(Fixes.of(ids, np.full(args.subjects, float(t)), jx, jy))
    n = sum(len(b) for b in batches)
    signals = {}
    t0 = time.perf_counter()
    for t, b in enumerate(batches):
        for s in engine.fixes(b) + engine.tick(float(t)):
            signals[s.type] = signals.get(s.type, 0) + 1
    engine_s = time.perf_counter() - t0
    tree = engine.index.tree
    t0 = time.perf_counter()
    for b in batches:
        tree.query(shapely.points(b.x, b.y), predicate="intersects")
    base_s = time.perf_counter() - t0
    return n / engine_s, n / base_s, signals


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fences", type=int, default=2000)
    p.add_argument("--subjects", type=int, default=25_000)
    p.add_argument("--seconds", type=int, default=60, help="seconds of fixes per run (one batch each)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args()
    rates, bases = [], []
    for r in range(args.repeat):
        engine_rate, base_rate, signals = run(args)
        rates.append(engine_rate)
        bases.append(base_rate)
        log(event="run", run=r + 1, fixes_per_s=round(engine_rate), baseline_per_s=round(base_rate), signals=signals)
    med, base = statistics.median(rates), statistics.median(bases)
    log(
        event="alarm engine",
        fences=args.fences,
        subjects=args.subjects,
        fixes=args.subjects * args.seconds,
        median_fixes_per_s=round(med),
        baseline_spatial_query_per_s=round(base),
        ratio=round(med / base, 3),
        target=200_000,
        met=med >= 200_000,
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )


if __name__ == "__main__":
    main()
