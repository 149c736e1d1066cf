"""Lockout after repeated failed sign-ins (SEC-2, 等保 2.0 level 3): per account (passwords) and per address (passwords
and bearer tokens). Counted in the database so that every web process shares the count."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from geo_core import audit
from geo_core.models import SignInFailure

WINDOW = timedelta(minutes=15)  # failures older than this start the count again
LOCK = timedelta(minutes=15)
LIMITS = {"account": 5, "address": 20}  # an address may hold many users (a control room behind one NAT)


class LockedOutError(PermissionError):
    """Too many failed sign-ins (HTTP 429 with Retry-After)."""

    def __init__(self, key: str, seconds: int):
        self.retry_after = max(1, seconds)
        kind = key.split(":", 1)[0]
        super().__init__(f"too many failed sign-ins from this {kind}; try again in {self.retry_after} s")


def keys(username: str | None, address: str | None) -> list[str]:
    out = [f"account:{username.lower()[:150]}"] if username else []
    return out + ([f"address:{address}"] if address else [])


def check(keys_: list[str]) -> None:
    """LockedOutError when any of the keys is locked now."""
    now = timezone.now()
    for row in SignInFailure.objects.filter(key__in=keys_, locked_until__gt=now):
        raise LockedOutError(row.key, int((row.locked_until - now).total_seconds()))


def failed(keys_: list[str], address: str | None = None, what: str = "password") -> None:
    now = timezone.now()
    with transaction.atomic():
        for key in keys_:
            row, _ = SignInFailure.objects.select_for_update().get_or_create(key=key, defaults={"first_at": now})
            if now - row.first_at > WINDOW:
                row.failures, row.first_at, row.locked_until = 0, now, None
                row.save()
            SignInFailure.objects.filter(pk=row.pk).update(failures=F("failures") + 1)
            row.refresh_from_db()
            if row.failures >= LIMITS[key.split(":", 1)[0]] and row.locked_until is None:
                row.locked_until = now + LOCK
                row.save(update_fields=["locked_until"])
                audit.record("locked", "sign-in", key, {"failures": row.failures, "by": what}, address=address)


def succeeded(username: str) -> None:
    SignInFailure.objects.filter(key__in=keys(username, None)).delete()
