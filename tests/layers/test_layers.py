"""Layers served as vector tiles (both grids), TileJSON and OGC API - Features, with access scopes, CQL2 filters,
paging and ETags, on a small real scene in PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import morecantile
import pytest

from geo_core.models import Zone
from tiles.cache import TileCache


def _tile(client, scene, layer, z, grid="WebMercatorQuad", who="sup"):
    if grid == "WebMercatorQuad":
        t = morecantile.tms.get("WebMercatorQuad").tile(scene["lon"] + 0.003, scene["lat"], z)
        x, y = t.x, t.y
    else:  # Tianditu c numbering: level z has 2^z x 2^(z-1) tiles over 360 x 180 degrees
        x, y = int((scene["lon"] + 0.003 + 180) / (360 / 2**z)), int((90 - scene["lat"]) / (180 / 2 ** (z - 1)))
    r = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf?tms={grid}", **scene[who])
    assert r.status_code == 200, r.content
    return r, mapbox_vector_tile.decode(r.content) if r.content else {}


@pytest.mark.parametrize("grid", ["WebMercatorQuad", "CGCS2000Quad"])
def test_zone_tiles_decode_with_attributes_in_both_grids(client, scene, grid):
    r, tile = _tile(client, scene, "zones", 13, grid)
    assert r["Content-Type"] == "application/vnd.mapbox-vector-tile"
    feats = tile["zones"]["features"]
    assert len(feats) == 7
    kinds = sorted(f["properties"]["kind"] for f in feats)
    assert kinds == ["forbidden"] * 4 + ["key_place"] + ["post"] * 2
    assert {f["properties"]["company_code"] for f in feats if f["properties"]["kind"] == "post"} == {
        scene["a"].company_code,
        scene["b"].company_code,
    }


def test_composite_tile_and_etag(client, scene):
    r, tile = _tile(client, scene, "zones,sites,permits,people", 13)
    assert set(tile) == {"zones", "sites", "permits", "people"}
    assert tile["permits"]["features"][0]["properties"]["ticket_label"] == "动火作业(一级)"
    again = client.get(r.wsgi_request.get_full_path(), HTTP_IF_NONE_MATCH=r["ETag"], **scene["sup"])
    assert again.status_code == 304


def test_a_public_layers_tile_is_rendered_once_for_every_scope_and_a_scoped_ones_per_scope(client, scene):
    first, _ = _tile(client, scene, "districts,zones", 12, who="sup")
    again, _ = _tile(client, scene, "districts,zones", 12, who="ent_a")
    assert first["X-Tile-Cache"] == again["X-Tile-Cache"] == "miss"  # zones: each scope its own
    districts, tile = _tile(client, scene, "districts", 12, who="ent_a")
    assert districts["X-Tile-Cache"] == "hit"  # the supervisor's render of the same rows served the enterprise user
    assert tile["districts"]["features"]


def test_enterprise_user_sees_only_its_rows_in_tiles_and_features(client, scene):
    _, tile = _tile(client, scene, "zones,people,permits", 13, who="ent_a")
    codes = {f["properties"].get("company_code") for layer in tile.values() for f in layer["features"]}
    assert codes == {scene["a"].company_code, None}  # its own rows, plus the park's key place (no enterprise)
    items = client.get("/ogc/collections/permits/items", **scene["ent_a"]).json()
    assert items["numberMatched"] == 1
    assert client.get("/ogc/collections/permits/items").status_code == 401
    assert client.get("/ogc/collections/districts/items?limit=1").status_code == 200  # public


def test_items_filters_cql2_text_json_bbox_datetime(client, scene):
    def n(q):
        r = client.get(f"/ogc/collections/zones/items?{q}", **scene["sup"])
        assert r.status_code == 200, r.content
        return r.json()["numberMatched"]

    assert n("") == 7
    assert n("filter=kind%3D'forbidden'") == 4
    assert n("filter=kind%3D'forbidden' AND capacity_min > 0") == 2
    assert n("filter=name LIKE '禁区%25' AND company_code IN ('" + scene["a"].company_code + "')") == 3
    js = (
        '{{"op":"and","args":[{{"op":"=","args":[{{"property":"kind"}},"post"]}},'
        '{{"op":"s_intersects","args":[{{"property":"geom"}},{{"type":"Point","coordinates":[{:f},{:f}]}}]}}]}}'.format(
            scene["lon"] + 0.001, scene["lat"]
        )
    )
    assert n(f"filter-lang=cql2-json&filter={js}") == 1
    lon, lat = scene["lon"], scene["lat"]
    assert n(f"bbox={lon - 0.0012},{lat - 0.0012},{lon + 0.0012},{lat + 0.0012}") == 3  # enterprise a's only
    assert n("kind=post") == 2  # a queryable as a query parameter
    bad = client.get("/ogc/collections/zones/items?filter=nope%3D1", **scene["sup"])
    assert bad.status_code == 400
    assert "nope" in bad.json()["error"]
    now = datetime.now(UTC)
    window = f"{(now + timedelta(hours=1.5)).isoformat()}/.."
    r = client.get("/ogc/collections/permits/items", {"datetime": window}, **scene["sup"]).json()
    assert r["numberMatched"] == 1  # only the permit planned until now + 2 h is still on


def test_collection_extents_are_what_the_caller_sees(client, scene):
    lon, lat = scene["lon"], scene["lat"]
    sup = client.get("/ogc/collections/permits", **scene["sup"]).json()["extent"]
    own = client.get("/ogc/collections/permits", **scene["ent_a"]).json()["extent"]
    assert sup["spatial"]["bbox"][0] == pytest.approx([lon, lat, lon + 0.002, lat], abs=1e-6)
    assert own["spatial"]["bbox"][0] == pytest.approx([lon, lat, lon, lat], abs=1e-6)
    first, last = (datetime.fromisoformat(t) for t in sup["temporal"]["interval"][0])
    assert last - first == pytest.approx(timedelta(hours=3), abs=timedelta(seconds=1))  # b's ends an hour later
    first, last = (datetime.fromisoformat(t) for t in own["temporal"]["interval"][0])
    assert last - first == pytest.approx(timedelta(hours=2), abs=timedelta(seconds=1))
    tj = client.get("/tiles/permits.json", **scene["ent_a"]).json()
    assert tj["bounds"] == pytest.approx([lon, lat, lon, lat], abs=1e-6)
    listed = {c["id"]: c for c in client.get("/ogc/collections").json()["collections"]}
    assert set(listed) == {"districts", "townships"}  # anonymous: the public layers only


def test_paging_is_complete_and_stable(client, scene):
    seen, url = [], "/ogc/collections/zones/items?limit=3"
    while url:
        body = client.get(url, **scene["sup"]).json()
        assert body["numberMatched"] == 7
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://testserver", "") if nxt else None
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen)


def test_single_item_crs_and_landing_documents(client, scene):
    z = Zone.objects.filter(enterprise=scene["a"]).first()
    f = client.get(f"/ogc/collections/zones/items/{z.id}", **scene["sup"]).json()
    lon = f["geometry"]["coordinates"][0][0][0][0]
    g = client.get(
        f"/ogc/collections/zones/items/{z.id}?crs=http://www.opengis.net/def/crs/EPSG/0/4490", **scene["sup"]
    ).json()
    assert g["geometry"]["coordinates"][0][0][0][1] == lon  # EPSG:4490 is latitude, longitude
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conf
    api = client.get("/ogc/api").json()
    assert api["openapi"].startswith("3.0")
    assert "/ogc/collections/{collectionId}/items" in api["paths"]
    tj = client.get("/tiles/zones,sites.json", **scene["sup"]).json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].startswith("http://testserver/tiles/zones,sites/")
    assert {v["id"] for v in tj["vector_layers"]} == {"zones", "sites"}
    assert client.get("/tiles/zones/30/0/0.pbf", **scene["sup"]).status_code == 404
    assert client.get("/tiles/nope/1/0/0.pbf", **scene["sup"]).status_code == 404


def test_cache_drops_only_tiles_under_a_change():
    c = TileCache(max_bytes=10_000)
    c.listening = True
    c._thread = type("T", (), {"is_alive": lambda self: True})()
    c.put(("zones", 1), b"a" * 10, ("geo_core_zone",), (121.0, 30.0, 121.1, 30.1), None, 0.01)
    c.put(("zones", 2), b"b" * 10, ("geo_core_zone",), (122.0, 30.0, 122.1, 30.1), None, 0.01)
    c.put(("sites", 1), b"c" * 10, ("geo_core_site",), (121.0, 30.0, 121.1, 30.1), None, 0.01)
    assert c.invalidate("geo_core_zone", [121.05, 30.05, 121.06, 30.06]) == 1
    assert c.get(("zones", 1)) is None
    assert c.get(("zones", 2)) is not None
    assert c.get(("sites", 1)) is not None
    assert c.invalidate("geo_core_zone", None) == 1  # no extent: every tile of the table's layers


def test_openapi_document_validates(client):
    from openapi_spec_validator import validate

    doc = client.get("/ogc/api").json()
    validate(doc)  # raises with the first violation
    assert doc["paths"]["/ogc/collections/{collectionId}/items"]["get"]["operationId"] == "getFeatures"
