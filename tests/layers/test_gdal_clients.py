"""Real clients: GDAL's OAPIF and MVT drivers (gdal-bin from Debian) read our OGC API and tiles over HTTP from the
running server, with a bearer token as QGIS or ogr2ogr would send it; a committed fence edit shows in the next tile."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mapbox_vector_tile
import morecantile
import pytest
from django.db import connection

from geo_core.access import create_user
from geo_core.models import ApiToken, Enterprise, Park, Zone
from tests.geo_core.conftest import JINSHAN, credit_code, inside, square


@pytest.fixture
def committed(django_db_setup, django_db_blocker, tmp_path):
    assert connection.settings_dict["NAME"].startswith("test_"), "needs a database test in the same run"
    with django_db_blocker.unblock():
        park = Park.objects.create(code="GDAL-PARK", name="GDAL")
        ent = Enterprise.objects.create(
            credit_code=credit_code(org="MA1GD0001"), name="GDAL化工", company_code="GDAL1", park=park
        )
        lon, lat = inside(JINSHAN)
        zones = [
            Zone.objects.create(
                name=f"GDAL{k}", kind="forbidden", enterprise=ent, geom=square(lon + 0.001 * k, lat, 0.0003)
            )
            for k in range(3)
        ]
        user = create_user("gdal-sup", "pw-1234567", "supervisor")
        token = ApiToken.issue(user)[1]
        headers = tmp_path / "headers.txt"
        headers.write_text(f"Authorization: Bearer {token}\n")
        yield {"zones": zones, "lon": lon, "lat": lat, "headers": str(headers)}
        Zone.objects.filter(enterprise=ent).delete()
        ent.delete()
        park.delete()
        user.delete()


def ogrinfo(*args: str, headers: str | None = None) -> str:
    cmd = ["ogrinfo", "-ro", "--config", "GDAL_HTTP_TIMEOUT", "30"]
    if headers:
        cmd += ["--config", "GDAL_HTTP_HEADER_FILE", headers]
    r = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_gdal_reads_features_and_tiles(live_service, committed, django_db_blocker):
    out = ogrinfo("-so", f"OAPIF:{live_service}/ogc/", "zones", headers=committed["headers"])
    assert "Layer name: zones" in out
    assert "Feature Count: 3" in out
    out = ogrinfo(
        "-al",
        "-q",
        f"OAPIF:{live_service}/ogc/collections/zones",
        "-where",
        "name = 'GDAL1'",
        headers=committed["headers"],
    )
    assert "GDAL1" in out
    assert "forbidden" in out
    t = morecantile.tms.get("WebMercatorQuad").tile(committed["lon"], committed["lat"], 14)
    url = f"MVT:{live_service}/tiles/zones/{t.z}/{t.x}/{t.y}.pbf"
    out = ogrinfo("-al", "-q", url, headers=committed["headers"])
    assert out.count("OGRFeature(zones)") == 3
    # A committed edit reaches the next request (the cache drops the tile on the NOTIFY).
    with django_db_blocker.unblock():
        committed["zones"][0].delete()
    import time

    for _ in range(50):
        out = ogrinfo("-al", "-q", url, headers=committed["headers"])
        if out.count("OGRFeature(zones)") == 2:
            break
        time.sleep(0.1)
    assert out.count("OGRFeature(zones)") == 2


@pytest.mark.django_db
def test_public_districts_need_no_token(client):
    assert client.get("/ogc/collections/districts/items?limit=1").json()["numberReturned"] == 1


def test_cached_tiles_take_the_fast_path_and_keep_scopes_apart(live_service, committed, django_db_blocker):
    import urllib.request

    t = morecantile.tms.get("WebMercatorQuad").tile(committed["lon"], committed["lat"], 15)
    url = f"{live_service}/tiles/zones/{t.z}/{t.x}/{t.y}.pbf"
    token = Path(committed["headers"]).read_text().split("Bearer ")[1].strip()

    def get(tok):
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {tok}"})
        with urllib.request.urlopen(req) as r:
            return r.headers.get("X-Tile-Cache"), r.read()

    first, body = get(token)
    second, again = get(token)
    assert first == "miss"  # a token not seen yet: Django authenticates it
    assert second == "hit-fast"
    assert body == again
    # The token is known now: a tile not cached yet is rendered in the event loop, with the same content.
    t2 = morecantile.tms.get("WebMercatorQuad").tile(committed["lon"], committed["lat"], 16)
    url = f"{live_service}/tiles/zones/{t2.z}/{t2.x}/{t2.y}.pbf"
    kind, fast = get(token)
    assert kind == "miss-fast"
    assert len(mapbox_vector_tile.decode(fast)["zones"]["features"]) >= 1
    with django_db_blocker.unblock():
        other = create_user(
            "gdal-ent", "pw-1234567", "enterprise", enterprise=Enterprise.objects.get(company_code="GDAL1")
        )
        ent_token = ApiToken.issue(other)[1]
    try:
        kind, mine = get(ent_token)
        assert kind == "miss"  # never the supervisor's cached tile
        assert len(mapbox_vector_tile.decode(mine)["zones"]["features"]) == 3
    finally:
        with django_db_blocker.unblock():
            other.delete()
