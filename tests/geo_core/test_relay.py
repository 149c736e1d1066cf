"""The relay outbox to the city bureau: delivered at least once, retried with back-off, dead-lettered."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from geo_core.ingest import relay
from geo_core.models import RelayOutbox
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint standing in for the city bureau; answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/relay"


@pytest.fixture
def receiver(settings):
    r = Receiver()
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, relay_url=r.url, relay_max_attempts=3)
    yield r
    r.server.shutdown()


def test_queued_rows_are_delivered_once_and_marked(receiver):
    relay.enqueue("personnel", "SCIP001", [{"ID": "P1"}])
    relay.enqueue("permits", "SCIP001", [{"ID": "DH-1"}])
    assert relay.forward_once() == {"sent": 2, "failed": 0, "dead": 0}
    assert [b["topic"] for b in receiver.bodies] == ["personnel", "permits"]
    assert receiver.bodies[0]["records"] == [{"ID": "P1"}]
    assert not RelayOutbox.objects.filter(delivered_at__isnull=True).exists()
    assert relay.forward_once() == {"sent": 0, "failed": 0, "dead": 0}  # nothing twice


def test_failures_back_off_then_dead_letter(receiver):
    receiver.status = 500
    relay.enqueue("alarms", "SCIP001", [{"ID": "A1"}])
    row = RelayOutbox.objects.get()
    assert relay.forward_once()["failed"] == 1
    row.refresh_from_db()
    assert row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert "500" in row.last_error
    assert relay.forward_once() == {"sent": 0, "failed": 0, "dead": 0}  # not due yet
    for _ in range(2):
        RelayOutbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        relay.forward_once()
    row.refresh_from_db()
    assert row.dead
    assert row.attempts == 3


def test_a_receiver_that_comes_back_gets_the_backlog(receiver):
    receiver.status = 503
    relay.enqueue("alarms", "SCIP001", [{"ID": "A1"}])
    relay.forward_once()
    receiver.status = 200
    RelayOutbox.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert relay.forward_once()["sent"] == 1
    assert len(receiver.bodies) == 2  # the failed try and the delivery: at least once


def test_nothing_is_queued_without_a_relay(settings):
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, relay_url="")
    relay.enqueue("alarms", "SCIP001", [{"ID": "A1"}])
    assert not RelayOutbox.objects.exists()


def test_dead_letters_are_listed_and_can_be_queued_again(receiver, capsys):
    from django.core.management import call_command

    receiver.status = 500
    relay.enqueue("alarms", "SCIP001", [{"ID": "A9"}])
    RelayOutbox.objects.update(dead=True, attempts=3, last_error="HTTP 500")
    call_command("relay_status", dead=True)
    out = capsys.readouterr().out
    assert '"dead_rows": 1' in out
    assert '"last_error": "HTTP 500"' in out
    receiver.status = 200
    call_command("relay_status", retry_dead=True)
    assert relay.forward_once()["sent"] == 1
