"""The relay to the city emergency bureau (ING-7): a durable outbox written in the accepting transaction, and a
forwarder that delivers each row at least once to GEO_RELAY_URL (HTTP POST of JSON, or MQTT publish QoS 1), with
exponential back-off and a dead-letter state after GEO_RELAY_MAX_ATTEMPTS."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from geo_core.models import RelayOutbox

log = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(settings.CONFIG.relay_url)


def enqueue(topic: str, company_code: str, payload: dict | list) -> None:
    """Call inside the transaction that accepted the data; a no-op when no relay is configured."""
    if enabled():
        RelayOutbox.objects.create(
            topic=topic, company_code=company_code, payload=payload, next_attempt_at=timezone.now()
        )


def _expand(row: RelayOutbox) -> dict:
    """Position batches are relayed by reference in the outbox and read back from the history when sent."""
    body = {
        "id": row.id,
        "topic": row.topic,
        "company_code": row.company_code,
        "created_at": row.created_at.isoformat(),
    }
    payload = row.payload
    if row.topic == "positions" and isinstance(payload, dict) and "batch" in payload:
        with connection.cursor() as cur:
            cur.execute(
                """
                SELECT s.external_id, f.time, ST_X(f.geom), ST_Y(f.geom), f.floor
                FROM geo_core_positionfix f JOIN geo_core_subject s ON s.id = f.subject_id
                WHERE f.batch_id = %s AND f.time BETWEEN %s AND %s
                """,
                [payload["batch"], payload["first"], payload["last"]],
            )
            body["records"] = [
                {"PERSON_ID": e, "TIME_STAMP": t.isoformat(), "LONGITUDE": x, "LATITUDE": y, "FLOOR": f}
                for e, t, x, y, f in cur.fetchall()
            ]
    else:
        body["records"] = payload
    return body


def _send(url: str, body: dict) -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=settings.CONFIG.relay_timeout_s) as resp:
            if resp.status >= 300:
                raise OSError(f"HTTP {resp.status}")
        return
    if parts.scheme == "mqtt":
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"relay-{body['id']}")
        client.connect(parts.hostname, parts.port or 1883)
        client.loop_start()
        try:
            info = client.publish(parts.path.lstrip("/") or "geoservice/relay", data, qos=1)
            info.wait_for_publish(timeout=settings.CONFIG.relay_timeout_s)
            if not info.is_published():
                raise OSError("MQTT publish not acknowledged")
        finally:
            client.loop_stop()
            client.disconnect()
        return
    raise OSError(f"unsupported relay URL scheme {parts.scheme!r}")


def forward_once(limit: int = 100) -> dict[str, int]:
    """Deliver due rows; each row is locked while sent, so several forwarders never send one row at once."""
    cfg = settings.CONFIG
    sent = failed = dead = 0
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            RelayOutbox.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True, dead=False, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        for row in rows:
            try:
                _send(cfg.relay_url, _expand(row))
            except (OSError, urllib.error.URLError, ValueError) as exc:
                row.attempts += 1
                row.last_error = str(exc)[:2000]
                if row.attempts >= cfg.relay_max_attempts:
                    row.dead = True
                    dead += 1
                else:
                    row.next_attempt_at = now + timedelta(seconds=min(600, 2**row.attempts))
                    failed += 1
                row.save(update_fields=["attempts", "last_error", "dead", "next_attempt_at"])
                continue
            row.attempts += 1
            row.delivered_at = timezone.now()
            row.save(update_fields=["attempts", "delivered_at"])
            sent += 1
    if sent or failed or dead:
        log.info("relay", extra={"sent": sent, "failed": failed, "dead": dead})
    return {"sent": sent, "failed": failed, "dead": dead}
