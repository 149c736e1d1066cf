"""The bundled front-end files by their source names: `web/build.mjs` writes them with content hashes in their names
(served with a year's cache by WhiteNoise) and a manifest mapping each name to its hashed file."""

from __future__ import annotations

import json
from pathlib import Path

from django.templatetags.static import static

BUILD_DIR = Path(__file__).resolve().parent / "static" / "web"
MANIFEST = BUILD_DIR / "manifest.json"
_cache: tuple[float, dict[str, str]] = (-1.0, {})


class NotBuiltError(RuntimeError):
    """The pages' bundle is missing: run `make bootstrap` (it runs `npm run build` in web/)."""


def manifest() -> dict[str, str]:
    global _cache
    try:
        mtime = MANIFEST.stat().st_mtime
    except FileNotFoundError:
        raise NotBuiltError(f"{MANIFEST} is missing: run `make bootstrap` to build the web pages") from None
    if mtime != _cache[0]:
        _cache = (mtime, json.loads(MANIFEST.read_text(encoding="utf-8")))
    return _cache[1]


def asset_url(name: str) -> str:
    """The URL of a bundled file by its source name (`map.js`, `map.css`, `maplibre-worker.js`)."""
    files = manifest()
    if name not in files:
        raise NotBuiltError(f"{name} is not in {MANIFEST}: rebuild the web pages (`make bootstrap`)")
    return static(f"web/{files[name]}")


def static_imports(name: str) -> list[str]:
    """The chunks a page's script (`map`, `command`) imports before it runs (web/build.mjs: shared code split out;
    the video players are loaded only when asked for), as files under the build folder."""
    try:
        return json.loads((BUILD_DIR / "imports.json").read_text(encoding="utf-8"))[name]
    except (FileNotFoundError, KeyError):
        raise NotBuiltError(
            f"no imports of {name!r} in {BUILD_DIR}: rebuild the web pages (`make bootstrap`)"
        ) from None
