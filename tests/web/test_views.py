"""The pages' server side, without a browser: who gets which page, where sign-in may send one back to, what the map
page carries (hashed local files only, no inline script, the CSP)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from geo_core.access import create_user
from web.assets import BUILD_DIR, asset_url, static_imports

PASSWORD = "Views-test-2026"


@pytest.fixture
def supervisor(db):
    return create_user("views-sup", PASSWORD, "supervisor")


def test_pages_need_a_signed_in_user_and_send_each_role_to_its_page(client, supervisor):
    assert client.get("/map/")["Location"] == "/signin/?next=/map/"
    assert client.get("/")["Location"] == "/signin/?next=/"
    client.force_login(supervisor)
    assert client.get("/")["Location"] == "/map/"
    reader = create_user("views-reader", PASSWORD, "reader")
    client.force_login(reader)
    assert client.get("/")["Location"] == "/ogc/"


def test_sign_in_goes_back_only_to_this_server(client, supervisor):
    for target, expected in (("/map/", "/map/"), ("https://evil.example/x", "/"), ("//evil.example", "/")):
        client.logout()
        answer = client.post("/signin/", {"username": "views-sup", "password": PASSWORD, "next": target})
        assert answer.status_code == 302
        assert answer["Location"] == expected


def test_a_wrong_password_and_a_user_without_a_role_are_told_so(client, supervisor):
    answer = client.post("/signin/", {"username": "views-sup", "password": "nope-Nope-1"})
    assert answer.status_code == 401
    assert "用户名或密码错误" in answer.content.decode()
    get_user_model().objects.create_user("views-norole", password=PASSWORD)
    answer = client.post("/signin/?lang=en", {"username": "views-norole", "password": PASSWORD})
    assert answer.status_code == 403
    assert "no role yet" in answer.content.decode()
    assert client.get("/map/")["Location"].startswith("/signin/")  # not signed in by the attempt


@pytest.mark.parametrize(
    "body", [{}, {"username": "x" * 5000, "password": "y" * 5000}, {"username": "\x00", "next": "\n"}]
)
def test_odd_sign_in_bodies_are_answered_not_crashed(client, db, body):
    assert client.post("/signin/", body).status_code in (401, 403)


def test_the_map_page_loads_only_hashed_local_files_and_no_inline_script(client, supervisor):
    client.force_login(supervisor)
    answer = client.get("/map/")
    html = answer.content.decode()
    assert "default-src 'self'" in answer["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert asset_url("map.js") in sources
    assert asset_url("map.css") in sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert all(re.search(r"-[0-9A-Z]{8}\.(js|css)$", s) for s in sources if s.startswith("/static/")), sources
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all('type="application/json"' in s or "src=" in s for s in scripts), scripts  # data, or a file


BUDGET_KB = 450  # the map page's own code, the map library and its worker, as sent (brotli)


def test_the_map_pages_code_stays_within_its_budget():
    """What the page loads before it runs, its shared chunks included; the video players load with a first picture."""
    files = [asset_url(name).removeprefix("/static/web/") for name in ("map.js", "map.css", "maplibre-worker.js")]
    files += static_imports("map")
    sent = sum((BUILD_DIR / f"{f}.br").stat().st_size for f in files) / 1024
    assert sent <= BUDGET_KB, f"{sent:.0f} KB of code as sent; the budget is {BUDGET_KB} KB (docs/benchmarks.md)"


def test_the_command_centre_is_for_supervisors_and_district_officers(client, supervisor, settings):
    from dataclasses import replace

    from geo_core.models import Region
    from tests.geo_core.conftest import JINSHAN

    assert client.get("/command/")["Location"] == "/signin/?next=/command/"
    client.force_login(supervisor)
    answer = client.get("/command/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert asset_url("command.js") in html
    assert asset_url("cesium/") in html  # Cesium's workers and assets from this server
    assert "/maps/3dtiles/tileset.json" in html
    assert "connect-src 'self';" in answer["Content-Security-Policy"]
    # A deployment's own oblique photography: its origin, and only it, is added to connect-src.
    settings.CONFIG = replace(settings.CONFIG, tiles3d_url="https://tiles.park.example/oblique/tileset.json")
    answer = client.get("/command/")
    assert "connect-src 'self' https://tiles.park.example;" in answer["Content-Security-Policy"]
    assert "https://tiles.park.example/oblique/tileset.json" in answer.content.decode()
    officer = create_user("views-officer", PASSWORD, "district", district=Region.objects.get(code=JINSHAN))
    client.force_login(officer)
    assert client.get("/command/").status_code == 200
    enterprise_user = create_user("views-reader2", PASSWORD, "reader")
    client.force_login(enterprise_user)
    assert client.get("/command/").status_code == 403


@pytest.mark.parametrize("value", ["ftp://x/tileset.json", "//host/tileset.json", "tileset.json", "http:///t.json"])
def test_a_3dtiles_url_that_is_neither_a_path_nor_http_is_refused(monkeypatch, value):
    from geo_core import config

    monkeypatch.setenv("GEO_3DTILES_URL", value)
    with pytest.raises(config.ConfigError, match="GEO_3DTILES_URL"):
        config.load()


def test_every_layer_the_switcher_lists_has_its_words_in_both_languages():
    """The 2D switcher has a group per registry layer and heat map (web/src/page-style.js): each needs a label."""
    import re
    from pathlib import Path

    from layers import registry

    words = Path(__file__).resolve().parents[2].joinpath("web/src/i18n.js").read_text(encoding="utf-8")
    zh, en = words.split("\n  en: {", 1)
    keys = [f"g_{layer.id}" for layer in registry.LAYERS] + [f"g_heat_{name}" for name in registry.HEAT]
    for lang in (zh, en):
        have = set(re.findall(r"\b(g_\w+):", lang))
        assert set(keys) <= have, sorted(set(keys) - have)
