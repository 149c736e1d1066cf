"""The JSON API views' one wrapper: who is asking (geo_core.access), the allowed methods, CSRF for browser sessions
(bearer-token callers are machines and carry no cookie), a JSON body read safely, and domain errors rendered by
the boundary (geo_core.boundary), as for every view."""

from __future__ import annotations

import functools
from collections.abc import Callable

import orjson
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from geo_core.access import authenticate
from geo_core.errors import BadRequestError, MethodNotAllowedError


def json_response(body: object, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def json_body(request: HttpRequest) -> dict:
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequestError("body must be a JSON object")
    return body


def get_only(view: Callable) -> Callable:
    """A read-only view: any method but GET (and HEAD) is a 405 in the one error body, with Allow."""

    @functools.wraps(view)
    def inner(request: HttpRequest, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowedError(request.method, ("GET", "HEAD"))
        return view(request, *args, **kwargs)

    return inner


def json_api(methods: tuple[str, ...]) -> Callable:
    """Decorate view(request, access, *args): authenticated, method checked, CSRF for session users. Errors are
    the boundary's (geo_core.boundary.ErrorBoundary): a view raises, nothing here answers them."""

    def wrap(view):
        @csrf_exempt
        def inner(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                raise MethodNotAllowedError(request.method, methods)
            access = authenticate(request)
            bearer = request.headers.get("Authorization", "").startswith("Bearer ")
            if request.method not in ("GET", "HEAD") and not bearer:
                refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
                if refused is not None:
                    return refused
            return view(request, access, *args, **kwargs)

        return inner

    return wrap
