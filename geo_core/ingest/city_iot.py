"""The city IoT platform's special-equipment readings, pulled (seed 001: "通过对接…智慧城市物联感知平台,将收集到的特种
设备信息同步至物联网智能监测平台"). The contract (docs/city-iot.md):

    GET {GEO_CITY_IOT_URL}/api/v1/equipment/readings?cursor={cursor}&limit={n}
        X-App-Key: {key}   X-Timestamp: {unix seconds}   X-Nonce: {random}
        X-Signature: the report API's signature (geo_core/ingest/signing.py) over GET, the path with its query,
                     the timestamp, the nonce and the empty body
    200 {"items": [{"registry_code": "...", "ts": 1795000000000, "reading": {"floor": 3, "faults": [...]}}, ...],
         "next_cursor": "...", "more": true|false}

Each item becomes the message a monitor would publish (`equipment/{registry_code}/reading`) and goes through the
device path with the vendor check of the HTTP fallback (`device_api.run_for`): one write path, idempotent (a
reading already stored counts as a duplicate), unknown devices recorded as unknown, bad fields quarantined with
their reason, a device registered to another platform refused. The cursor is saved after each page is stored
(`SyncCursor`): a crash between the two reads that page again, harmlessly. A page that is not the contract's (not
JSON, no items list) stops the turn with the reason in `SyncCursor.last_error` and the log; the next turn tries
again from the same cursor."""

from __future__ import annotations

import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import orjson
from django.conf import settings

from geo_core.ingest import device_api, signing
from geo_core.models import DeviceVendor, Quarantine, SyncCursor

log = logging.getLogger("geo_core.ingest.city_iot")
PATH = "/api/v1/equipment/readings"
PAGE = 500
MAX_PAGES = 20  # a turn stores at most this many pages (10,000 readings), then lets the worker's other jobs run
TIMEOUT_S = 10.0
MAX_BODY = 8 * 1024 * 1024
NAME = "city_iot"


class SyncError(RuntimeError):
    """The platform did not answer as the contract says."""


@dataclass
class SyncResult:
    pages: int = 0
    items: int = 0
    readings: int = 0
    duplicates: int = 0
    refused: int = 0
    quarantined: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)


def _get(base: str, key: str, secret: str, cursor: str, limit: int) -> dict:
    query = urlencode({"cursor": cursor, "limit": limit})
    path_query = f"{urlsplit(base).path}{PATH}?{query}"
    ts, nonce = str(int(time.time())), secrets.token_hex(8)
    req = urllib.request.Request(
        f"{base}{PATH}?{query}",
        headers={
            "X-App-Key": key,
            "X-Timestamp": ts,
            "X-Nonce": nonce,
            "X-Signature": signing.sign(secret, "GET", path_query, ts, nonce, b""),
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
            body = r.read(MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        raise SyncError(f"the platform answered {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SyncError(f"the platform could not be reached: {exc}") from None
    if len(body) > MAX_BODY:
        raise SyncError(f"a page larger than {MAX_BODY} bytes")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SyncError("the page is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise SyncError("the page has no items list")
    if not isinstance(doc.get("next_cursor", ""), str) or len(doc.get("next_cursor", "")) > 256:
        raise SyncError("next_cursor: a text of at most 256 characters")
    return doc


def _messages(items: list, result: SyncResult) -> list[tuple[str, bytes]]:
    """Items as the device path's messages; an item not of the contract's shape is quarantined with its reason."""
    out, bad = [], []
    for i, item in enumerate(items):
        raw = orjson.dumps(item)[:4000]
        code = item.get("registry_code") if isinstance(item, dict) else None
        if not isinstance(code, str) or not code or len(code) > 32 or any(c in code for c in "/+#"):
            bad.append(Quarantine.of(NAME, "equipment/?/reading", raw, f"item {i}: registry_code missing or not one"))
            continue
        reading = item.get("reading")
        if not isinstance(reading, dict):
            bad.append(Quarantine.of(NAME, f"equipment/{code}/reading", raw, f"item {i}: reading is not an object"))
            continue
        out.append((f"equipment/{code}/reading", orjson.dumps({**reading, "ts": item.get("ts")})))
    if bad:
        Quarantine.objects.bulk_create(bad)
        result.quarantined += len(bad)
    return out


def pull(max_pages: int = MAX_PAGES) -> SyncResult:
    """One turn: pages from the saved cursor until the platform has no more (or `max_pages`), each stored and its
    cursor saved. Raises nothing: a failure is kept in the cursor's row and the result's errors."""
    cfg = settings.CONFIG
    result = SyncResult()
    state, _ = SyncCursor.objects.get_or_create(name=NAME)
    vendor = DeviceVendor.objects.filter(code=cfg.city_iot_vendor, active=True).first()
    if vendor is None:
        result.errors.append(f"no active device vendor {cfg.city_iot_vendor!r} (GEO_CITY_IOT_VENDOR)")
        SyncCursor.objects.filter(name=NAME).update(last_error=result.errors[-1][:300])
        return result
    cursor = state.cursor
    for _ in range(max_pages):
        try:
            doc = _get(cfg.city_iot_url, cfg.city_iot_key, cfg.city_iot_secret, cursor, PAGE)
        except SyncError as exc:
            result.errors.append(str(exc))
            log.warning("city IoT pull failed", extra={"error": str(exc), "cursor": cursor})
            SyncCursor.objects.filter(name=NAME).update(last_error=str(exc)[:300])
            break
        items = doc["items"]
        messages = _messages(items, result)
        if messages:
            answer = device_api.run_for(messages, vendor, NAME)
            result.readings += answer.get("readings", 0)
            result.duplicates += answer.get("duplicates", 0)
            result.refused += answer.get("refused", 0)
            result.quarantined += answer.get("quarantined", 0)
            result.unknown += answer.get("unknown", 0)
        result.pages += 1
        result.items += len(items)
        cursor = doc.get("next_cursor", cursor) or cursor
        SyncCursor.objects.filter(name=NAME).update(
            cursor=cursor, last_ok_at=datetime.now(UTC), last_error="", pulled=state.pulled + result.items
        )
        if not doc.get("more") or not items:
            break
    if result.items:
        log.info("city IoT readings pulled", extra={k: v for k, v in result.__dict__.items() if k != "errors"})
    return result


def enabled() -> bool:
    return bool(settings.CONFIG.city_iot_url)
