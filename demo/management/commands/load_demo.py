"""manage.py load_demo: the demo chemical park, deterministic from a seed.

Idempotent: when the demo park is already loaded it says so and changes nothing; --reset replaces it.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.loader import demo_credentials, demo_media, demo_users, demo_vendor, load_demo, loaded_demo, reset_demo
from demo.scene import SceneSize
from geo_core.counts import scene_counts
from geo_core.partitions import PARK_TZ


class Command(BaseCommand):
    help = "Load the demo park (29 enterprises, 2,000 people, 20,000 welding machines, permits of every type)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=None, help="default: GEO_DEMO_SEED")
        parser.add_argument("--reset", action="store_true", help="remove a loaded demo park first")
        parser.add_argument("--anchor", help="ISO time the scene is built around (default: now, to the hour)")
        parser.add_argument("--people", type=int, default=SceneSize.people)
        parser.add_argument("--welders", type=int, default=SceneSize.welders)

    def handle(self, *args, seed, reset, anchor, people, welders, **options) -> None:
        seed = settings.CONFIG.demo_seed if seed is None else seed
        existing = loaded_demo()
        if existing and not reset:
            path = demo_credentials()
            self.stdout.write(
                json.dumps(
                    {
                        "event": "demo already loaded",
                        **existing.attributes,
                        **scene_counts(),
                        "credentials": str(path),
                        "users": str(demo_users()),
                        "devices": str(demo_vendor()),
                        "media": str(demo_media()),
                    },
                    ensure_ascii=False,
                )
            )
            return
        if existing:
            reset_demo()
        when = datetime.fromisoformat(anchor) if anchor else datetime.now(PARK_TZ)
        if when.tzinfo is None:
            raise CommandError(f"--anchor {anchor!r}: give a UTC offset, e.g. 2026-11-21T09:00+08:00")
        when = when.astimezone(PARK_TZ).replace(minute=0, second=0, microsecond=0)
        size = SceneSize(people=people, welders=welders)
        _, timings = load_demo(seed, when, size, progress=options["verbosity"] > 0)
        path = demo_credentials()
        out = {
            "event": "demo loaded",
            "seed": seed,
            "anchor": when.isoformat(),
            **scene_counts(),
            "seconds": {k: round(v, 2) for k, v in timings.items()},
            "credentials": str(path),
            "users": str(demo_users()),
            "devices": str(demo_vendor()),
            "media": str(demo_media()),
        }
        self.stdout.write(json.dumps(out, ensure_ascii=False))
