"""Domain errors -> HTTP answers, in one table (as tipg's errors.py and pygeoapi's error module do).

Business code raises; views call error_response(); nobody else builds error responses. The exceptions live here
(access and lockout raise them), so this module imports no other of geo_core's: no import cycle through it.
"""

from __future__ import annotations

from django.http import JsonResponse

from coord_transform.errors import CalibrationError, TransformError


class RequestTooLargeError(ValueError):
    """The request asks for more than the service takes in one go."""


class BadRequestError(ValueError):
    """Malformed request (not JSON, missing member, wrong type); the message says which."""


class NotFoundError(LookupError):
    """A named thing (park, calibration version) does not exist."""


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
    LockedOutError: 429,
    NotSignedInError: 401,
    DeniedError: 403,
}


def status_for(exc: Exception) -> int | None:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return None


def error_response(exc: Exception) -> JsonResponse:
    status = status_for(exc)
    if status is None:
        raise exc
    body = exc.as_dict() if isinstance(exc, TransformError) else {"error": str(exc)}
    if isinstance(exc, CalibrationError) and exc.report is not None:
        body["report"] = exc.report.to_dict()
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LockedOutError) else None
    return JsonResponse(body, status=status, headers=headers, json_dumps_params={"ensure_ascii": False})
