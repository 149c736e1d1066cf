"""What a caller's scope costs a tile (issue 11): the same tiles rendered for a supervisor (everything), an enterprise
user and a district officer (the district's geography), on the running demo's database (it only reads).

    make run; eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/scope_cost.py [--repeat 7]

Prints, per layer and zoom, the median milliseconds and the tile's bytes for each scope, and the ratio of each scope's
median to the supervisor's (the baseline of the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path[0:1] = [str(ROOT)]  # the project, not this folder (whose tiles.py would shadow the package)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_core.settings")
django.setup()

import morecantile  # noqa: E402

from demo.scene import PARK_CENTRE  # noqa: E402
from geo_core.models import Enterprise, Region  # noqa: E402
from geo_core.scope import EVERYTHING, Scope  # noqa: E402
from layers import registry  # noqa: E402
from tiles.mvt import render  # noqa: E402
from tiles.tms import grid  # noqa: E402


def scopes() -> dict[str, Scope]:
    district = Region.objects.get(code="310116")  # Jinshan, the demo park's district
    ents = frozenset(Enterprise.objects.filter(sites__district=district).values_list("id", flat=True))
    return {
        "supervisor": EVERYTHING,
        "enterprise": Scope(enterprises=frozenset({min(ents)})),
        "district": Scope(enterprises=ents, districts=frozenset({district.id})),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    g = grid("WebMercatorQuad")
    tms = morecantile.tms.get("WebMercatorQuad")
    for layer in ("welders", "people", "zones", "sites", "permits"):
        source = registry.get(layer).source
        for z in (10, 13, 16):
            t = tms.tile(*PARK_CENTRE, z)
            out = {"event": "scope cost", "layer": layer, "z": z}
            for name, scope in scopes().items():
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    data = render(source, g, t.z, t.x, t.y, scope)
                    times.append((time.perf_counter() - t0) * 1000)
                out[name] = {"p50_ms": round(statistics.median(times), 2), "bytes": len(data)}
            for name in ("enterprise", "district"):
                out[f"{name}_ratio"] = round(out[name]["p50_ms"] / out["supervisor"]["p50_ms"], 2)
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
