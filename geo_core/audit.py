"""The audit trail (SEC-2): sign-ins and their failures, permission changes (roles, tokens, report credentials,
staff flags) and data changes (fences, zones, sites, permits, calibrations; alarm rules and suppression windows are
registered by the alarms room). Who acted comes from the request (AuditContext middleware) or the report API's
credential; anything else is 'system' (workers, loaders)."""

from __future__ import annotations

import contextvars
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.utils.deprecation import MiddlewareMixin

log = logging.getLogger(__name__)
SYSTEM = (None, "system", None)
_actor: contextvars.ContextVar[tuple[object | None, str, str | None]] = contextvars.ContextVar(
    "audit_actor", default=SYSTEM
)


def address_of(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def acting(user, name: str, address: str | None) -> contextvars.Token:
    """Set who acts for what follows in this context (a request, a report API call)."""
    return _actor.set((user, name, address))


def record(
    action: str,
    target_type: str = "",
    target_id: object = "",
    detail: dict | None = None,
    *,
    actor=None,
    actor_name: str | None = None,
    address: str | None = None,
) -> None:
    from geo_core.models import AuditEvent

    user, name, addr = _actor.get()
    actor = actor if actor is not None else user
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    AuditEvent.objects.create(
        actor=actor,
        actor_name=(actor_name or (actor.get_username() if actor else name))[:150],
        address=address or addr,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        detail=detail or {},
    )


class AuditContext(MiddlewareMixin):
    """Each request's actor for the audit trail: the signed-in user (bearer or session) and the address."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        name = user.get_username() if user is not None and user.is_authenticated else "anonymous"
        acting(user if user is not None and user.is_authenticated else None, name, address_of(request))

    def process_response(self, request, response):
        _actor.set(SYSTEM)  # the next thing this thread does is not this request's
        return response


def _label(instance) -> str:
    for f in ("name", "ticket_no", "username", "external_id"):
        v = getattr(instance, f, None)
        if v:
            return str(v)[:100]
    return ""


def watch(*models, fields: tuple[str, ...] = ()) -> None:
    """Record every save and delete of these models (created / changed / deleted, with the row's name)."""

    def saved(sender, instance, created, update_fields=None, **kwargs):
        if update_fields is not None and set(update_fields) <= {"last_login", "last_used_at"}:
            return  # a sign-in's own bookkeeping, recorded as the sign-in
        detail = {"name": _label(instance)}
        for f in fields:
            detail[f] = str(getattr(instance, f, ""))[:100]
        record("created" if created else "changed", sender._meta.label_lower, instance.pk, detail)

    def deleted(sender, instance, **kwargs):
        record("deleted", sender._meta.label_lower, instance.pk, {"name": _label(instance)})

    for model in models:
        post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"audit-save-{model._meta.label}")
        post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"audit-delete-{model._meta.label}")


def _logged_in(sender, request, user, **kwargs):
    record("login", "user", user.pk, {}, actor=user, address=address_of(request))


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("logout", "user", user.pk, {}, actor=user, address=address_of(request))


def _login_failed(sender, credentials, request=None, **kwargs):
    name = str(credentials.get("username", ""))[:150]
    record("login_failed", "user", "", {"username": name}, actor_name=name or "anonymous", address=address_of(request))


def connect() -> None:
    """Called once from geo_core's AppConfig.ready()."""
    from geo_core.models import ApiToken, ReportCredential, ShanghaiCalibration, Site, UserProfile, WorkPermit, Zone

    user_logged_in.connect(_logged_in, dispatch_uid="audit-login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")
    watch(UserProfile, fields=("role", "enterprise_id", "district_id"))
    watch(get_user_model(), fields=("is_active", "is_staff", "is_superuser"))
    watch(ApiToken, ReportCredential, fields=("revoked_at",))
    watch(Zone, Site, ShanghaiCalibration, fields=("kind",))
    watch(WorkPermit, fields=("status", "deleted"))


def audit_view(request):
    """GET /api/audit/?action=&actor=&target_type=&since=&until=&limit=&offset=: the trail, newest first, for
    supervisors."""
    from django.http import JsonResponse

    from geo_core.access import DeniedError, authenticate
    from geo_core.errors import MethodNotAllowedError
    from geo_core.models import AuditEvent
    from geo_core.params import instant, query_integer, text

    if request.method != "GET":
        raise MethodNotAllowedError(request.method, ("GET",))
    if authenticate(request).role != "supervisor":
        raise DeniedError("the audit trail is for supervisors")
    qs = AuditEvent.objects.all()
    g = request.GET
    for name, column in (("action", "action"), ("actor", "actor_name"), ("target_type", "target_type")):
        if name in g:
            qs = qs.filter(**{f"{column}__in": text(g[name], name, 500).split(",")})
    if "since" in g:
        qs = qs.filter(at__gte=instant(g["since"], "since"))
    if "until" in g:
        qs = qs.filter(at__lt=instant(g["until"], "until"))
    limit = query_integer(request, "limit", 100, 1, 1000)
    offset = query_integer(request, "offset", 0, 0, 10_000_000)
    rows = [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor_name,
            "address": e.address,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "detail": e.detail,
        }
        for e in qs[offset : offset + limit]
    ]
    return JsonResponse({"count": qs.count(), "results": rows}, json_dumps_params={"ensure_ascii": False})
