"""The MapLibre style: valid against the MapLibre style specification (its own validator, from web/node_modules),
with a sprite holding a distinct icon for every permit type and status."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from rasterio.io import MemoryFile

from geo_core.permit_codes import OPERATION_TYPE, STATUSES

VALIDATOR = Path(__file__).resolve().parents[2] / "web" / "node_modules" / ".bin" / "gl-style-validate"


def test_style_validates_with_maplibre_style_spec(client, tmp_path):
    style = client.get("/maps/style.json").json()
    path = tmp_path / "style.json"
    path.write_text(json.dumps(style))
    r = subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not r.stdout.strip(), r.stdout
    ids = [layer["id"] for layer in style["layers"]]
    assert {"zones", "permits", "alarms", "zones-3d"} <= set(ids)
    assert style["sources"]["geoservice"]["url"].endswith(".json")


@pytest.mark.parametrize("ratio", ["", "@2x"])
def test_sprite_has_a_distinct_icon_per_permit_type_and_status(client, ratio):
    index = client.get(f"/maps/sprite{ratio}.json").json()
    png = client.get(f"/maps/sprite{ratio}.png").content
    wanted = {f"permit-{op}-{st}" for op in set(OPERATION_TYPE.values()) for st in STATUSES}
    assert set(index) == wanted
    with MemoryFile(png) as mem, mem.open() as img:
        sheet = img.read()
    icons = set()
    for name, box in index.items():
        icon = sheet[:, box["y"] : box["y"] + box["height"], box["x"] : box["x"] + box["width"]]
        assert icon[3].any(), name
        icons.add(icon.tobytes())
    assert len(icons) == len(index)  # no two alike
    assert np.all([b["pixelRatio"] == (2 if ratio else 1) for b in index.values()])
