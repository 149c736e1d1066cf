"""Domain errors -> HTTP answers, in one table (as tipg's errors.py and pygeoapi's error module do).

Business code and views raise; the boundary (geo_core.boundary.ErrorBoundary) calls error_response(); nobody else
builds error responses. The exceptions live here (access and lockout raise them), so this module imports no other of
geo_core's: no import cycle through it.
"""

from __future__ import annotations

import re

from django.http import JsonResponse

from coord_transform.errors import CalibrationError, TransformError


class RequestTooLargeError(ValueError):
    """The request asks for more than the service takes in one go."""


class BadRequestError(ValueError):
    """Malformed request (not JSON, missing member, wrong type); the message says which, as "field: reason"."""


class NotFoundError(LookupError):
    """A named thing (layer, tile, park, calibration version) does not exist. Code that looks things up raises
    this, never a bare LookupError/KeyError: those are faults (a 500), not answers."""


class MethodNotAllowedError(ValueError):
    """The route does not take this method (HTTP 405 with Allow)."""

    def __init__(self, method: str, allowed: tuple[str, ...]):
        self.allowed = allowed
        super().__init__(f"method: {method[:10]} not allowed; use {', '.join(allowed)}")


class UpstreamError(RuntimeError):
    """A server we pass requests on to (a base map's tile server) did not answer as it should (HTTP 502)."""


class UnavailableError(RuntimeError):
    """Something the answer needs is not there to ask (no media platform configured, or it is down): HTTP 503."""


class ConflictError(ValueError):
    """The request does not fit the current state (e.g. closing an alarm that is not resolved)."""


class NotSignedInError(PermissionError):
    """No session and no valid bearer token (HTTP 401)."""


class DeniedError(PermissionError):
    """Signed in, but the action is not the user's to take (HTTP 403)."""


class LockedOutError(PermissionError):
    """Too many failed sign-ins from this account and address, or unknown tokens from this address (HTTP 429 with
    Retry-After)."""

    def __init__(self, key: str, seconds: int):
        self.retry_after = max(1, seconds)
        self.key = key
        what = "this account from this address" if key.startswith("pair:") else "this address"
        super().__init__(f"too many failed sign-ins for {what}; locked, try again in {self.retry_after} s")


STATUS = {
    TransformError: 400,
    CalibrationError: 422,
    BadRequestError: 400,
    RequestTooLargeError: 413,
    NotFoundError: 404,
    ConflictError: 409,
    MethodNotAllowedError: 405,
    UpstreamError: 502,
    UnavailableError: 503,
    LockedOutError: 429,
    NotSignedInError: 401,
    DeniedError: 403,
}


def status_for(exc: Exception) -> int | None:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return None


# Messages are written "field: reason" (geo_core.params and every view): the body names the field from it.
FIELD_FIRST = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-\[\]]{0,63}): (.+)", re.S)
OGC_CODES = {
    400: "InvalidParameterValue",
    401: "NotAuthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    422: "Unprocessable",
    429: "TooManyRequests",
    502: "BadGateway",
    503: "ServiceUnavailable",
}


def body(message: str, field: str | None = None, reason: str | None = None) -> dict[str, object]:
    """The one error body: `error` the whole message, `field` what was wrong (null when it is the request as a
    whole), `reason` why."""
    if field is None and reason is None:
        m = FIELD_FIRST.fullmatch(message)
        field, reason = (m.group(1), m.group(2)) if m else (None, message)
    return {"error": message, "field": field, "reason": reason if reason is not None else message}


def error_response(exc: Exception, ogc: bool = False) -> JsonResponse:
    """The answer for a domain error; `ogc`: under /ogc/, where OGC API's exception body (`code`, `description`)
    is the contract, around the same members."""
    status = status_for(exc)
    if status is None:
        raise exc
    if isinstance(exc, TransformError):
        out = {**body(str(exc), exc.field, exc.reason), **exc.as_dict()}
    else:
        out = body(str(exc))
    if ogc:  # OGC API's exception schema requires `code`, allows more members: ours stay, for one reader
        out = {"code": OGC_CODES.get(status, "Error"), "description": str(exc), **out}
    if isinstance(exc, CalibrationError) and exc.report is not None:
        out["report"] = exc.report.to_dict()
    headers = None
    if isinstance(exc, LockedOutError):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, MethodNotAllowedError):
        headers = {"Allow": ", ".join(exc.allowed)}
    return JsonResponse(out, status=status, headers=headers, json_dumps_params={"ensure_ascii": False})
