"""An ASGI fast path for vector tiles: when the caller's access is already known (a remembered bearer token, or only
public layers), the tile is answered in the event loop, from the tile cache or rendered with an async connection
pool, without Django's middleware and thread hop (most of a tile's time once the SQL itself takes a millisecond).
Anything else (sessions, unknown tokens, bad addresses, a database error) goes on to Django unchanged, which
checks access, answers errors and fills the caches this path reads."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qs

import morecantile
from django.db import connection
from psycopg import AsyncClientCursor
from psycopg_pool import AsyncConnectionPool

from geo_core.access import cached_access
from layers import registry
from tiles.cache import CACHE, etag
from tiles.mvt import tile_params, tile_sql
from tiles.tms import grids

log = logging.getLogger(__name__)
TILE = re.compile(r"^/tiles/([A-Za-z0-9_,-]+)/(\d+)/(\d+)/(\d+)\.pbf$")


class TileFastPath:
    def __init__(self, app):
        self.app = app
        self.pool: AsyncConnectionPool | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET":
            m = TILE.match(scope["path"])
            if m is not None:
                try:
                    answer = await self._tile(scope, m)
                except Exception:
                    log.exception("tile fast path failed; handing over to Django")
                    answer = None
                if answer is not None:
                    status, headers, data = answer
                    await send({"type": "http.response.start", "status": status, "headers": headers})
                    await send({"type": "http.response.body", "body": data})
                    return
        await self.app(scope, receive, send)

    async def _tile(self, scope, m) -> tuple[int, list, bytes] | None:
        names = m.group(1).split(",")
        z, x, y = int(m.group(2)), int(m.group(3)), int(m.group(4))
        tms = parse_qs(scope.get("query_string", b"").decode()).get("tms", ["WebMercatorQuad"])[0]
        g = grids().get(tms)
        if g is None or any(n not in registry.BY_ID for n in names) or not g.valid(z, x, y):
            return None
        layers = [registry.BY_ID[n] for n in names]
        headers = dict(scope["headers"])
        if all(layer.public for layer in layers):
            scope_ids = None
        else:
            auth = headers.get(b"authorization", b"").decode()
            access = cached_access(auth[7:].strip()) if auth.startswith("Bearer ") else None
            if access is None:
                return None  # sessions, unknown or expired tokens: Django decides
            scope_ids = access.enterprise_ids
        key_scope = "all" if scope_ids is None else ",".join(map(str, sorted(scope_ids)))
        parts, hit = [], True
        for layer in layers:
            if not layer.minzoom <= z <= layer.maxzoom:
                continue
            key = (layer.id, g.id, z, x, y, key_scope)
            entry = CACHE.get(key)
            if entry is None:
                hit = False
                t0 = time.perf_counter()
                data = await self._render(layer, g, z, x, y, scope_ids)
                b = g.tms.bounds(morecantile.Tile(x, y, z))
                entry = CACHE.put(
                    key,
                    data,
                    layer.tables,
                    (b.left, b.bottom, b.right, b.top),
                    layer.live_ttl_s,
                    time.perf_counter() - t0,
                )
            parts.append(entry.data)
        data = b"".join(parts)
        tag = etag(data)
        live = any(layer.live_ttl_s for layer in layers)
        out = [
            (b"etag", tag.encode()),
            (b"cache-control", b"private, max-age=2" if live else b"private, no-cache"),
            (b"vary", b"Authorization, Cookie"),
            (b"x-tile-cache", b"hit-fast" if hit else b"miss-fast"),
        ]
        if headers.get(b"if-none-match", b"").decode() == tag:
            return 304, out, b""
        return 200, [(b"content-type", b"application/vnd.mapbox-vector-tile"), *out], data

    async def _render(self, layer, g, z: int, x: int, y: int, scope_ids) -> bytes:
        if self.pool is None:
            s = connection.settings_dict
            conninfo = " ".join(
                f"{k}={v}"
                for k, v in (
                    ("dbname", s["NAME"]),
                    ("user", s["USER"]),
                    ("password", s["PASSWORD"]),
                    ("host", s["HOST"]),
                    ("port", s["PORT"]),
                )
                if v
            )
            self.pool = AsyncConnectionPool(
                conninfo, min_size=1, max_size=8, timeout=3, open=False, kwargs={"autocommit": True}
            )
            await self.pool.open()
        async with self.pool.connection() as conn:
            cur = AsyncClientCursor(conn)  # the same client-side binding as Django's, for the same SQL
            await cur.execute(tile_sql(layer.source, g), tile_params(g, z, x, y, scope_ids))
            row = await cur.fetchone()
        return bytes(row[0]) if row and row[0] else b""
