"""Heat maps: a kernel density of powered welding machines as PNG tiles and as a Cloud-Optimized GeoTIFF."""

from __future__ import annotations

from datetime import UTC, datetime

import morecantile
import numpy as np
import pytest
from django.contrib.gis.geos import Point
from rasterio.io import MemoryFile

from geo_core.access import create_user
from geo_core.models import ApiToken, Subject, SubjectState
from tests.geo_core.conftest import JINSHAN, inside


@pytest.fixture
def welders(make_enterprise):
    ent = make_enterprise()
    lon, lat = inside(JINSHAN)
    for k in range(12):
        s = Subject.objects.create(
            kind="welder", external_id=f"H{k}", enterprise=ent, chip_id=f"HC{k}", qr_code=f"HQ{k}", mobility="fixed"
        )
        SubjectState.objects.create(
            subject=s,
            time=datetime.now(UTC),
            geom=Point(lon + 1e-4 * k, lat, 0, srid=4490),
            source="demo",
            live={"power": "on" if k < 10 else "off"},
        )
    token = ApiToken.issue(create_user("h-sup", "pw-1234567", "supervisor"))[1]
    return {"lon": lon, "lat": lat, "auth": {"HTTP_AUTHORIZATION": f"Bearer {token}"}}


def test_png_tile_is_hot_where_machines_work(client, welders):
    t = morecantile.tms.get("WebMercatorQuad").tile(welders["lon"], welders["lat"], 14)
    r = client.get(f"/tiles/heat/welding/{t.z}/{t.x}/{t.y}.png", **welders["auth"])
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    with MemoryFile(r.content) as mem, mem.open() as png:
        alpha = png.read(4)
    _row, col = (int(v) for v in np.unravel_index(alpha.argmax(), alpha.shape))
    b = morecantile.tms.get("WebMercatorQuad").bounds(t)
    assert abs((b.left + (col + 0.5) / 256 * (b.right - b.left)) - (welders["lon"] + 4.5e-4)) < 0.002
    assert alpha.max() > 200
    assert (alpha == 0).mean() > 0.5
    far = client.get(f"/tiles/heat/welding/{t.z}/{t.x + 5}/{t.y}.png", **welders["auth"])
    with MemoryFile(far.content) as mem, mem.open() as png:
        assert png.read(4).max() == 0
    assert client.get(f"/tiles/heat/welding/{t.z}/{t.x}/{t.y}.png").status_code == 401


def test_cog_download(client, welders):
    lon, lat = welders["lon"], welders["lat"]
    r = client.get(
        f"/api/heat/welding.tif?bbox={lon - 0.02},{lat - 0.02},{lon + 0.02},{lat + 0.02}&resolution=0.0005",
        **welders["auth"],
    )
    assert r.status_code == 200
    with MemoryFile(r.content) as mem, mem.open() as tif:
        assert tif.crs.to_epsg() == 4490
        assert tif.width == 80
        d = tif.read(1)
        row, col = np.unravel_index(d.argmax(), d.shape)
        x, y = tif.xy(row, col)
        assert abs(x - lon) < 0.002
        assert abs(y - lat) < 0.002
        assert tif.profile.get("tiled") or tif.overviews(1) is not None
    assert client.get("/api/heat/nope.tif?bbox=121,30,122,31", **welders["auth"]).status_code == 404
