"""GET /api/alarms/stream over real HTTP (uvicorn): changes arrive as Server-Sent Events within a second, and a
client that reconnects with Last-Event-ID gets exactly what it missed; an enterprise sees only its own."""

from __future__ import annotations

import http.client
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import orjson
import pytest

from alarms.models import Alarm
from alarms.store import publish
from geo_core.access import create_user
from geo_core.models import ApiToken, Enterprise, Park
from tests import sse
from tests.geo_core.conftest import credit_code


def SSE(base: str, token: str, last_id: int | None = None) -> sse.SSE:  # noqa: N802 - reads as the class it makes
    return sse.SSE(base, "/api/alarms/stream", token, last_id)


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Committed users and enterprises (the server runs in another process); removed afterwards."""
    with django_db_blocker.unblock():
        park = Park.objects.create(code="SSE-PARK", name="SSE")
        a = Enterprise.objects.create(
            credit_code=credit_code(org="MA1EE0001"), name="甲", company_code="SSE-A", park=park
        )
        b = Enterprise.objects.create(
            credit_code=credit_code(org="MA1EE0002"), name="乙", company_code="SSE-B", park=park
        )
        sup = create_user("sse-sup", "pw-1234567", "supervisor")
        ent = create_user("sse-ent", "pw-1234567", "enterprise", enterprise=a)
        tokens = {"sup": ApiToken.issue(sup)[1], "ent": ApiToken.issue(ent)[1]}
        yield tokens, a, b
        Alarm.objects.filter(key__startswith="sse:").delete()
        sup.delete()
        ent.delete()
        a.delete()
        b.delete()
        park.delete()


def _raise(ent, n: int) -> Alarm:
    a = Alarm.objects.create(
        key=f"sse:{n}",
        type="sos",
        category="person",
        code="0",
        severity="critical",
        enterprise=ent,
        company_code=ent.company_code,
        raised_at=datetime.now(UTC),
    )
    publish(a, "raised")
    return a


def test_stream_delivers_and_resumes(live_service, committed, django_db_blocker):
    tokens, a, b = committed
    s = SSE(live_service, tokens["sup"])
    with django_db_blocker.unblock():
        t0 = time.monotonic()
        first = _raise(a, 1)
    ev = s.next_event()
    assert time.monotonic() - t0 < 1.5
    assert ev["event"] == "raised"
    assert orjson.loads(ev["data"])["id"] == first.id
    last = int(ev["id"])
    s.close()
    with django_db_blocker.unblock():  # while the client is away
        missed = [_raise(a, 2).id, _raise(b, 3).id]
    s = SSE(live_service, tokens["sup"], last_id=last)
    got = [orjson.loads(s.next_event()["data"])["id"] for _ in range(2)]
    s.close()
    assert got == missed


def test_an_enterprise_stream_carries_only_its_own(live_service, committed, django_db_blocker):
    tokens, a, b = committed
    s = SSE(live_service, tokens["ent"])
    with django_db_blocker.unblock():
        _raise(b, 11)
        mine = _raise(a, 12)
    ev = s.next_event()
    s.close()
    assert orjson.loads(ev["data"])["id"] == mine.id


def test_stream_needs_a_user(live_service):
    u = urlsplit(live_service)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    conn.request("GET", "/api/alarms/stream")
    assert conn.getresponse().status == 401


def test_cursor_waits_for_a_gap_then_gives_up():
    from alarms.stream import GAP_WAIT_S, Cursor

    c = Cursor(10)
    c.settle([11, 13], now=0.0)  # 12 not visible yet: an open transaction, or a rollback
    assert c.low == 11
    assert c.fresh([12, 13]) == [12]
    c.settle([12], now=1.0)  # committed late: delivered, and the cursor moves past both
    assert c.low == 13
    c.settle([15], now=2.0)
    assert c.low == 13
    c.settle([], now=2.0 + GAP_WAIT_S + 0.1)  # 14 never came: a rolled-back id
    assert c.low == 15


@pytest.mark.django_db
def test_a_new_client_starts_at_the_newest_event(rf, make_enterprise):
    from alarms.stream import _start as released_start

    _start = released_start.__wrapped__  # the wrapper gives the connection back, which would end the test's transaction
    ent = make_enterprise()
    assert _start(rf.get("/api/alarms/stream")) >= 0
    newest = _raise(ent, 99)
    ev = newest.events.get()
    assert _start(rf.get("/api/alarms/stream")) == ev.id
    assert _start(rf.get("/api/alarms/stream", HTTP_LAST_EVENT_ID="5")) == 5
