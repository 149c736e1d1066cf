"""REL-2 over real HTTP: 200 event streams on a server whose database pool holds 4 connections leave position uploads
unaffected (streams borrow a connection per read); a caller's ninth stream is refused with 429 and Retry-After; a
body over the cap is refused with 413 even when sent chunked."""

from __future__ import annotations

import asyncio
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
        ent = Enterprise.objects.create(
            credit_code=credit_code(org="MA1BP0001"), name="压测化工", company_code="BP1", park=park
        )
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
            cur.execute(
                "DELETE FROM geo_core_positionfix WHERE subject_id IN "
                "(SELECT id FROM geo_core_subject WHERE enterprise_id = %s)",
                [ent.id],
            )
        ent.subjects.all().delete()
        for u in users:
            u.delete()
        ent.delete()
        park.delete()


async def open_stream(base: str, path: str, token: str) -> tuple[int, bytes, asyncio.StreamWriter]:
    u = urlsplit(base)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
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
            recs = [
                {"PERSON_ID": f"BP{k}-{j}", "TIME_STAMP": now, "LONGITUDE": 121.4, "LATITUDE": 30.78} for j in range(50)
            ]
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


def test_the_per_caller_stream_cap_holds_across_web_processes(server):
    """Issue 24 (11): two web processes on one database; a caller with 8 streams on one is refused on the other,
    and may open one there once it closes one."""
    base, tokens, _ = server
    s = connection.settings_dict
    other, base_b = start_server({"DATABASE_URL": f"postgis://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"})
    path = "/api/alarms/stream"

    async def run():
        streams = await asyncio.gather(*[open_stream(base, path, tokens[3]) for _ in range(PER_CALLER)])
        refused = await open_stream(base_b, path, tokens[3])
        streams[0][2].close()
        await asyncio.sleep(1.0)  # the server notices the closed connection and gives the slot back
        again = await open_stream(base_b, path, tokens[3])
        for _, _, w in [*streams[1:], refused, again]:
            w.close()
        return streams, refused, again

    try:
        streams, refused, again = asyncio.run(run())
    finally:
        other.terminate()
        other.wait(timeout=10)
    assert [st for st, _, _ in streams] == [200] * PER_CALLER
    assert refused[0] == 429
    assert again[0] == 200


def test_a_chunked_body_over_the_cap_is_refused(server):
    base, _, cred = server
    chunk = b"x" * (1 << 20)
    chunks = (chunk for _ in range(MAX_BODY // len(chunk) + 2))
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json", "X-App-Id": cred.app_id}
    status, answer, _ = _send(base, "POST", "/api/report/v1/positions", chunks, headers)
    assert status == 413, answer[:300]


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


def _send(base: str, method: str, path: str, chunks, headers: dict) -> tuple[int, bytes, int]:
    """(status, answer, bytes the server took before answering): a body sent chunk by chunk, stopping when the
    server has answered and closed."""
    u = urlsplit(base)
    sock = __import__("socket").create_connection((u.hostname, u.port), timeout=30)
    head = f"{method} {path} HTTP/1.1\r\nHost: {u.hostname}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall((head + "\r\n").encode())
    sent = 0
    try:
        for chunk in chunks:
            if headers.get("Transfer-Encoding") == "chunked":
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            else:
                sock.sendall(chunk)
            sent += len(chunk)
        if headers.get("Transfer-Encoding") == "chunked":
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer = b""
    try:
        while data := sock.recv(65536):
            answer += data
            if b"\r\n\r\n" in answer and b"}" in answer:
                break
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    return int(answer.split(b" ", 2)[1]) if answer else 0, answer, sent


def test_bodies_are_refused_before_anything_reads_them(server):
    """Issue 24 (6): an anonymous GET with a 100 MiB chunked body, a body on a method that takes none, a declared
    length over the route's cap, and more than the anonymous cap without a valid credential: all 413, early."""
    base, tokens, _ = server
    mib = b"x" * (1 << 20)
    status, answer, sent = _send(base, "GET", "/healthz", (mib for _ in range(100)), {"Transfer-Encoding": "chunked"})
    assert status == 413, answer[:300]
    assert sent < 100 << 20  # refused at the headers, not after 100 MiB
    status, _, _ = _send(base, "GET", "/api/alarms/", [b"{}"], {"Content-Length": "2"})
    assert status == 413
    status, answer, sent = _send(base, "POST", "/api/imports", [], {"Content-Length": str(500 << 20)})
    assert status == 413, answer[:300]
    # Anonymous (or with a made-up token): at most 2 MiB, whatever the route takes from a known caller.
    for auth in ({}, {"Authorization": "Bearer made-up"}):
        headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json", **auth}
        status, answer, sent = _send(base, "POST", "/api/zones", (mib for _ in range(40)), headers)
        assert status == 413, answer[:300]
        assert b"without a valid credential" in answer or b"over 2097152 bytes" in answer
        assert sent < 40 << 20
    # A real caller may send more than 2 MiB to a route that takes it (the view then judges it); the coordinate
    # service is public by design and takes its own cap from anyone.
    body = b'{"points": [' + b",".join([b"[121.3, 30.8]"] * 300_000) + b'], "from": "wgs84", "to": "cgcs2000"}'
    assert len(body) > 2 << 20
    status, answer, _ = _send(
        base,
        "POST",
        "/api/transform",
        [body],
        {"Content-Length": str(len(body)), "Content-Type": "application/json", "Authorization": f"Bearer {tokens[0]}"},
    )
    assert status != 413, answer[:300]
