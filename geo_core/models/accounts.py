"""Who may see what (SEC-1): a role and scope per user, and API tokens for `Authorization: Bearer ...`."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


class UserProfile(models.Model):
    class Role(models.TextChoices):
        SUPERVISOR = "supervisor", "园区/市级监管"
        DISTRICT = "district", "区县执法人员"
        ENTERPRISE = "enterprise", "企业用户"
        READER = "reader", "只读接口 (城市大脑)"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=16, choices=Role.choices)
    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="users"
    )
    district = models.ForeignKey(
        "geo_core.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    department = models.CharField(max_length=64, blank=True, help_text="receives work orders routed to it")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="enterprise", enterprise__isnull=False)
                | models.Q(role="district", district__isnull=False)
                | models.Q(role__in=["supervisor", "reader"]),
                name="profile_scope_for_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once when issued."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.name or self.pk} of {self.user}"

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        token = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=token_digest(token)), token


class AuditEvent(models.Model):
    """SEC-2: who did what, from where, when: sign-ins (and failures), permission changes, changes of fences, zones,
    permits, calibrations and alarm rules. Written by geo_core.audit; read by supervisors at /api/audit/."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="user name, credential id, or 'system'")
    address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=32, db_index=True)  # login, login_failed, locked, created, changed ...
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target_type} {self.target_id}"


class SignInFailure(models.Model):
    """Failed sign-ins (passwords, bearer tokens) per account or address, for lockout (SEC-2); shared by every
    process through the database."""

    key = models.CharField(max_length=200, unique=True, help_text="account:<name> or address:<ip>")
    failures = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class StreamSlot(models.Model):
    """An open event stream, so that the per-caller cap holds across every web process (issue 24): a process
    inserts a row when it opens a stream and deletes it when the stream ends, and refreshes `seen_at` of its rows
    while they are open; a row not seen for a while belongs to a process that died and no longer counts."""

    caller = models.CharField(max_length=64, db_index=True)
    holder = models.CharField(max_length=128, help_text="host:pid of the web process")
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.caller} on {self.holder}"
