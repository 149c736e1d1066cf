"""The JSON API views' one wrapper: who is asking (geo_core.access), the allowed methods, CSRF for browser sessions
(bearer-token callers are machines and carry no cookie), a JSON body read safely, and domain errors rendered by
geo_core.errors' one table; a missing object is a 404 and a model's validation error a 400 naming its fields."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from geo_core.access import authenticate
from geo_core.errors import BadRequestError, error_response, status_for


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


def json_api(methods: tuple[str, ...]) -> Callable:
    """Decorate view(request, access, *args): authenticated, method checked, CSRF for session users, errors mapped."""

    def wrap(view):
        @csrf_exempt
        def inner(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return JsonResponse({"error": f"method {request.method} not allowed"}, status=405,
                                    headers={"Allow": ", ".join(methods)})  # fmt: skip
            try:
                access = authenticate(request)
                bearer = request.headers.get("Authorization", "").startswith("Bearer ")
                if request.method not in ("GET", "HEAD") and not bearer:
                    refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
                    if refused is not None:
                        return refused
                return view(request, access, *args, **kwargs)
            except ObjectDoesNotExist:
                return JsonResponse({"error": "not found"}, status=404)
            except ValidationError as exc:
                detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                return JsonResponse({"error": "invalid", "fields": detail}, status=400,
                                    json_dumps_params={"ensure_ascii": False})  # fmt: skip
            except Exception as exc:
                if status_for(exc) is None:
                    raise
                return error_response(exc)

        return inner

    return wrap
