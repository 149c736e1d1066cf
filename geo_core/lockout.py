"""Throttling of failed sign-ins (SEC-2, 等保 2.0 level 3), as django-axes does it: failures are counted per
(account, address) pair, so a stranger guessing from elsewhere never locks the real user out, and nobody's valid
credential is refused because of other people's failures (issue 24). Counted in the database so every web process
shares the count.

- Passwords: after FREE_FAILURES failures of one account from one address within WINDOW, that pair waits, the
  delay doubling with each further failure (30 s, 1 min, 2 min ... at most MAX_DELAY). Another address, or the
  same address for another account, is not affected.
- Bearer tokens: a valid token is always accepted. Unknown tokens are counted per address; past
  FREE_TOKEN_FAILURES an address's unknown tokens are answered 429 until its delay passes, which slows guessing
  without touching anyone holding a real token behind the same address.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from geo_core import audit
from geo_core.errors import LockedOutError
from geo_core.models import SignInFailure

WINDOW = timedelta(minutes=15)  # failures older than this start the count again
FREE_FAILURES = 5  # wrong passwords of one account from one address before it must wait
FREE_TOKEN_FAILURES = 20  # unknown bearer tokens from one address before its unknown tokens wait
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)


def pair(username: str, address: str | None) -> str:
    return f"pair:{username.lower()[:120]}|{address or '-'}"


def tokens_of(address: str | None) -> str:
    return f"tokens:{address or '-'}"


def check(key: str) -> None:
    """LockedOutError when `key` must wait now."""
    now = timezone.now()
    row = SignInFailure.objects.filter(key=key, locked_until__gt=now).first()
    if row is not None:
        raise LockedOutError(row.key, int((row.locked_until - now).total_seconds()) + 1)


def delay(failures: int, free: int) -> timedelta | None:
    """How long the key waits after its failures-th failure (None: not yet)."""
    if failures < free:
        return None
    return min(MAX_DELAY, FIRST_DELAY * (2 ** min(failures - free, 10)))


def failed(key: str, address: str | None = None, what: str = "password") -> None:
    free = FREE_FAILURES if key.startswith("pair:") else FREE_TOKEN_FAILURES
    now = timezone.now()
    with transaction.atomic():
        row, _ = SignInFailure.objects.select_for_update().get_or_create(key=key, defaults={"first_at": now})
        if now - row.first_at > WINDOW and (row.locked_until is None or row.locked_until < now):
            row.failures, row.first_at, row.locked_until = 0, now, None
            row.save()
        SignInFailure.objects.filter(pk=row.pk).update(failures=F("failures") + 1)
        row.refresh_from_db()
        wait = delay(row.failures, free)
        if wait is not None:
            row.locked_until = now + wait
            row.save(update_fields=["locked_until"])
            detail = {"failures": row.failures, "by": what, "seconds": int(wait.total_seconds())}
            audit.record("locked", "sign-in", key[:64], detail, address=address)


def succeeded(key: str) -> None:
    SignInFailure.objects.filter(key=key).delete()


def token_refused(address: str | None, what: str) -> None:
    """An unknown token (bearer, metrics, device) from `address`: LockedOutError (429) when the address is past its
    allowance, else counted and audited. Call only after the token was found wrong: a valid one is never slowed."""
    key = tokens_of(address)
    check(key)
    failed(key, address, what)
    audit.record("token_failed", what, "", {}, actor_name="anonymous", address=address)
