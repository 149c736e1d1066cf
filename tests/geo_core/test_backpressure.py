"""REL-2 over real HTTP: 200 event streams on a server whose database pool holds 4 connections leave position uploads
unaffected (streams borrow a connection per read); a caller's ninth stream is refused with 429 and Retry-After; a
body over the cap is refused with 413 even when sent chunked."""

from __future__ import annotations

import asyncio
import http.client
import subprocess
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.db import connection

from geo_core.access import create_user
from geo_core.boundary import MAX_BODY
from geo_core.ingest.auth import issue
from geo_core.ingest.signing import ReportClient
from geo_core.models import ApiToken, Enterprise, Park
from geo_core.streams import PER_CALLER
from tests.conftest import start_server
from tests.geo_core.conftest import credit_code

pytestmark = pytest.mark.django_db
USERS = 25  # x 8 streams = 200


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    s = connection.settings_dict
    url = f"postgis://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    with django_db_blocker.unblock():
        park = Park.objects.create(code="BP-PARK", name="BP")
        ent = Enterprise.objects.create(credit_code=credit_code(org="MA1BP0001"), name="压测化工", company_code="BP1",
                                        park=park)  # fmt: skip
        users = [create_user(f"bp-{k}", "Pw-strong-123!", "enterprise", enterprise=ent) for k in range(USERS)]
        tokens = [ApiToken.issue(u)[1] for u in users]
        cred = issue(ent)
    proc, base = start_server({"DATABASE_URL": url, "GEO_DB_POOL_MAX": "4"})
    yield base, tokens, cred
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    with django_db_blocker.unblock():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id IN "
                        "(SELECT id FROM geo_core_subject WHERE enterprise_id = %s)", [ent.id])  # fmt: skip
        ent.subjects.all().delete()
        for u in users:
            u.delete()
        ent.delete()
        park.delete()


async def open_stream(base: str, path: str, token: str) -> tuple[int, bytes, asyncio.StreamWriter]:
    u = urlsplit(base)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())  # fmt: skip
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    status = int(head.split(b" ", 2)[1])
    first = await asyncio.wait_for(reader.read(200), 30) if status == 200 else b""
    return status, first, writer


def test_two_hundred_streams_leave_ingest_unaffected(server):
    base, tokens, cred = server
    paths = ["/api/alarms/stream", "/api/live/stream?layers=people,welders&bbox=121,30,122,31"]

    async def run():
        opens = [open_stream(base, paths[k % 2], tokens[k // PER_CALLER]) for k in range(USERS * PER_CALLER)]
        streams = await asyncio.gather(*opens)
        extra = await open_stream(base, paths[0], tokens[0])
        client = ReportClient(base, cred.app_id, cred.app_secret)
        answers = []
        for k in range(20):
            now = datetime.now(UTC).isoformat()
            recs = [{"PERSON_ID": f"BP{k}-{j}", "TIME_STAMP": now, "LONGITUDE": 121.4, "LATITUDE": 30.78}
                    for j in range(50)]  # fmt: skip
            answers.append(await asyncio.to_thread(client.post, "positions", recs))
            await asyncio.sleep(0.1)
        for _, _, w in [*streams, extra]:
            w.close()
        return streams, extra, answers

    streams, extra, answers = asyncio.run(run())
    assert [s for s, _, _ in streams].count(200) == USERS * PER_CALLER
    assert all(first.startswith(b"retry:") or b"retry:" in first for _, first, _ in streams)
    assert extra[0] == 429
    assert [status for status, _ in answers] == [200] * 20
    assert sum(a["accepted"] for _, a in answers) == 20 * 50


def test_a_chunked_body_over_the_cap_is_refused(server):
    base, _, _ = server
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    chunk = b"x" * (1 << 20)

    def body():
        for _ in range(MAX_BODY // len(chunk) + 2):
            yield chunk

    try:
        conn.request("POST", "/api/report/v1/positions", body=body(), encode_chunked=True,
                     headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"})  # fmt: skip
        status = conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = 413  # the server answered and closed before the rest was sent; read the answer below
        conn.close()
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        pytest.fail("the connection was reset before an answer was read")
    assert status == 413


def test_an_exhausted_pool_is_503_with_retry_after_for_any_view(rf):
    """Django wraps the pool's PoolTimeout in its OperationalError; the boundary still knows it for what it is."""
    from django.db import OperationalError
    from psycopg_pool import PoolTimeout

    from geo_core.boundary import answer_for

    try:
        try:
            raise PoolTimeout("couldn't get a connection after 3.00 sec")
        except PoolTimeout as inner:
            raise OperationalError("couldn't get a connection") from inner
    except OperationalError as exc:
        answer = answer_for(exc)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    assert answer_for(OperationalError("server closed the connection")) is None  # a real fault stays a 500
