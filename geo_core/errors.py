"""Domain errors -> HTTP answers, in one table (as tipg's errors.py and pygeoapi's error module do).

Business code raises; views call error_response(); nobody else builds error responses.
"""

from __future__ import annotations

from django.http import JsonResponse

from coord_transform.errors import CalibrationError, TransformError
from geo_core.access import DeniedError, NotSignedInError
from geo_core.lockout import LockedOutError


class RequestTooLargeError(ValueError):
    """The request asks for more than the service takes in one go."""


class BadRequestError(ValueError):
    """Malformed request (not JSON, missing member, wrong type); the message says which."""


class NotFoundError(LookupError):
    """A named thing (park, calibration version) does not exist."""


class ConflictError(ValueError):
    """The request does not fit the current state (e.g. closing an alarm that is not resolved)."""


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
