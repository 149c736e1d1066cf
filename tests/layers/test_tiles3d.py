"""The park's generated 3D Tiles: a tile per site placed where the site is, plant from its zones, rebuilt only when
the sites or zones changed, and served within the caller's scope."""

from __future__ import annotations

import gzip
import io
import math

import numpy as np
import orjson
import pytest
import trimesh

from geo_core.models import Site, TilesetFile, Zone
from geo_core.scope import EVERYTHING
from layers.tiles3d import E2, A, build, served
from tests.geo_core.conftest import square

pytestmark = pytest.mark.django_db


def geodetic(x: float, y: float, z: float) -> tuple[float, float]:
    """ECEF -> lon/lat in degrees (Bowring's one step is far below a metre here)."""
    lon = math.atan2(y, x)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - E2))
    for _ in range(5):
        n = A / math.sqrt(1 - E2 * math.sin(lat) ** 2)
        lat = math.atan2(z + E2 * n * math.sin(lat), p)
    return math.degrees(lon), math.degrees(lat)


def stored(**where) -> bytes:
    """A stored tileset file's bytes (kept gzipped)."""
    return gzip.decompress(bytes(TilesetFile.objects.get(**where).content))


def test_each_site_is_a_tile_placed_on_it_with_its_plant(scene):
    site_a = Site.objects.get(enterprise=scene["a"])
    site_a.height_m = 30.0
    site_a.save()
    unit = square(scene["lon"], scene["lat"] + 0.001, 0.0006)
    Zone.objects.create(name="装置区", kind="work_area", enterprise=scene["a"], geom=unit)
    out = build()
    assert out["built"] is True
    assert out["sites"] == 2
    doc = orjson.loads(stored(path="tileset.json"))
    assert doc["asset"]["version"] == "1.1"
    kids = {c["content"]["metadata"]["properties"]["id"]: c for c in doc["root"]["children"]}
    assert set(kids) == {site_a.id, Site.objects.get(enterprise=scene["b"]).id}
    tile = kids[site_a.id]
    m = np.array(tile["transform"]).reshape(4, 4).T  # column-major in the file
    lon, lat = geodetic(*m[:3, 3])
    c = site_a.footprint.centroid
    assert abs(lon - c.x) < 1e-6
    assert abs(lat - c.y) < 1e-6
    glb = stored(path=f"site-{site_a.id}.glb")
    mesh = trimesh.load(io.BytesIO(glb), file_type="glb", force="mesh")
    # glTF is y-up: heights are along y, and the tallest column reaches the site's height.
    assert 0.8 * 30.0 <= mesh.bounds[1][1] <= 30.0 + 0.01
    assert mesh.bounds[0][1] >= -0.01  # nothing under the ground
    assert tile["boundingVolume"]["region"][5] >= mesh.bounds[1][1]
    # The site without a height or a work area: tanks in its forbidden zones and the control room of its post.
    glb_b = stored(path=f"site-{Site.objects.get(enterprise=scene['b']).id}.glb")
    assert len(trimesh.load(io.BytesIO(glb_b), file_type="glb").geometry) >= 2


def test_built_again_only_when_sites_or_zones_changed(scene):
    assert build()["built"] is True
    assert build()["built"] is False
    zone = Zone.objects.filter(enterprise=scene["a"], kind="forbidden").first()
    zone.geom = square(scene["lon"] + 0.0003, scene["lat"], 0.0003)
    zone.save()
    assert build()["built"] is True


def test_served_within_the_callers_scope(scene):
    from geo_core.access import access_for
    from geo_core.models import UserProfile

    build()
    site_b = Site.objects.get(enterprise=scene["b"])
    everything = orjson.loads(served("tileset.json", EVERYTHING)[0])
    assert len(everything["root"]["children"]) == 2
    user_a = UserProfile.objects.get(enterprise=scene["a"]).user
    scope_a = access_for(user_a).scope
    mine = orjson.loads(served("tileset.json", scope_a)[0])
    assert [c["content"]["metadata"]["properties"]["id"] for c in mine["root"]["children"]] == [
        Site.objects.get(enterprise=scene["a"]).id
    ]
    with pytest.raises(LookupError):
        served(f"site-{site_b.id}.glb", scope_a)
    assert served(f"site-{site_b.id}.glb", EVERYTHING)[1] == "model/gltf-binary"
    for odd in ("stamp", "site-x.glb", "nothing.json"):
        with pytest.raises(LookupError):
            served(odd, EVERYTHING)


def test_the_http_route_answers_etags_and_404s(client, scene):
    build()
    answer = client.get("/maps/3dtiles/tileset.json", **scene["sup"])
    assert answer.status_code == 200
    again = client.get("/maps/3dtiles/tileset.json", HTTP_IF_NONE_MATCH=answer["ETag"], **scene["sup"])
    assert again.status_code == 304
    site = Site.objects.get(enterprise=scene["a"]).id
    plain = client.get(f"/maps/3dtiles/site-{site}.glb", **scene["sup"])
    packed = client.get(f"/maps/3dtiles/site-{site}.glb", HTTP_ACCEPT_ENCODING="gzip, br", **scene["sup"])
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 2
    assert client.get("/maps/3dtiles/site-999999.glb", **scene["sup"]).status_code == 404
    assert client.get("/maps/3dtiles/../settings.py", **scene["sup"]).status_code == 404
    assert client.get("/maps/3dtiles/tileset.json").status_code == 401
