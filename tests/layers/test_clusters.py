"""Points clustered in tiles at low zooms: counts and sums that add up across tiles (no cluster in two tiles), the
points themselves above the layer's cluster zoom, in both grids, within the caller's access scope."""

from __future__ import annotations

from datetime import UTC, datetime

import mapbox_vector_tile
import morecantile
import pytest
from django.contrib.gis.geos import Point

from geo_core.access import create_user
from geo_core.models import Subject, SubjectState
from layers.registry import get
from tests.layers.conftest import bearer

WELDERS = 40
POWERED = 12
OF_A = 30  # the rest belong to enterprise b


@pytest.fixture
def welders(scene):
    now = datetime.now(UTC)
    lon, lat = scene["lon"], scene["lat"]
    for k in range(WELDERS):
        s = Subject.objects.create(
            kind="welder",
            external_id=f"W{k}",
            enterprise=scene["a"] if k < OF_A else scene["b"],
            chip_id=f"CHIP{k}",
            qr_code=f"QR{k}",
            mobility="mobile",
        )
        SubjectState.objects.create(
            subject=s,
            time=now,
            geom=Point(lon + 0.0001 * (k % 8), lat + 0.0001 * (k // 8), 0, srid=4490),  # 8 x 5 within ~70 m
            source="demo",
            live={"power": "on" if k < POWERED else "off"},
        )
    box = (lon - 0.0001, lat - 0.0001, lon + 0.0009, lat + 0.0006)
    return scene, box


def _tiles(client, who, box, z, grid="WebMercatorQuad") -> list[dict]:
    """Every welder feature of the tiles covering `box` at zoom z."""
    if grid == "WebMercatorQuad":
        tiles = [(t.x, t.y) for t in morecantile.tms.get("WebMercatorQuad").tiles(*box, zooms=[z])]
    else:  # Tianditu c numbering
        w, h = 360 / 2**z, 180 / 2 ** (z - 1)
        tiles = [
            (x, y)
            for x in range(int((box[0] + 180) / w), int((box[2] + 180) / w) + 1)
            for y in range(int((90 - box[3]) / h), int((90 - box[1]) / h) + 1)
        ]
    feats = []
    for x, y in tiles:
        r = client.get(f"/tiles/welders/{z}/{x}/{y}.pbf?tms={grid}", **who)
        assert r.status_code == 200, r.content
        if r.content:
            feats += mapbox_vector_tile.decode(r.content)["welders"]["features"]
    return feats


def _count(feats) -> int:
    return sum(f["properties"].get("point_count", 1) for f in feats)


@pytest.mark.parametrize("grid", ["WebMercatorQuad", "CGCS2000Quad"])
def test_low_zoom_tiles_hold_clusters_whose_counts_add_up_across_tiles(client, welders, grid):
    scene, box = welders
    for z in (10, 14, 15):
        feats = _tiles(client, scene["sup"], box, z, grid)
        assert _count(feats) == WELDERS, z  # none lost, none counted in two tiles
        clusters = [f for f in feats if "point_count" in f["properties"]]
        if z <= get("welders").cluster_maxzoom:
            assert clusters
            assert len(feats) < WELDERS
            # a cluster: its count and sums, none of a single point's properties
            assert all(set(f["properties"]) <= {"point_count", "powered"} for f in clusters)
            singles = [f for f in feats if "point_count" not in f["properties"]]
            powered = sum(f["properties"]["powered"] for f in clusters)
            powered += sum(f["properties"]["power"] == "on" for f in singles)
            assert powered == POWERED
            assert all(f["properties"]["external_id"].startswith("W") for f in singles)
        else:
            assert not clusters
            assert len(feats) == WELDERS
            assert sum(f["properties"]["power"] == "on" for f in feats) == POWERED


def test_clusters_hold_only_the_callers_rows(client, welders):
    scene, box = welders
    reader_b = bearer(create_user("ent-b", "pw-1234567", "enterprise", enterprise=scene["b"]))
    for z in (10, 16):
        assert _count(_tiles(client, scene["ent_a"], box, z)) == OF_A
        assert _count(_tiles(client, reader_b, box, z)) == WELDERS - OF_A


def test_tilejson_declares_the_cluster_fields(client, welders):
    scene, _ = welders
    tj = client.get("/tiles/welders,zones.json", **scene["sup"]).json()
    fields = {v["id"]: v["fields"] for v in tj["vector_layers"]}
    assert fields["welders"]["point_count"] == "Number"
    assert fields["welders"]["powered"] == "Number"
    assert "point_count" not in fields["zones"]  # polygons are never clustered
