"""manage.py broker_auth --dir DIR: write the broker's password and ACL files from the device vendors and their
devices (geo_core.ingest.vendors) and ask the broker whose pid file lies there to reload them. The service's own MQTT
user and password are those of MQTT_URL."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from geo_core.ingest import vendors


class Command(BaseCommand):
    help = "Write Mosquitto's password and ACL files from the device vendors, and reload the broker"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", type=Path, required=True, help="the broker's folder (.var/mosquitto)")

    def handle(self, *args, **o) -> None:
        n = vendors.write_for_service(o["dir"])
        self.stdout.write(json.dumps({"event": "broker auth written", "vendors": n, "dir": str(o["dir"])}))
