"""LAY-4: live positions for one map view as Server-Sent Events, as deltas.

GET /api/live/stream?layers=people,welders,cameras&bbox=minlon,minlat,maxlon,maxlat

On connect a `snapshot` event carries every subject of those layers in the view; then, every INTERVAL_S (<= 5 s), a
`delta` event carries the subjects that appeared or changed in the view (`upsert`, full rows), those that only moved
(`moved`: id, lon, lat, time) and those that left it (`gone`) since the last message. Rows are arrays under one
`fields` list (not one GeoJSON Feature per point). The event id is the server-side change time reached; a client
that reconnects with Last-Event-ID gets what changed since then (a snapshot again when that is longer ago than
RESUME_WINDOW_S).

The deltas come from the live feed (layers.fanout, one change set a tick for every server process): a stream reads
the database for its snapshot (and to catch up after a reconnect), never per tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import orjson
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.http import HttpRequest, StreamingHttpResponse

from geo_core.access import authenticate
from geo_core.errors import BadRequestError
from geo_core.models import Subject
from geo_core.params import INT, integer
from geo_core.params import bbox as parse_bbox
from geo_core.streams import guarded, released, take
from layers import registry
from layers.fanout import FEED, company_codes, known_company_codes, live_rows

log = logging.getLogger(__name__)
INTERVAL_S = 2.0  # between reads after a database error (the feed ticks at layers.fanout.INTERVAL_S)
KEEPALIVE_S = 15.0
RESUME_WINDOW_S = 600.0
KINDS = registry.LIVE_KINDS  # live layer -> its subject kinds
FIELDS = ["id", "kind", "lon", "lat", "time", "floor", "power", "online", "code", "name", "person_type", "company_code"]
MOVED = ["id", "lon", "lat", "time"]
ATTRS = [FIELDS.index(f) for f in FIELDS if f not in MOVED]  # a row whose attributes are as last sent goes as MOVED
PLACE = [FIELDS.index(f) for f in MOVED[1:]]

ROWS = live_rows(
    extra=",\n       st.geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4490) AS inside",
    where="AND {scope} {view}",
)


@released
def _rows(view: dict, since: datetime, snapshot: bool) -> tuple[list, list, int]:
    sql = ROWS.format(
        scope=Subject.VISIBILITY.sql("s.enterprise_id", "st.geom"),
        view="AND st.geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4490)" if snapshot else "",
    )
    with connection.cursor() as cur:
        cur.execute(sql, {**view["bbox"], "kinds": view["kinds"], "since": since, **view["scope"].params()})
        rows = cur.fetchall()
    n = len(FIELDS)
    codes = company_codes({r[n - 1] for r in rows})
    upsert = [[*r[: n - 1], codes.get(r[n - 1])] for r in rows if r[n]]
    gone = [r[0] for r in rows if not r[n]]
    newest = max((r[n + 1] for r in rows), default=0)
    return upsert, gone, newest


def _from_batches(batches: list, view: dict) -> tuple[list, list, int]:
    """This view's part of the feed's batches (oldest first): (upsert, gone, newest cursor), each subject once, as
    its last batch left it."""
    latest: dict[int, list | None] = {}
    for b in batches:
        rows, outside = b.part(view["kinds"], view["scope"], view["bbox"])
        for r in rows:
            latest[r[0]] = r
        for i in outside:
            latest[i] = None
    n = len(FIELDS)
    rows = [r for r in latest.values() if r is not None]
    codes = known_company_codes()  # on the event loop: the feed's thread keeps them fresh, no database here
    upsert = [[*r[: n - 1], codes.get(r[n - 1])] for r in rows]
    return upsert, [i for i, r in latest.items() if r is None], batches[-1].newest if batches else 0


def _event(kind: str, cursor: int, body: dict) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (cursor, kind.encode(), orjson.dumps(body))


async def live_stream(request: HttpRequest):
    access = await sync_to_async(released(authenticate))(request)
    await sync_to_async(released(access.scope.prepare))()  # the feed filters by it on the event loop
    names = [n for n in request.GET.get("layers", ",".join(KINDS)).split(",") if n]
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise BadRequestError(f"layers: unknown {unknown}; live layers: {', '.join(KINDS)}")
    if not request.GET.get("bbox"):
        raise BadRequestError("bbox: required (minlon,minlat,maxlon,maxlat of the map view)")
    x0, y0, x1, y1 = parse_bbox(request.GET["bbox"])
    last = request.headers.get("Last-Event-ID", "")
    cursor = integer(last, "Last-Event-ID", 0, 2**62) if INT.fullmatch(last) else None
    view = {
        "bbox": {"x0": x0, "y0": y0, "x1": x1, "y1": y1},
        "kinds": sorted({k for n in names for k in KINDS[n]}),
        "scope": access.scope,
    }
    resume = cursor if cursor is not None and time.time() - cursor / 1e6 < RESUME_WINDOW_S else None

    async def events():
        # Joined before the snapshot is read: the feed's batches after this one cover what changes meanwhile.
        seq = FEED.join()
        try:
            yield b"retry: 2000\n\n"
            if resume is None:
                while True:
                    try:
                        upsert, _, newest = await sync_to_async(_rows)(view, datetime.fromtimestamp(0, UTC), True)
                        break
                    except DatabaseError as exc:  # pool busy or database away: the open stream waits, not breaks
                        log.warning("live snapshot read failed; retrying", extra={"error": str(exc)[:200]})
                        await asyncio.sleep(INTERVAL_S)
                cursor = max(newest, 1)
                visible = {r[0] for r in upsert}
                known = {r[0]: (tuple(r[k] for k in ATTRS), tuple(r[k] for k in PLACE)) for r in upsert}
                yield _event("snapshot", cursor, {"fields": FIELDS, "rows": upsert})
            else:
                cursor, visible = resume, None  # unknown after a reconnect: every move out of the view is reported
                known = {}
                seq = -1  # read what changed since the client's cursor first
            quiet = time.monotonic()
            while True:
                batches = await FEED.after(seq, KEEPALIVE_S) if seq >= 0 else None
                if batches is None:  # behind the feed's history (or resuming): once from the database
                    seq = FEED.seq
                    try:
                        upsert, gone, newest = await sync_to_async(_rows)(
                            view, datetime.fromtimestamp(cursor / 1e6, UTC), False
                        )
                    except DatabaseError as exc:  # pool busy or database away: this stream waits, it does not die
                        log.warning("live stream read failed; retrying", extra={"error": str(exc)[:200]})
                        seq = -1
                        await asyncio.sleep(INTERVAL_S)
                        continue
                else:
                    upsert, gone, newest = _from_batches(batches, view)
                    if batches:
                        seq = batches[-1].seq
                if visible is not None:
                    gone = [i for i in gone if i in visible]
                    visible.difference_update(gone)
                    visible.update(r[0] for r in upsert)
                # A subject whose other fields are as last sent goes as [id, lon, lat, time] only; one as last sent
                # in every field (a change the snapshot already held) not at all.
                full, moved = [], []
                for r in upsert:
                    attrs, place = tuple(r[k] for k in ATTRS), tuple(r[k] for k in PLACE)
                    was = known.get(r[0])
                    if was is None or was[0] != attrs:
                        full.append(r)
                    elif was[1] != place:
                        moved.append([r[0], r[2], r[3], r[4]])
                    known[r[0]] = (attrs, place)
                for i in gone:
                    known.pop(i, None)
                cursor = max(cursor, newest)
                if full or moved or gone:
                    quiet = time.monotonic()
                    yield _event(
                        "delta",
                        cursor,
                        {"fields": FIELDS, "upsert": full, "moved_fields": MOVED, "moved": moved, "gone": gone},
                    )
                elif time.monotonic() - quiet > KEEPALIVE_S:
                    quiet = time.monotonic()
                    yield b": keep-alive\n\n"
        finally:
            FEED.leave()

    caller = f"user:{access.user.pk}"
    refused = await take(caller)
    if refused is not None:
        return refused
    resp = StreamingHttpResponse(guarded(events(), caller), content_type="text/event-stream")
    resp["Cache-Control"] = "no-cache"
    resp["X-Accel-Buffering"] = "no"
    return resp
