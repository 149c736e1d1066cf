"""Who is asking and what they may see (SEC-1): a signed-in session or `Authorization: Bearer <token>`, and the
enterprises in the user's scope. Views ask here; nothing else decides access."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from geo_core import audit, lockout
from geo_core.audit import address_of
from geo_core.errors import DeniedError, NotSignedInError
from geo_core.models import ApiToken, Enterprise, UserProfile
from geo_core.models.accounts import token_digest
from geo_core.scope import Scope


@dataclass(frozen=True)
class Access:
    user: object
    role: str
    scope: Scope

    @property
    def can_manage_rules(self) -> bool:
        return self.role == "supervisor"

    @property
    def can_act(self) -> bool:
        """Acknowledge, dispatch, resolve, close alarms."""
        return self.role in ("supervisor", "district", "enterprise")

    def may_change(self, enterprise_id: int | None) -> bool:
        """Whether the caller may change a thing it can see, owned by `enterprise_id` (None: the park's or an
        authority's): supervisors anything, an enterprise's users their enterprise's, district officers the
        authorities' (a camera, a body camera's holder)."""
        if self.role == "supervisor":
            return True
        if enterprise_id is None:
            return self.role == "district"
        return self.role == "enterprise" and enterprise_id in (self.scope.enterprises or ())

    def may_register(self, enterprise_id: int | None) -> bool:
        """Registration data the authorities supervise as well as its owner keeps (special equipment: moving a
        device, its maintenance unit): supervisors, district officers (of what they can see) and the owner."""
        return self.role in ("supervisor", "district") or self.may_change(enterprise_id)

    def supervisor_only(self, what: str) -> None:
        """Park-wide data (fences, imports of GIS files) is the supervisors' to change."""
        if self.role != "supervisor":
            raise DeniedError(f"only supervisors {what}")


# Bearer tokens answer from memory for TOKEN_TTL_S (a map client sends one per tile): a revoked token or a changed
# role takes effect within that time. last_used_at is written at most once per LAST_USED_EVERY_S.
TOKEN_TTL_S = 30.0
LAST_USED_EVERY_S = 60.0
_tokens: dict[str, tuple[float, Access]] = {}
_last_used: dict[int, float] = {}


def _from_bearer(request: HttpRequest) -> Access | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    digest = token_digest(header[7:].strip())
    now = time.monotonic()
    hit = _tokens.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    address = address_of(request)
    row = ApiToken.objects.select_related("user").filter(digest=digest, revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        # A valid token is never refused for the address's failures; an unknown one from an address past its
        # allowance waits (429), which slows guessing for the guesser only.
        _tokens.pop(digest, None)
        lockout.token_refused(address, "token")
        raise NotSignedInError("the bearer token is unknown or revoked")
    if now - _last_used.get(row.pk, -LAST_USED_EVERY_S) >= LAST_USED_EVERY_S:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        _last_used[row.pk] = now
    access = access_for(row.user)
    if len(_tokens) > 10_000:
        _tokens.clear()
    _tokens[digest] = (now + TOKEN_TTL_S, access)
    return access


def holds_credential(headers: dict[str, str]) -> bool:
    """Whether a request's headers carry a credential that exists now (a bearer token, a signed-in session, a
    report API app id, a device token), before anything reads its body: only such a caller may send a large one.
    Not authentication (the view still checks the credential, the signature, the role); a cheap look-up."""
    from django.conf import settings
    from django.contrib.sessions.models import Session

    from geo_core.ingest import vendors
    from geo_core.models import ReportCredential

    auth = headers.get("authorization", "")
    if auth.startswith("Bearer "):
        token = auth[7:].strip()
        if cached_access(token) is not None:
            return True
        if ApiToken.objects.filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True).exists():
            return True
        return vendors.by_token(token) is not None
    app_id = headers.get("x-app-id", "")
    if app_id and ReportCredential.objects.filter(app_id=app_id[:64], active=True).exists():
        return True
    cookies = headers.get("cookie", "")
    name = settings.SESSION_COOKIE_NAME + "="
    for part in cookies.split(";"):
        part = part.strip()
        key = part[len(name) :][:64] if part.startswith(name) else ""
        if key and Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists():
            return True
    return False


def cached_access(token: str) -> Access | None:
    """The remembered access of a bearer token, without touching the database (None when not remembered)."""
    hit = _tokens.get(token_digest(token))
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def access_for(user) -> Access:
    if user.is_superuser:
        return Access(user, "supervisor", Scope())
    profile = UserProfile.objects.filter(user=user).select_related("district").first()
    if profile is None:
        raise DeniedError(f"user {user.username!r} has no role; ask an administrator")
    if profile.role == UserProfile.Role.ENTERPRISE:
        return Access(user, profile.role, Scope(enterprises=frozenset({profile.enterprise_id})))
    if profile.role == UserProfile.Role.DISTRICT:
        ids = Enterprise.objects.filter(sites__district=profile.district).values_list("id", flat=True).distinct()
        return Access(user, profile.role, Scope(enterprises=frozenset(ids), districts=frozenset({profile.district_id})))
    return Access(user, profile.role, Scope())


def authenticate(request: HttpRequest) -> Access:
    access = _from_bearer(request)
    if access is not None:
        audit.acting(access.user, access.user.get_username(), address_of(request))
        return access
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise NotSignedInError("sign in, or send Authorization: Bearer <token>")
    return access_for(user)


def scoped(qs, access: Access):
    """A queryset narrowed to what the caller may see: its model's rule (`Model.VISIBILITY`, geo_core.scope)."""
    return qs if access.scope.everything else qs.filter(qs.model.VISIBILITY.q(access.scope))


def create_user(username: str, password: str, role: str, enterprise=None, district=None, department: str = ""):
    """A user with a role and scope (demo loader, tests, `manage.py` shell)."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = role == "supervisor"
    user.save()
    UserProfile.objects.update_or_create(
        user=user, defaults={"role": role, "enterprise": enterprise, "district": district, "department": department}
    )
    return user
