"""GET /healthz: is the service usable, and what does it hold.

200 when the database answers with PostGIS; 503 otherwise. The broker is reported but does not fail the
check on its own, since maps and queries still work without it.
"""

from __future__ import annotations

import time

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse

from geo_core.counts import scene_counts


def broker_status(timeout: float = 2.0) -> dict[str, object]:
    """Connect to the broker and wait for its CONNACK: a real MQTT answer, not just an open port."""
    endpoint = settings.CONFIG.mqtt
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"healthz-{time.monotonic_ns()}")
    if endpoint.username:
        client.username_pw_set(endpoint.username, endpoint.password)
    started = time.monotonic()
    try:
        client.connect(endpoint.host, endpoint.port, keepalive=5)
        deadline = started + timeout
        while not client.is_connected() and time.monotonic() < deadline:
            client.loop(timeout=0.05)
        ok = client.is_connected()
        client.disconnect()
    except OSError as exc:
        return {"ok": False, "url": f"mqtt://{endpoint.host}:{endpoint.port}", "error": str(exc)}
    out: dict[str, object] = {"ok": ok, "url": f"mqtt://{endpoint.host}:{endpoint.port}"}
    out["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    if not ok:
        out["error"] = "no CONNACK within timeout"
    return out


def database_status() -> dict[str, object]:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT version(), postgis_lib_version(), postgis_full_version()")
            version, postgis, full = cur.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": str(exc).strip()}
    return {"ok": True, "postgresql": version.split(" on ")[0], "postgis": postgis, "postgis_full": full}


def healthz(request):
    """Anonymous callers (load balancers) learn up or down; supervisors also get versions, broker and counts."""
    db = database_status()
    status = 200 if db["ok"] else 503
    body: dict[str, object] = {"status": "ok" if db["ok"] else "unavailable"}
    if not db["ok"] or not _is_supervisor(request):
        return JsonResponse(body, status=status)
    body["database"] = db
    body["broker"] = broker_status()
    body["counts"] = scene_counts()
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _is_supervisor(request) -> bool:
    from geo_core.access import authenticate

    try:
        return authenticate(request).role == "supervisor"
    except PermissionError:
        return False
