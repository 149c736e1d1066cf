"""HTTP fallback for device messages (ING-2): the same topics and payloads as MQTT, for chips that cannot keep an
MQTT connection. `Authorization: Bearer <the vendor's secret>` (geo_core.ingest.vendors; `manage.py device_vendors`):
a vendor reports only for its own devices, as the broker's ACL lets it publish only theirs (issue 24).

    POST /api/devices/v1/messages               {"messages": [{"topic": "welder/<chip>/position", "payload": {}}]}
    POST /api/devices/v1/<device>/<id>/<kind>    the payload itself
"""

from __future__ import annotations

from collections import defaultdict

import orjson
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from geo_core import audit, lockout
from geo_core.errors import BadRequestError, MethodNotAllowedError, NotSignedInError, RequestTooLargeError
from geo_core.ingest import vendors
from geo_core.ingest.devices import process
from geo_core.models import DeviceVendor, SpecialEquipment, Subject

MAX_MESSAGES = 10_000


def _vendor(request: HttpRequest) -> DeviceVendor:
    given = request.headers.get("Authorization", "")
    vendor = vendors.by_token(given[7:].strip()) if given.startswith("Bearer ") else None
    if vendor is None:
        lockout.token_refused(audit.address_of(request), "device")  # 429 past the address's allowance
        raise NotSignedInError("Authorization: a device vendor's bearer token is required (manage.py device_vendors)")
    return vendor


def _owners(messages: list[tuple[str, bytes]]) -> dict[tuple[str, str], int | None]:
    """(device, id) -> the vendor id of the registered device (None: registered with no vendor)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for topic, _ in messages:
        parts = topic.split("/")
        if len(parts) == 3:
            wanted[parts[0]].add(parts[1])
    out: dict[tuple[str, str], int | None] = {}
    for chip, vendor in Subject.objects.filter(chip_id__in=wanted.get("welder", ())).values_list("chip_id", "vendor"):
        out[("welder", chip)] = vendor
    for device, kind in (("camera", "body_camera"), ("phone", "phone")):
        for ident, vendor in Subject.objects.filter(kind=kind, external_id__in=wanted.get(device, ())).values_list(
            "external_id", "vendor"
        ):
            out[(device, ident)] = vendor
    codes = wanted.get("equipment", ())
    for code, vendor in SpecialEquipment.objects.filter(registry_code__in=codes).values_list("registry_code", "vendor"):
        out[("equipment", code)] = vendor
    return out


def _run(messages: list[tuple[str, bytes]], vendor: DeviceVendor) -> JsonResponse:
    return JsonResponse(run_for(messages, vendor, "http"), json_dumps_params={"ensure_ascii": False})


def run_for(messages: list[tuple[str, bytes]], vendor: DeviceVendor, source: str) -> dict:
    """Store what the vendor may report: a registered device of another vendor (or of none) is refused by index;
    an unregistered one goes on to be recorded as unknown, as over MQTT. The answer: `DeviceResult.as_dict` with
    every refusal by the index the caller sent. Also the city IoT platform's sync (geo_core.ingest.city_iot)."""
    owners = _owners(messages)
    mine, refused = [], []
    for index, (topic, payload) in enumerate(messages):
        parts = topic.split("/")
        key = (parts[0], parts[1]) if len(parts) == 3 else None
        if key in owners and owners[key] != vendor.id:
            refused.append({"index": index, "topic": topic[:200], "reason": f"not a device of vendor {vendor.code}"})
        else:
            mine.append((index, topic, payload))
    result = process([(t, p) for _, t, p in mine], source=source)
    body = result.as_dict()
    for e in body.get("errors", []):  # back to the indexes the caller sent
        e["index"] = mine[e["index"]][0]
    body["errors"] = sorted(body.get("errors", []) + refused, key=lambda e: e["index"])
    body["received"] = len(messages)
    body["refused"] = len(refused)
    return body


@csrf_exempt
def messages_view(request: HttpRequest):
    if request.method != "POST":
        raise MethodNotAllowedError(request.method, ("POST",))
    vendor = _vendor(request)
    try:
        doc = orjson.loads(request.read())
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body is not JSON: {exc}") from None
    items = doc.get("messages") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise BadRequestError('messages: body must be {"messages": [{"topic": ..., "payload": {...}}]}')
    if len(items) > MAX_MESSAGES:
        raise RequestTooLargeError(f"messages: {len(items)} messages; at most {MAX_MESSAGES}")
    messages = []
    for item in items:
        topic = item.get("topic", "") if isinstance(item, dict) else ""
        payload = item.get("payload") if isinstance(item, dict) else None
        messages.append((str(topic), orjson.dumps(payload)))
    return _run(messages, vendor)


@csrf_exempt
def single_view(request: HttpRequest, device: str, ident: str, kind: str):
    if request.method != "POST":
        raise MethodNotAllowedError(request.method, ("POST",))
    return _run([(f"{device}/{ident}/{kind}", request.read())], _vendor(request))
