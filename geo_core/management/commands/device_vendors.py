"""manage.py device_vendors issue CODE --name NAME | rotate CODE | revoke CODE | list | assign CODE --devices ID...:
the chip and device vendors' platforms that report device messages (MQTT and the HTTP fallback), each with a secret
printed once (only its hashes are kept). Rewrites the broker's password and ACL files when `--broker-dir` is given
(as `make run` does for its own broker)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from geo_core.ingest import vendors
from geo_core.models import DeviceVendor, Subject


class Command(BaseCommand):
    help = "Issue, rotate, revoke, list device vendors' credentials; assign devices to a vendor"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["issue", "rotate", "revoke", "list", "assign"])
        parser.add_argument("code", nargs="?")
        parser.add_argument("--name", default="")
        parser.add_argument("--devices", nargs="*", default=[], help="chip ids, camera or phone ids (assign)")
        parser.add_argument("--broker-dir", type=Path, help="rewrite the broker's passwd and acl files here")

    def handle(self, *args, action: str, code: str | None, name: str, devices: list[str], broker_dir, **o) -> None:
        if action == "list":
            for v in DeviceVendor.objects.order_by("code"):
                self.stdout.write(
                    json.dumps(
                        {"code": v.code, "name": v.name, "active": v.active, "devices": v.devices.count()},
                        ensure_ascii=False,
                    )
                )
            return
        if not code:
            raise CommandError(f"{action} needs a vendor code")
        if action in ("issue", "rotate"):
            existing = DeviceVendor.objects.filter(code=code).first()
            if action == "rotate" and existing is None:
                raise CommandError(f"no vendor {code!r}")
            vendor, secret = vendors.issue(code, name or (existing.name if existing else code))
            self.stdout.write(json.dumps({"code": vendor.code, "secret": secret}))
        elif action == "revoke":
            if not DeviceVendor.objects.filter(code=code).update(active=False):
                raise CommandError(f"no vendor {code!r}")
        else:
            vendor = DeviceVendor.objects.filter(code=code).first()
            if vendor is None:
                raise CommandError(f"no vendor {code!r}")
            mine = Q(chip_id__in=devices) | Q(kind__in=("body_camera", "phone"), external_id__in=devices)
            n = Subject.objects.filter(mine).update(vendor=vendor)
            self.stdout.write(json.dumps({"code": code, "assigned": n}))
        if broker_dir:
            vendors.write_for_service(broker_dir)
