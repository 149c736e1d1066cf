"""manage.py build_3dtiles: generate the park's 3D Tiles (buildings and plant from the sites' footprints, heights and
zones) when they changed since the stored tileset, or always with --force; with a progress bar."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from tqdm import tqdm

from layers.tiles3d import build


class Command(BaseCommand):
    help = "Generate the 3D Tiles tileset of the park's buildings (served at /maps/3dtiles/tileset.json)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="rebuild even when nothing changed")

    def handle(self, *args, force: bool, **options) -> None:
        bar = tqdm(desc="3d tiles", unit="site", disable=options["verbosity"] < 1)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        out = build(force=force, progress=progress)
        bar.close()
        self.stdout.write(json.dumps({"event": "3d tiles", **out}))
