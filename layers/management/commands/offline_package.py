"""manage.py offline_package: an area's layers as one PMTiles file for a tablet (LAY-7), with a progress bar.

    manage.py offline_package --bbox 121.38,30.74,121.50,30.82 --zooms 12-16 --layers zones,sites,permits \\
        --user ent-SCIP001 --out park.pmtiles
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo_core.access import access_for
from geo_core.params import bbox as parse_bbox
from geo_core.scope import EVERYTHING
from layers.offline import package, tiles_in


class Command(BaseCommand):
    help = "Export an area and zoom range of layers as one PMTiles file"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bbox", required=True, help="minlon,minlat,maxlon,maxlat")
        parser.add_argument("--zooms", default="10-16", help="min-max, Web Mercator")
        parser.add_argument("--layers", default="districts,sites,zones,permits")
        parser.add_argument("--user", help="export what this user may see (default: everything)")
        parser.add_argument("--out", required=True)

    def handle(self, *args, bbox, zooms, layers, user, out, **options) -> None:
        try:
            box = parse_bbox(bbox, "--bbox")
            lo, hi = (int(z) for z in zooms.split("-"))
        except ValueError as exc:
            raise CommandError(f"--bbox/--zooms: {exc}") from None
        scope = EVERYTHING
        if user:
            u = get_user_model().objects.filter(username=user).first()
            if u is None:
                raise CommandError(f"--user: no user {user!r}")
            scope = access_for(u).scope
        total = len(tiles_in(box, lo, hi))
        with tqdm(total=total, unit="tile", desc="offline package", disable=options["verbosity"] < 1) as bar:
            try:
                result = package(Path(out), layers.split(","), box, lo, hi, scope, bar.update)
            except (ValueError, LookupError) as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps({"event": "offline package written", **result}))
