"""The pages: sign-in (browser session, CSRF-protected), the landing that sends each role to its page, and the 2D map.

The pages carry no data of their own: their scripts read the service's public URLs (style, tiles, live and alarm
streams, OGC items, search) with the session cookie, so every answer is cut to the signed-in user's scope there."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from geo_core import vocabulary
from geo_core.access import Access, DeniedError, access_for
from geo_core.boundary import CSP
from video.gateway import Platform
from web.assets import BUILD_DIR, asset_url
from web.words import LANGS, words

LANG_COOKIE = "lang"
PAGE_OF_ROLE = {"supervisor": "/map/", "district": "/map/", "enterprise": "/map/", "reader": "/ogc/"}


def language(request: HttpRequest) -> str:
    asked = request.GET.get("lang") or request.COOKIES.get(LANG_COOKIE, "")
    return asked if asked in LANGS else "zh"


def _with_language(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.GET.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, request.GET["lang"], max_age=365 * 86400, samesite="Lax")
    return response


def _access_or_none(user) -> Access | None:
    """The user's role and scope, or None for one without a role (an administrator must give one first)."""
    try:
        return access_for(user)
    except DeniedError:
        return None


def _access(request: HttpRequest) -> Access | None:
    user = getattr(request, "user", None)
    return _access_or_none(user) if user is not None and user.is_authenticated else None


def _to_signin(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/signin/?next={quote(request.path)}")


def home(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    if access is None:
        return _to_signin(request)
    return HttpResponseRedirect(PAGE_OF_ROLE.get(access.role, "/map/"))


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    lang = language(request)
    w = words(lang)
    nxt = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        nxt = "/"
    error, status = "", 200
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        password = request.POST.get("password", "")[:1024]
        try:
            # A NUL cannot be in a stored name or password (PostgreSQL text refuses it): a wrong pair, not a query.
            ok = "\x00" not in username + password
            user = authenticate(request, username=username, password=password) if ok else None
        except PermissionDenied:
            user = None
        if user is None and getattr(request, "lockout", None) is not None:
            # Django's authenticate() hides a backend's refusal as None: the backend left it on the request.
            error, status = w["locked"].format(seconds=request.lockout.retry_after), 429
        if user is not None:
            if _access_or_none(user) is None:
                error, status = w["no_role"], 403
            else:
                login(request, user)
                return HttpResponseRedirect(nxt)
        elif not error:
            error, status = w["bad_credentials"], 401
    page = render(
        request,
        "web/signin.html",
        {"w": w, "lang": lang, "next": nxt, "error": error, "css": asset_url("signin.css")},
        status=status,
    )
    return _with_language(request, page)


@require_http_methods(["POST"])
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect("/signin/")


def _me(access: Access, lang: str) -> dict:
    """Who is signed in, as the pages show it and decide their buttons by (the server decides again on each call)."""
    user = access.user
    profile = getattr(user, "profile", None)
    return {
        "username": user.get_username(),
        "role": access.role,
        "can_act": access.can_act,
        "can_edit_fences": access.role == "supervisor",
        "enterprise": getattr(getattr(profile, "enterprise", None), "name", None),
        "district": getattr(getattr(profile, "district", None), "name", None),
        "lang": lang,
        # The codes the pages show, with labels and colours (geo_core.vocabulary): never copied into the pages.
        "vocabulary": vocabulary.as_dict(lang),
        # Group calls need the deployment's fusion-communication platform (video/fusion.py); without it the pages
        # say why the button is off.
        "calls": bool(settings.CONFIG.call_url),
        # Inspection plans are the authorities' (video/inspections.py): no 执法 tab for an enterprise's users.
        "inspections": access.role != "enterprise",
        # The register of maintenance units and 批量修改维保单位 are the authorities' (geo_core/equipment_api.py).
        "can_keep": access.role in ("supervisor", "district"),
    }


@ensure_csrf_cookie
@require_http_methods(["GET"])
def map_page(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    if access is None:
        return _to_signin(request)
    lang = language(request)
    me = {**_me(access, lang), "worker": asset_url("maplibre-worker.js")}
    page = render(
        request,
        "web/map.html",
        {"w": words(lang), "lang": lang, "me": me, "js": asset_url("map.js"), "css": asset_url("map.css")},
    )
    page.headers["Content-Security-Policy"] = page_csp()
    return _with_language(request, page)


COMMAND_ROLES = {"supervisor", "district"}


@ensure_csrf_cookie
@require_http_methods(["GET"])
def command_page(request: HttpRequest) -> HttpResponse:
    """The 3D command centre (video wall) for supervisors and district officers; an enterprise's user has the map."""
    access = _access(request)
    if access is None:
        return _to_signin(request)
    if access.role not in COMMAND_ROLES:
        raise PermissionDenied("the command centre is for supervisors and district officers")
    lang = language(request)
    tiles = settings.CONFIG.tiles3d_url or "/maps/3dtiles/tileset.json"
    me = {**_me(access, lang), "cesium": asset_url("cesium/"), "tileset": tiles}
    assets = {"js": asset_url("command.js"), "css": asset_url("command.css")}
    page = render(request, "web/command.html", {"w": words(lang), "lang": lang, "me": me, **assets})
    page.headers["Content-Security-Policy"] = page_csp(tiles)
    return _with_language(request, page)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def page_csp(tileset: str = "") -> str:
    """The pages' policy, opened to the hosts this deployment configured and only those: its own tileset host (3D),
    its media platform (video/gateway.py: the players fetch its playlists and segments, and a recording may play
    as a file)."""
    platform = Platform.configured()
    media = {o for o in (_origin(platform.live), _origin(platform.record)) if o}
    connect = sorted(media | ({_origin(tileset)} - {None}))
    return CSP.replace("connect-src 'self'", " ".join(["connect-src 'self'", *connect])).replace(
        "media-src 'self' blob:", " ".join(["media-src 'self' blob:", *sorted(media)])
    )


@require_http_methods(["GET"])
def service_worker(request: HttpRequest) -> HttpResponse:
    """The map page's service worker, at a fixed URL inside the page's scope; always asked again (its content names
    the version's hashed files)."""
    body = (BUILD_DIR / "sw.js").read_bytes()
    return HttpResponse(body, content_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"})


@ensure_csrf_cookie
@require_http_methods(["GET"])
def reports_page(request: HttpRequest) -> HttpResponse:
    """The report page (trends, boards, records) for supervisors and officers: every chart from the aggregate APIs,
    in the caller's scope."""
    access = _access(request)
    if access is None:
        return _to_signin(request)
    if access.role not in COMMAND_ROLES:
        raise PermissionDenied("the report page is for supervisors and district officers")
    lang = language(request)
    me = _me(access, lang)
    assets = {"js": asset_url("reports.js"), "css": asset_url("reports.css")}
    page = render(request, "web/reports.html", {"w": words(lang), "lang": lang, "me": me, **assets})
    page.headers["Content-Security-Policy"] = page_csp()
    return _with_language(request, page)
