"""An ASGI fast path for vector tiles: when the caller's access is already known (a remembered bearer token, or only
public layers), the tile is answered in the event loop, from the tile cache or rendered with an async connection
pool, without Django's middleware and thread hop (most of a tile's time once the SQL itself takes a millisecond).
Anything else (sessions, unknown tokens, bad addresses, a database error) goes on to Django unchanged, which
checks access, answers errors and fills the caches this path reads."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs

from django.conf import settings
from django.http.request import validate_host
from psycopg import AsyncClientCursor
from psycopg_pool import AsyncConnectionPool

from geo_core import replica
from geo_core.access import cached_access
from geo_core.db import conninfo
from geo_core.scope import EVERYTHING
from layers import registry, tiling
from tiles.mvt import tile_params, tile_sql
from tiles.tms import grids

log = logging.getLogger(__name__)
TILE = re.compile(r"^/tiles/([A-Za-z0-9_,-]+)/(\d+)/(\d+)/(\d+)\.pbf$")


class TileFastPath:
    def __init__(self, app):
        self.app = app
        self.pools: dict[str, AsyncConnectionPool] = {}  # by database alias: the primary, the replica

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
        host = headers.get(b"host", b"").decode("latin-1").rsplit(":", 1)[0]
        if not validate_host(host, settings.ALLOWED_HOSTS):
            return None  # Django answers 400 for a host it does not serve
        if all(layer.public for layer in layers):
            seen = EVERYTHING
        else:
            auth = headers.get(b"authorization", b"").decode()
            access = cached_access(auth[7:].strip()) if auth.startswith("Bearer ") else None
            if access is None:
                return None  # sessions, unknown or expired tokens: Django decides
            seen = access.scope
        plan = tiling.TilePlan(layers, g, z, x, y, seen)
        read = None if plan.hit else replica.choose()  # where this request's misses are read, chosen once
        for layer in plan.missing():
            plan.fill(layer, await self._render(read.alias, layer, g, z, x, y, seen), read)
        status, out, data = plan.answer(headers.get(b"if-none-match", b"").decode(), "-fast")
        return status, [(k.lower().encode(), v.encode()) for k, v in out.items()], data

    async def _render(self, alias: str, layer, g, z: int, x: int, y: int, seen) -> bytes:
        pool = self.pools.get(alias)
        if pool is None:
            pool = AsyncConnectionPool(
                conninfo(alias), min_size=1, max_size=8, timeout=3, open=False, kwargs={"autocommit": True}
            )
            self.pools[alias] = pool
            await pool.open()
        async with pool.connection() as conn:
            cur = AsyncClientCursor(conn)  # the same client-side binding as Django's, for the same SQL
            await cur.execute(tile_sql(layer.source, g, z), tile_params(g, z, x, y, seen))
            row = await cur.fetchone()
        return bytes(row[0]) if row and row[0] else b""
