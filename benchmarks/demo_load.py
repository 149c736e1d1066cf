"""How long the demo park takes to load (issue 2 target: under a minute), in a database of its own.

    .venv/bin/python benchmarks/demo_load.py [--runs 3] [--seed N]

Creates <db>_bench next to DATABASE_URL's database (dropped first), migrates it, loads the districts, then loads
the full demo scene --runs times (reset in between). Prints one JSON line per run and a summary with medians; the
"generate" step (pure Python, no database) is the baseline the database steps are compared with.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + "_bench"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261121)
    args = ap.parse_args()

    import psycopg

    base = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:55432/geoservice")
    url = bench_url(base)
    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(base)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_core.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from demo.loader import load_demo, reset_demo
    from geo_core.management.commands.load_regions import load_regions
    from geo_core.partitions import PARK_TZ

    call_command("migrate", verbosity=0)
    load_regions(progress=False)
    anchor = datetime.now(PARK_TZ).replace(minute=0, second=0, microsecond=0)
    runs = []
    for i in range(args.runs):
        if i:
            reset_demo()
        _, timings = load_demo(args.seed, anchor, progress=False)
        runs.append(timings)
        print(json.dumps({"event": "run", "run": i + 1, **{k: round(v, 2) for k, v in timings.items()}}), flush=True)
    median = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    summary = {
        "event": "summary",
        "runs": args.runs,
        "median_s": median,
        "database_share_of_total": round(1 - median["generate"] / median["total"], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(summary), flush=True)
    with psycopg.connect(admin, autocommit=True) as conn:
        from django.db import connections

        connections.close_all()
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
