"""Password sign-in with lockout (SEC-2): Django's model backend behind the lockout counter, and the password policy's
character-class rule (等保 2.0: passwords of at least three of four kinds of character)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError

from geo_core import lockout
from geo_core.audit import address_of


class LockoutBackend(ModelBackend):
    """An (account, address) pair that must wait is refused before its password is checked; failures are counted
    per pair (geo_core.lockout). Django's authenticate() turns the refusal into None, so the refusal is also left on
    the request (`request.lockout`) for the sign-in page to say "locked", not "wrong password"."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        key = lockout.pair(username, address_of(request))
        try:
            lockout.check(key)
        except lockout.LockedOutError as exc:
            if request is not None:
                request.lockout = exc
            raise PermissionDenied(str(exc)) from exc
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout.failed(key, address_of(request))
        else:
            lockout.succeeded(key)
        return user


class CharacterClassesValidator:
    """At least three of: lower-case letters, upper-case letters, digits, other characters."""

    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类 (at least three of: upper, lower, digit, symbol)",
                code="password_character_classes",
            )

    def get_help_text(self) -> str:
        return "至少包含大写字母、小写字母、数字、符号中的三类。"
