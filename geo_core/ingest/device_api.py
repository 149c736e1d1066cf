"""HTTP fallback for device messages (ING-2): the same topics and payloads as MQTT, for chips that cannot keep an
MQTT connection. `Authorization: Bearer <GEO_DEVICE_TOKEN>`; without a configured token the fallback is off.

    POST /api/devices/v1/messages               {"messages": [{"topic": "welder/<chip>/position", "payload": {}}]}
    POST /api/devices/v1/<device>/<id>/<kind>    the payload itself
"""

from __future__ import annotations

import hmac

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from geo_core.ingest.devices import process

MAX_MESSAGES = 10_000


def token_known(token: str) -> bool:
    """Whether `token` is a device credential (the body limit asks before anything reads a body)."""
    configured = settings.CONFIG.device_token
    return bool(configured) and hmac.compare_digest(token.encode(), configured.encode())


def _authorised(request: HttpRequest) -> JsonResponse | None:
    token = settings.CONFIG.device_token
    if not token:
        return JsonResponse({"error": "the device HTTP fallback is off (set GEO_DEVICE_TOKEN)"}, status=503)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return JsonResponse({"error": "missing or wrong bearer token"}, status=401)
    return None


def _run(messages: list[tuple[str, bytes]]) -> JsonResponse:
    result = process(messages, source="http")
    return JsonResponse(result.as_dict(), json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def messages_view(request: HttpRequest):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if denied := _authorised(request):
        return denied
    try:
        doc = orjson.loads(request.read())
    except orjson.JSONDecodeError as exc:
        return JsonResponse({"error": f"body is not JSON: {exc}"}, status=400)
    items = doc.get("messages") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return JsonResponse({"error": 'body must be {"messages": [{"topic": ..., "payload": {...}}]}'}, status=400)
    if len(items) > MAX_MESSAGES:
        return JsonResponse({"error": f"{len(items)} messages; at most {MAX_MESSAGES}"}, status=413)
    messages = []
    for item in items:
        topic = item.get("topic", "") if isinstance(item, dict) else ""
        payload = item.get("payload") if isinstance(item, dict) else None
        messages.append((str(topic), orjson.dumps(payload)))
    return _run(messages)


@csrf_exempt
def single_view(request: HttpRequest, device: str, ident: str, kind: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if denied := _authorised(request):
        return denied
    return _run([(f"{device}/{ident}/{kind}", request.read())])
