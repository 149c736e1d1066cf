"""Checking report API signatures and issuing, rotating and revoking enterprise credentials (ING-1)."""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from geo_core.ingest.signing import MAX_SKEW_SECONDS, sign
from geo_core.models import Enterprise, ReportCredential, ReportNonce


class AuthError(PermissionError):
    """401: the request is not signed by a valid credential."""


class ForbiddenError(PermissionError):
    """403: signed, but asks for something this enterprise may not do."""


def issue(enterprise: Enterprise, user=None, replaces: ReportCredential | None = None) -> ReportCredential:
    return ReportCredential.objects.create(
        enterprise=enterprise,
        app_id="ak" + secrets.token_hex(10),
        app_secret=secrets.token_urlsafe(32),
        issued_by=user,
        replaces=replaces,
    )


def rotate(old: ReportCredential, user=None) -> ReportCredential:
    """A new credential for the same enterprise; the old one is revoked at once."""
    with transaction.atomic():
        new = issue(old.enterprise, user, replaces=old)
        revoke(old)
    return new


def revoke(cred: ReportCredential) -> None:
    cred.active = False
    cred.revoked_at = timezone.now()
    cred.save(update_fields=["active", "revoked_at"])


def verify(request: HttpRequest, body: bytes) -> ReportCredential:
    """The credential that signed this request, or AuthError saying why not. Records the nonce."""
    h = request.headers
    app_id, ts, nonce, signature = h.get("X-App-Id"), h.get("X-Timestamp"), h.get("X-Nonce"), h.get("X-Signature")
    missing = [
        n
        for n, v in (("X-App-Id", app_id), ("X-Timestamp", ts), ("X-Nonce", nonce), ("X-Signature", signature))
        if not v
    ]
    if missing:
        raise AuthError(f"missing headers: {', '.join(missing)}")
    if not (ts.isascii() and ts.isdigit() and len(ts) <= 12):
        raise AuthError("X-Timestamp must be Unix seconds")
    skew = abs(time.time() - int(ts))
    if skew > MAX_SKEW_SECONDS:
        raise AuthError(f"X-Timestamp is {skew:.0f} s away from the server's clock (at most {MAX_SKEW_SECONDS})")
    if len(nonce) > 64:
        raise AuthError("X-Nonce is longer than 64 characters")
    cred = ReportCredential.objects.select_related("enterprise").filter(app_id=app_id).first()
    if cred is None or not cred.active:
        raise AuthError("unknown or revoked X-App-Id")
    expected = sign(cred.app_secret, request.method, request.path, ts, nonce, body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise AuthError("X-Signature does not match (see docs/report-api.md for the string to sign)")
    try:
        with transaction.atomic():
            ReportNonce.objects.create(app_id=app_id, nonce=nonce)
    except IntegrityError:
        raise AuthError("X-Nonce was already used: replayed request refused") from None
    ReportCredential.objects.filter(pk=cred.pk).update(last_used_at=timezone.now())
    return cred


def purge_nonces() -> int:
    """Nonces older than the signature window can go: their timestamps would be refused anyway."""
    cutoff = timezone.now() - timedelta(seconds=2 * MAX_SKEW_SECONDS)
    return ReportNonce.objects.filter(seen_at__lt=cutoff).delete()[0]
