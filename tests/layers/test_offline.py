"""Offline package: an area's layers as one PMTiles file that a PMTiles reader opens, with the right tiles, and
only what the exporting user may see."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import morecantile
from django.core.management import call_command
from pmtiles.reader import MmapSource, Reader


def _read(path, z, lon, lat):
    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, z)
    with open(path, "rb") as f:
        r = Reader(MmapSource(f))
        header, data = r.header(), r.get(t.z, t.x, t.y)
        meta = r.metadata()
    return header, meta, mapbox_vector_tile.decode(gzip.decompress(data)) if data else {}


def test_package_holds_the_area_and_respects_the_user(scene, tmp_path):
    lon, lat = scene["lon"] + 0.003, scene["lat"]
    bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    out = tmp_path / "all.pmtiles"
    call_command("offline_package", bbox=bbox, zooms="12-15", layers="zones,permits", out=str(out), verbosity=0)
    header, meta, tile = _read(out, 14, lon, lat)
    assert header["min_zoom"] == 12
    assert header["max_zoom"] == 15
    assert {v["id"] for v in meta["vector_layers"]} == {"zones", "permits"}
    assert len(tile["zones"]["features"]) == 7
    assert len(tile["permits"]["features"]) == 2
    mine = tmp_path / "a.pmtiles"
    call_command(
        "offline_package", bbox=bbox, zooms="14-14", layers="zones,permits", out=str(mine), user="ent-a", verbosity=0
    )
    _, _, tile = _read(mine, 14, lon, lat)
    assert len(tile["permits"]["features"]) == 1
    assert {f["properties"].get("company_code") for f in tile["zones"]["features"]} == {scene["a"].company_code, None}
