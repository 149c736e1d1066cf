"""SEC-2 (等保 2.0 level 3 habits): lockout of passwords and bearer tokens, password policy, idle sessions, the audit
trail and who may read it, hardening headers, and /healthz and the tile fast path telling strangers nothing."""

from __future__ import annotations

import http.client
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from geo_core import lockout
from geo_core.access import create_user
from geo_core.lockout import FREE_FAILURES, FREE_TOKEN_FAILURES
from geo_core.models import ApiToken, AuditEvent, SignInFailure

pytestmark = pytest.mark.django_db
PASSWORD = "Pw-strong-123!"


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


def sign_in(username: str, password: str, address: str = "10.0.0.1"):
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    return authenticate(request, username=username, password=password)


def test_wrong_passwords_lock_that_account_from_that_address_only_and_the_trail_says_so():
    """Issue 24 (5): a stranger's guesses do not lock the real user out from their own address."""
    create_user("alice", PASSWORD, "supervisor")
    assert sign_in("alice", PASSWORD) is not None
    for _ in range(FREE_FAILURES):
        assert sign_in("alice", "wrong-Password-1", address="10.0.0.2") is None
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.2")
    assert authenticate(request, username="alice", password=PASSWORD) is None  # the right password, but waiting
    assert request.lockout.retry_after > 0
    assert sign_in("alice", PASSWORD, address="10.0.0.3") is not None  # the real user, elsewhere: in
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("login_failed") >= FREE_FAILURES + 1
    assert "locked" in actions
    create_user("bob", PASSWORD, "supervisor")
    assert sign_in("bob", PASSWORD, address="10.0.0.2") is not None  # another account from that address is not


def test_each_further_failure_doubles_the_wait():
    key = lockout.pair("zed", "10.0.0.9")
    waits = []
    for _ in range(FREE_FAILURES + 3):
        lockout.failed(key, "10.0.0.9")
        row = SignInFailure.objects.get(key=key)
        waits.append(None if row.locked_until is None else round((row.locked_until - timezone.now()).total_seconds()))
    assert waits[: FREE_FAILURES - 1] == [None] * (FREE_FAILURES - 1)
    assert waits[FREE_FAILURES - 1 :] == [30, 60, 120, 240]


def test_unknown_tokens_slow_their_address_but_a_valid_token_there_is_always_accepted(client):
    good = bearer(create_user("carol", PASSWORD, "supervisor"))
    for k in range(FREE_TOKEN_FAILURES):
        r = client.get("/api/alarms/", HTTP_AUTHORIZATION=f"Bearer guess-{k}", REMOTE_ADDR="10.9.9.9")
        assert r.status_code == 401
    r = client.get("/api/alarms/", HTTP_AUTHORIZATION="Bearer guess-more", REMOTE_ADDR="10.9.9.9")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert client.get("/api/alarms/", REMOTE_ADDR="10.9.9.9", **good).status_code == 200  # behind the same NAT


def test_the_sign_in_page_says_locked_when_it_is(client):
    create_user("gina", PASSWORD, "supervisor")
    for _ in range(FREE_FAILURES):
        r = client.post("/signin/", {"username": "gina", "password": "wrong-Password-1"}, REMOTE_ADDR="10.0.0.7")
        assert r.status_code == 401
    r = client.post("/signin/", {"username": "gina", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
    assert r.status_code == 429
    assert "锁定" in r.content.decode()
    r = client.post("/signin/", {"username": "gina", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert r.status_code == 302


def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(settings):
    import asyncio
    import dataclasses
    import ipaddress

    from geo_core.boundary import ClientAddress

    seen = []

    async def app(scope, receive, send):
        seen.append(scope["client"][0])

    def ask(peer: str) -> str:
        scope = {"type": "http", "client": (peer, 5000), "headers": [(b"x-forwarded-for", b"6.6.6.6, 10.1.2.3")]}
        asyncio.run(ClientAddress(app)(scope, None, None))
        return seen[-1]

    assert ask("127.0.0.1") == "127.0.0.1"  # nobody configured: the header is the caller's own claim
    proxies = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))
    settings.CONFIG = dataclasses.replace(settings.CONFIG, trusted_proxies=proxies)
    assert ask("127.0.0.1") == "6.6.6.6"  # the rightmost hop that is not one of our proxies
    assert ask("192.0.2.1") == "192.0.2.1"  # not a proxy of ours: its header is ignored


def test_password_policy_wants_length_and_three_kinds_of_character():
    for weak in ("short1A!", "alllowercaseletters", "onlylower12345678"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Strong-Enough-42")


def test_sessions_end_after_idle_time(client, settings):
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST
    create_user("dave", PASSWORD, "supervisor")
    assert client.login(username="dave", password=PASSWORD)
    assert client.get("/api/alarms/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))  # idle past the limit
    assert client.get("/api/alarms/").status_code == 401
    assert AuditEvent.objects.filter(action="login", actor_name="dave").exists()


def test_changes_are_audited_and_only_supervisors_read_the_trail(client, enterprise):
    sup = bearer(create_user("erin", PASSWORD, "supervisor"))
    ent = bearer(create_user("frank", PASSWORD, "enterprise", enterprise=enterprise))
    r = client.post(
        "/api/alarm-rules/", {"name": "夜间禁区", "type": "out_of_bounds"}, content_type="application/json", **sup
    )
    assert r.status_code == 201, r.content
    trail = client.get("/api/audit/?target_type=alarms.alarmrule", **sup).json()["results"]
    created = [e for e in trail if e["action"] == "created"]
    assert [(e["actor"], e["detail"]["name"]) for e in created] == [("erin", "夜间禁区")]
    assert client.get("/api/audit/", **ent).status_code == 403
    assert client.get("/api/audit/").status_code == 401
    roles = client.get("/api/audit/?target_type=geo_core.userprofile", **sup).json()["results"]
    assert {r["detail"].get("role") for r in roles} >= {"supervisor", "enterprise"}


def test_answers_carry_hardening_headers_and_per_user_data_is_private(client):
    sup = bearer(create_user("gina", PASSWORD, "supervisor"))
    r = client.get("/api/alarms/", **sup)
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"].startswith("private")
    assert "Strict-Transport-Security" not in r.headers
    assert "Strict-Transport-Security" in client.get("/api/alarms/", secure=True, **sup).headers


def test_strangers_learn_nothing_from_health_or_the_tile_fast_path(live_service):
    u = urlsplit(live_service)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", "/tiles/districts/8/214/107.pbf", headers={"Host": "evil.example"})
    assert conn.getresponse().status == 400  # the fast path hands a foreign host to Django, which refuses it
    conn.close()
