"""The HTTP boundary, in one place: what any request meets before and after a view.

- `BodyLimit` (ASGI): a request body over MAX_BODY is refused with 413 however it is sent (Content-Length or chunked),
  before Django reads it.
- `ErrorBoundary` (Django middleware): an exception a view lets out becomes the answer geo_core.errors' table gives
  it; Django's ValidationError a 400 with its fields; the database refusing a value a 400 (bad input reached the
  database: logged, never a 500); an exhausted connection pool a 503 with Retry-After (REL-2).
- `Hardening` (Django middleware): security headers on every answer, `Cache-Control: private` on per-user data.
"""

from __future__ import annotations

import ipaddress
import logging

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from psycopg_pool import PoolTimeout

from geo_core.errors import NotFoundError, body, error_response, status_for

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024 * 1024
RETRY_AFTER_S = 2
# Ready for the web pages: everything from this server; MapLibre and Cesium need workers from blob: and WebGL, and
# Cesium's workers compile WebAssembly (decoders): 'wasm-unsafe-eval' allows that and not JavaScript eval.
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; "
    "worker-src 'self' blob:; child-src 'self' blob:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def retry_later(reason: str, status: int = 503) -> JsonResponse:
    """503 (or 429) with Retry-After: the caller should come back; nothing it sent was kept."""
    return JsonResponse(
        body(f"{reason}; retry in {RETRY_AFTER_S} s"), status=status, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


def pool_exhausted(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, PoolTimeout):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def answer_for(exc: Exception, path: str = "") -> HttpResponse | None:
    """The answer for an exception a view let out, or None for a real fault (a 500, logged by Django). One body
    shape (geo_core.errors.body); OGC API's under /ogc/."""
    if isinstance(exc, ObjectDoesNotExist):
        exc = NotFoundError(f"not found: {exc}")
    if status_for(exc) is not None:
        return error_response(exc, ogc=path.startswith("/ogc/"))
    if isinstance(exc, ValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        name, reasons = next(iter(fields.items()))
        out = {**body(f"{name}: {'; '.join(reasons)}", name, "; ".join(reasons)), "fields": fields}
        return JsonResponse(out, status=400, json_dumps_params={"ensure_ascii": False})
    if isinstance(exc, RequestDataTooBig):
        return JsonResponse(body(str(exc)), status=413)
    if pool_exhausted(exc):
        log.warning("database pool exhausted; answered 503")
        return retry_later("no database connection free")
    if isinstance(exc, DataError):
        log.warning("the database refused a value", extra={"error": str(exc)[:300]})
        reason = str(exc).split("\n")[0]
        return JsonResponse(body(f"a value is out of range or malformed: {reason}", None, reason), status=400)
    return None


class ErrorBoundary(MiddlewareMixin):
    """Django middleware around every view (sync and async): exceptions to answers by `answer_for`."""

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return answer_for(exc, request.path)


class Hardening(MiddlewareMixin):
    """Security headers on every answer; per-user answers are never kept by shared caches."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        harden(request, response)
        return response


def harden(request: HttpRequest, response: HttpResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure():
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    personal = "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES
    if personal and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-cache"
    if personal:
        vary = response.headers.get("Vary", "")
        if "Authorization" not in vary:
            response.headers["Vary"] = ", ".join(v for v in (vary, "Authorization, Cookie") if v)


# Request bodies (issue 24): a method that takes none may not carry one; every other is capped by its route before
# anything reads it, and only a caller holding a real credential may send more than the anonymous cap. A body is
# counted as it streams in, never buffered here; Django spools what passes to disk up to the route's cap.
NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
ANONYMOUS_BODY = 2 * 1024 * 1024  # a sign-in form, a small JSON: enough for anyone not yet known
ROUTE_BODIES = (  # path prefix -> the largest body the route takes, and whether anyone may send that much
    ("/api/imports", lambda: (settings.CONFIG.import_max_mb + 1) << 20, False),
    ("/api/transform", lambda: MAX_BODY, True),  # public by design (CRS-3): its own cap, GEO_TRANSFORM_MAX_POINTS
    ("/api/report/", lambda: MAX_BODY, False),
    ("/api/devices/", lambda: 16 << 20, False),
    ("/api/", lambda: 16 << 20, False),
)


def body_limit(path: str) -> tuple[int, bool]:
    """(the route's cap, whether an anonymous caller may send up to it)."""
    return next(
        ((limit(), public) for prefix, limit, public in ROUTE_BODIES if path.startswith(prefix)), (ANONYMOUS_BODY, True)
    )


def _credentialed(headers: dict[bytes, bytes]) -> bool:
    from django.db import connection

    from geo_core.access import holds_credential

    try:
        return holds_credential({k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()})
    finally:
        connection.close()  # a thread of its own: its connection goes back now


async def _refuse(send, status: int, reason: str) -> None:
    body = orjson.dumps({"error": reason})
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI: refuse a body a request may not carry before the application reads any of it: any body on GET, HEAD,
    OPTIONS; a declared length over the route's cap; more than ANONYMOUS_BODY without a valid credential; and,
    counted as it arrives (chunked included), whatever passes the route's cap, which ends the request with 413."""

    def __init__(self, app, limit: int | None = None):
        self.app = app
        self.limit = limit  # one cap for every route (tests); None: by route

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        length_text = headers.get(b"content-length", b"").strip()
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if length_text and not (length_text.isdigit() and len(length_text) <= 18):
            return await _refuse(send, 400, "Content-Length: not a byte count")
        length = int(length_text) if length_text else 0
        if scope["method"] in NO_BODY_METHODS:
            if length or chunked:
                return await _refuse(send, 413, f"{scope['method']} takes no request body")
            return await self.app(scope, receive, send)
        limit, public = (self.limit, True) if self.limit is not None else body_limit(scope["path"])
        if length > limit:
            return await _refuse(send, 413, f"request body over {limit} bytes")
        big = not public and limit > ANONYMOUS_BODY and (chunked or length > ANONYMOUS_BODY)
        if big and not await sync_to_async(_credentialed, thread_sensitive=False)(headers):
            limit = ANONYMOUS_BODY
            if length > limit:
                return await _refuse(send, 413, f"request body over {limit} bytes without a valid credential")
        size, refused = 0, False

        async def counted():
            nonlocal size, refused
            msg = await receive()
            if msg["type"] == "http.request" and not refused:
                size += len(msg.get("body", b""))
                if size > limit:
                    refused = True
                    await _refuse(send, 413, f"request body over {limit} bytes")
                    return {"type": "http.disconnect"}
            return msg

        async def unless_refused(message):
            if not refused:  # the application's own answer to a request already refused is dropped
                await send(message)

        return await self.app(scope, counted, unless_refused)


class ClientAddress:
    """ASGI: the caller's address, from `X-Forwarded-For` only when the connection comes from a proxy named in
    GEO_TRUSTED_PROXIES (the rightmost address that is not a trusted proxy); otherwise the connection's own peer,
    whatever the headers say. Lockout, the audit trail and throttling read this address. uvicorn runs with
    `--no-proxy-headers` (it would trust 127.0.0.1 by default) so that this is the one place that decides."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        trusted = settings.CONFIG.trusted_proxies
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and trusted and client and _within(client[0], trusted):
            hops = [h.decode("latin-1") for k, h in scope["headers"] if k == b"x-forwarded-for"]
            chain = [a.strip() for a in ",".join(hops).split(",") if a.strip()]
            for address in reversed(chain):
                if not _within(address, trusted):
                    scope = {**scope, "client": (address, 0)}
                    break
        return await self.app(scope, receive, send)


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)
