"""One tile request, whichever way it is served (Django view or the ASGI fast path): which of its layers the cache
holds, storing what was rendered, and the response headers (ETag, caching, which path answered)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import morecantile

from geo_core.replica import PRIMARY, Read
from geo_core.scope import EVERYTHING, Scope
from layers.registry import Layer
from tiles.cache import CACHE, etag
from tiles.tms import Grid

MVT = "application/vnd.mapbox-vector-tile"


def in_zoom(layers: list[Layer], z: int) -> list[Layer]:
    return [layer for layer in layers if layer.minzoom <= z <= layer.maxzoom]


def _key(layer: Layer, g: Grid, z: int, x: int, y: int, scope: Scope) -> tuple:
    return (layer.id, g.id, z, x, y, EVERYTHING.key if layer.scope_free else scope.key)


def cached(layers: list[Layer], g: Grid, z: int, x: int, y: int, scope: Scope) -> list[bytes | None]:
    """Each layer's tile from the cache, None where it has to be rendered."""
    out = []
    for layer in layers:
        entry = CACHE.get(_key(layer, g, z, x, y, scope))
        out.append(None if entry is None else entry.data)
    return out


def store(
    layer: Layer, g: Grid, z: int, x: int, y: int, scope: Scope, data: bytes, seconds: float, read: Read = PRIMARY
) -> bytes:
    """Keep what was rendered; `read` says where it was read (a replica's tile is kept only if it is past the last
    change notice, geo_core/replica.py)."""
    b = g.tms.bounds(morecantile.Tile(x, y, z))
    CACHE.put(
        _key(layer, g, z, x, y, scope),
        data,
        layer.tables,
        (b.left, b.bottom, b.right, b.top),
        layer.live_ttl_s,
        seconds,
        read.fresh_as_of,
    )
    return data


def headers(layers: list[Layer], data: bytes, served: str) -> tuple[str, dict[str, str]]:
    """(ETag, headers). `served`: hit / miss, and -fast when the ASGI fast path answered."""
    tag = etag(data)
    live = any(layer.live_ttl_s for layer in layers)
    return tag, {
        "ETag": tag,
        "Cache-Control": "private, max-age=2" if live else "private, no-cache",
        "Vary": "Authorization, Cookie",
        "X-Tile-Cache": served,
    }


class TilePlan:
    """One tile of several layers, the loop both servers run (the Django view renders synchronously, the fast
    path with an async pool; only the rendering differs):

        plan = TilePlan(layers, g, z, x, y, scope)
        for layer in plan.missing():
            plan.fill(layer, <render layer>, read)
        status, headers, body = plan.answer(if_none_match, path)
    """

    def __init__(self, layers: list[Layer], g: Grid, z: int, x: int, y: int, scope: Scope):
        self.layers, self.g, self.z, self.x, self.y, self.scope = layers, g, z, x, y, scope
        self.wanted = in_zoom(layers, z)
        self.parts = cached(self.wanted, g, z, x, y, scope)
        self.hit = all(p is not None for p in self.parts)
        self._started = 0.0

    def missing(self) -> Iterator[Layer]:
        """The layers the cache does not hold, each timed from when it is handed out until `fill`."""
        for layer, part in zip(self.wanted, list(self.parts), strict=True):
            if part is None:
                self._started = time.perf_counter()
                yield layer

    def fill(self, layer: Layer, data: bytes, read: Read = PRIMARY) -> None:
        seconds = time.perf_counter() - self._started
        k = self.wanted.index(layer)
        self.parts[k] = store(layer, self.g, self.z, self.x, self.y, self.scope, data, seconds, read)

    def answer(self, if_none_match: str, path: str) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body): 304 when the caller holds this tile. `path`: "" for Django, "-fast" for the
        fast path (in X-Tile-Cache)."""
        data = b"".join(self.parts)
        tag, out = headers(self.layers, data, ("hit" if self.hit else "miss") + path)
        if if_none_match == tag:
            return 304, out, b""
        return 200, {"Content-Type": MVT, **out}, data
