"""The configured base map (GEO_BASEMAP), passed through this server: the pages load nothing from another host, and
the deployment's key (Tianditu's) stays on the server. Tiles are kept in memory (bounded) after the first asking."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections import OrderedDict

from django.conf import settings

from geo_core.errors import NotFoundError, UpstreamError

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0
KEEP = 4_000  # tiles (a 256 px PNG or JPEG is 5-40 KB: at most ~100 MB)
_kept: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
_lock = threading.Lock()


class BasemapError(UpstreamError):
    """The base map's server did not answer with a tile (HTTP 502)."""


def templates() -> tuple[str, ...]:
    return settings.CONFIG.basemap


def tile(index: int, z: int, x: int, y: int) -> tuple[bytes, str]:
    """(body, content type) of the base map's tile; NotFoundError for a layer or tile that does not exist."""
    layers = templates()
    if not 0 <= index < len(layers):
        raise NotFoundError(f"no base map layer {index}; {len(layers)} configured (GEO_BASEMAP)")
    if not (0 <= z <= 20 and 0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFoundError(f"no tile {z}/{x}/{y}")
    key = (layers[index], z, x, y)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    url = layers[index].format(z=z, x=x, y=y)
    req = urllib.request.Request(url, headers={"User-Agent": "geoservice basemap"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            body, kind = resp.read(), resp.headers.get("Content-Type", "image/png")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        log.warning("base map tile failed", extra={"layer": index, "tile": f"{z}/{x}/{y}", "error": str(exc)[:200]})
        raise BasemapError(f"the base map's server did not answer ({type(exc).__name__})") from None
    if not kind.startswith("image/"):
        raise BasemapError(f"the base map's server answered {kind!r}, not an image")
    with _lock:
        _kept[key] = (body, kind)
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return body, kind
