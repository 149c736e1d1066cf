"""manage.py credentials issue|rotate|revoke|list --company CODE: the park's side of the report API keys.

The secret is printed once, when issued or rotated (it is what the enterprise's vendor signs with)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from geo_core.ingest.auth import issue, revoke, rotate
from geo_core.models import Enterprise


class Command(BaseCommand):
    help = "Issue, rotate, revoke or list an enterprise's report API credentials"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["issue", "rotate", "revoke", "list"])
        parser.add_argument("--company", required=True, help="the enterprise's company_code")

    def handle(self, *args, action: str, company: str, **options) -> None:
        try:
            enterprise = Enterprise.objects.get(company_code=company)
        except Enterprise.DoesNotExist:
            raise CommandError(f"no enterprise with company_code {company!r}") from None
        active = enterprise.credentials.filter(active=True).first()
        if action == "list":
            rows = [
                {
                    "app_id": c.app_id,
                    "active": c.active,
                    "issued_at": c.issued_at.isoformat(),
                    "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                    "last_used_at": c.last_used_at.isoformat() if c.last_used_at else None,
                }
                for c in enterprise.credentials.order_by("issued_at")
            ]
            self.stdout.write(json.dumps(rows, indent=1))
            return
        if action == "issue":
            cred = issue(enterprise)
        elif active is None:
            raise CommandError(f"{company} has no active credential to {action}")
        elif action == "rotate":
            cred = rotate(active)
        else:
            revoke(active)
            self.stdout.write(json.dumps({"event": "revoked", "company_code": company, "app_id": active.app_id}))
            return
        self.stdout.write(
            json.dumps({"event": action, "company_code": company, "app_id": cred.app_id, "app_secret": cred.app_secret})
        )
