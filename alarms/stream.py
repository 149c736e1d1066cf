"""GET /api/alarms/stream: Server-Sent Events of alarm changes, read from the AlarmEvent outbox.

The event id is the outbox id: a client that reconnects sends Last-Event-ID (browsers do) and gets every change
after it. Ids come from a sequence, so a transaction can commit a lower id after a higher one is visible; the
stream holds its cursor below such a gap for up to GAP_WAIT_S so that late commit is still delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import orjson
from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.db.models import BooleanField, ExpressionWrapper, Value
from django.http import HttpRequest, StreamingHttpResponse

from alarms.models import AlarmEvent
from alarms.redact import redact
from alarms.store import CHANNEL
from geo_core.access import authenticate
from geo_core.bell import Bell
from geo_core.params import INT, integer
from geo_core.scope import Scope
from geo_core.streams import guarded, released, take

log = logging.getLogger(__name__)
POLL_S = 1.0  # between reads while the bell is down, or while a gap waits (GAP_WAIT_S) for its late commit
KEEPALIVE_S = 15.0
GAP_WAIT_S = 5.0
BATCH = 500


class Cursor:
    """Delivered-so-far bookkeeping that tolerates out-of-order commits (see the module docstring)."""

    def __init__(self, low: int):
        self.low = low  # every id <= low is settled (sent, or given up as a rolled-back gap)
        self.sent: set[int] = set()
        self.missing: dict[int, float] = {}

    def fresh(self, ids: list[int]) -> list[int]:
        return [i for i in ids if i not in self.sent]

    def settle(self, delivered: list[int], now: float) -> None:
        self.sent.update(delivered)
        top = max(self.sent, default=self.low)
        while self.low < top:
            nxt = self.low + 1
            if nxt in self.sent:
                self.sent.discard(nxt)
            elif now - self.missing.setdefault(nxt, now) > GAP_WAIT_S:
                self.missing.pop(nxt)
            else:
                break
            self.low = nxt


BELL = Bell(CHANNEL)


@released
def _fetch(low: int, scope: Scope) -> list[tuple[int, str, dict, bool]]:
    """The next events after `low`, each with whether the caller may see its alarm (every id is needed to settle
    the cursor), the visible payloads with what the caller may not read withheld."""
    seen = Value(True) if scope.everything else AlarmEvent.VISIBILITY.q(scope)
    rows = AlarmEvent.objects.filter(id__gt=low).order_by("id")
    rows = rows.annotate(seen=ExpressionWrapper(seen, output_field=BooleanField()))
    out = list(rows.values_list("id", "kind", "payload", "seen")[:BATCH])
    redact([r[2] for r in out if r[3]], scope)
    return out


@released
def _start(request: HttpRequest) -> int:
    last = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    if last is not None and INT.fullmatch(last.strip()):
        return integer(last, "Last-Event-ID", 0, 2**62)
    newest = AlarmEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return newest or 0


async def alarm_stream(request: HttpRequest):
    access = await sync_to_async(released(authenticate))(request)
    low = await sync_to_async(_start)(request)
    scope = access.scope
    caller = f"user:{access.user.pk}"
    refused = await take(caller)
    if refused is not None:
        return refused

    async def events():
        cursor = Cursor(low)
        yield b"retry: 2000\n\n"
        quiet = time.monotonic()
        while True:
            bell = BELL.current()  # taken before reading: a change committed meanwhile rings it
            try:
                rows = await sync_to_async(_fetch)(cursor.low, scope)
            except DatabaseError as exc:  # pool busy or database away: this stream waits, it does not die
                log.warning("alarm stream read failed; retrying", extra={"error": str(exc)[:200]})
                await asyncio.sleep(POLL_S)
                continue
            ids = cursor.fresh([r[0] for r in rows])
            wanted = set(ids)
            out = []
            for i, kind, payload, seen in rows:
                if i in wanted and seen:
                    out.append(b"id: %d\nevent: %s\ndata: %s\n\n" % (i, kind.encode(), orjson.dumps(payload)))
            cursor.settle(ids, time.monotonic())
            if out:
                quiet = time.monotonic()
                yield b"".join(out)
            elif time.monotonic() - quiet > KEEPALIVE_S:
                quiet = time.monotonic()
                yield b": keep-alive\n\n"
            if len(rows) < BATCH:
                # The bell rings at every commit: wait for it (a keep-alive's time), or poll while it is down or while
                # a gap waits for its late commit.
                wait = POLL_S if cursor.missing or not BELL.listening else KEEPALIVE_S
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bell.wait(), wait)

    resp = StreamingHttpResponse(guarded(events(), caller), content_type="text/event-stream")
    resp["Cache-Control"] = "no-cache"
    resp["X-Accel-Buffering"] = "no"
    return resp
