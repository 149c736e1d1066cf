"""GET /healthz over real HTTP: database, PostGIS, broker and what the database holds."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings

from geo_core.config import MqttEndpoint
from tests.conftest import free_port, start_server


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_healthz_tells_anonymous_callers_only_up_or_down(live_service):
    status, body = get_json(live_service + "/healthz")
    assert status == 200
    assert body == {"status": "ok"}


@pytest.fixture
def supervisor(db) -> dict:
    from geo_core.access import create_user
    from geo_core.models import ApiToken

    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(create_user('hz', 'Pw-strong-123!', 'supervisor'))[1]}"}


def test_healthz_reports_database_postgis_broker_and_counts_to_supervisors(client, supervisor):
    resp = client.get("/healthz", **supervisor)
    status, body = resp.status_code, resp.json()
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["postgis"].startswith("3.")
    assert body["broker"]["ok"] is True, body["broker"]
    assert body["counts"]["shanghai_districts"] == 16
    assert set(body["counts"]) >= {"enterprises", "people", "welding_machines", "permits", "zones"}


def test_healthz_is_503_when_the_database_is_down():
    proc, base = start_server({"DATABASE_URL": f"postgis://postgres@127.0.0.1:{free_port()}/nothing"})
    try:
        status, body = get_json(base + "/healthz")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert status == 503
    assert body == {"status": "unavailable"}


@pytest.mark.django_db
def test_broker_down_is_reported_without_failing_the_check(client, settings, supervisor):
    closed = free_port()
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, mqtt=MqttEndpoint("127.0.0.1", closed))
    resp = client.get("/healthz", **supervisor)
    assert resp.status_code == 200
    body = resp.json()
    assert body["broker"]["ok"] is False
    assert body["broker"]["url"] == f"mqtt://127.0.0.1:{closed}"
    assert "refused" in body["broker"]["error"].lower()
