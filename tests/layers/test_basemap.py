"""A configured base map (GEO_BASEMAP) passes through this server: in the style when configured, tiles fetched once
and kept, an upstream failure a 502 (not a 500), signed-in users only; the configuration checked at start."""

from __future__ import annotations

import dataclasses
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings

from geo_core import config
from geo_core.access import create_user
from layers import basemap
from tests.layers.conftest import bearer

PNG = b"\x89PNG\r\n\x1a\n" + b"tile" * 10


@pytest.fixture
def upstream():
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            if self.path.startswith("/missing"):
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()


@pytest.fixture
def configured(upstream, monkeypatch):
    base, asked = upstream
    cfg = dataclasses.replace(
        django_settings.CONFIG, basemap=(f"{base}/{{z}}/{{x}}/{{y}}.png", f"{base}/missing/{{z}}")
    )
    monkeypatch.setattr(django_settings, "CONFIG", cfg)
    basemap._kept.clear()
    yield asked
    basemap._kept.clear()


def test_the_style_has_no_base_map_unless_one_is_configured(client, db):
    assert not any(k.startswith("basemap") for k in client.get("/maps/style.json").json()["sources"])


def test_a_configured_base_map_is_in_the_style_and_passed_through_once(client, db, configured):
    style = client.get("/maps/style.json").json()
    assert style["sources"]["basemap-0"]["tiles"] == ["http://testserver/maps/basemap/0/{z}/{x}/{y}"]
    assert [layer["id"] for layer in style["layers"][:3]] == ["background", "basemap-0", "basemap-1"]
    headers = bearer(create_user("bm", "Pw-strong-123!", "supervisor"))
    answer = client.get("/maps/basemap/0/3/6/2", **headers)
    assert answer.status_code == 200
    assert answer.content == PNG
    assert answer["Content-Type"] == "image/png"
    client.get("/maps/basemap/0/3/6/2", **headers)
    assert configured == ["/3/6/2.png"]  # asked upstream once, then kept
    assert client.get("/maps/basemap/1/3/6/2", **headers).status_code == 502  # upstream refused: said so
    assert client.get("/maps/basemap/2/3/6/2", **headers).status_code == 404  # no such layer
    assert client.get("/maps/basemap/0/3/9/2", **headers).status_code == 404  # no such tile at zoom 3
    assert client.get("/maps/basemap/0/3/6/2").status_code == 401  # not an open proxy


def test_the_base_map_configuration_is_checked_at_start():
    assert config._basemap("", "") == ()
    urls = config._basemap("tianditu-img", "KEY123")
    assert len(urls) == 2
    assert all("tk=KEY123" in u and "{z}" in u for u in urls)
    assert "LAYER=img" in urls[0]
    assert "LAYER=cia" in urls[1]
    with pytest.raises(config.ConfigError, match="GEO_TIANDITU_KEY"):
        config._basemap("tianditu-vec", "")
    with pytest.raises(config.ConfigError, match="XYZ template"):
        config._basemap("ftp://x/{z}/{x}/{y}", "")
    with pytest.raises(config.ConfigError, match="XYZ template"):
        config._basemap("https://x/tiles.png", "")
