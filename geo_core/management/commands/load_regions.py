"""manage.py load_regions: load the committed administrative boundaries (data/regions/) into Region.

Idempotent: regions are upserted by code, so a second run changes nothing unless the file changed (and
then the region trigger re-derives the districts of the sites involved).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from geo_core.models import Region
from geo_core.validation import as_multipolygon, geometry_from_geojson, validate_geometry

DEFAULT_FILE = Path(settings.BASE_DIR) / "data" / "regions" / "regions.geojson.gz"
LEVEL_ORDER = {"province": 0, "city": 1, "district": 2}


def read_features(path: Path) -> tuple[str, list[dict]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return data.get("source", str(path)), data["features"]


def load_regions(path: Path = DEFAULT_FILE, prefixes: tuple[str, ...] = (), progress: bool = True) -> dict[str, int]:
    source, features = read_features(path)
    if prefixes:
        features = [f for f in features if f["properties"]["code"].startswith(prefixes)]
    # Parents before children, so parent links resolve in one pass.
    features.sort(key=lambda f: (LEVEL_ORDER[f["properties"]["level"]], f["properties"]["code"]))
    created = updated = unchanged = 0
    ids: dict[str, int] = dict(Region.objects.values_list("code", "id"))
    with transaction.atomic():
        for i, feature in enumerate(tqdm(features, desc="regions", unit="region", disable=not progress)):
            props = feature["properties"]
            where = f"feature {i} (code {props.get('code')!r}, {props.get('name')!r})"
            try:
                geom = as_multipolygon(geometry_from_geojson(feature["geometry"]))
                validate_geometry(geom)
            except (ValidationError, ValueError) as exc:
                raise CommandError(f"{path}: {where}: field geometry: {exc}") from None
            parent_code = props.get("parent_code")
            if parent_code and parent_code not in ids:
                raise CommandError(f"{path}: {where}: field parent_code: {parent_code} is not loaded")
            values = {
                "name": props["name"],
                "level": props["level"],
                "parent_id": ids.get(parent_code) if parent_code else None,
                "source": source[:200],
            }
            region = Region.objects.filter(code=props["code"]).first()
            if region is None:
                region = Region(code=props["code"], geom=geom, **values)
                region.full_clean()
                region.save()
                created += 1
            elif region.geom.equals_exact(geom, 1e-9) and all(getattr(region, k) == v for k, v in values.items()):
                unchanged += 1
            else:
                for key, value in values.items():
                    setattr(region, key, value)
                region.geom = geom
                region.save()
                updated += 1
            ids[region.code] = region.id
    return {"created": created, "updated": updated, "unchanged": unchanged}


class Command(BaseCommand):
    help = "Load administrative boundaries (CGCS2000) from data/regions/regions.geojson.gz"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
        parser.add_argument(
            "--only", nargs="*", default=[], help="GB/T 2260 code prefixes to load, e.g. 31 (Shanghai) 61 3204"
        )

    def handle(self, *args, file: Path, only: list[str], **options) -> None:
        counts = load_regions(file, tuple(only), progress=options["verbosity"] > 0)
        self.stdout.write(json.dumps({"event": "regions loaded", **counts}))
