"""HTTP of the video room: the channels a caller may see, which of them show a place, short-lived stream URLs for
one, and the media platform's check of such a URL. Parsing and errors as everywhere (geo_core.params, the boundary)."""

from __future__ import annotations

import orjson
from django.contrib.gis.geos import Point, Polygon
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from geo_core import audit
from geo_core.access import Access, scoped
from geo_core.apiview import get_only, json_api, json_body, json_response
from geo_core.errors import BadRequestError, DeniedError, NotFoundError
from geo_core.params import bbox as parse_bbox
from geo_core.params import instant, integer, members, number, query_number, text
from video import gateway
from video.linkage import cameras_at
from video.models import VideoChannel


def _geojson(geom) -> dict | None:
    return orjson.loads(geom.geojson) if geom is not None else None


def _channel(c: VideoChannel) -> dict:
    return {
        "id": c.id,
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "company_code": c.enterprise.company_code if c.enterprise else None,
        "authority": c.authority or None,
        "subject": c.subject.external_id if c.subject else None,
        "location": _geojson(c.location),
        "heading": c.heading,
        "angle": c.angle,
        "range_m": c.range_m,
        "fov": _geojson(c.fov),
    }


def _visible(access: Access, code: str) -> VideoChannel:
    """A channel the caller may see; one it may not is as unknown as one that does not exist."""
    code = text(code, "channel", 20)
    c = scoped(VideoChannel.objects.filter(code=code, active=True), access).first()
    if c is None:
        raise NotFoundError(f"channel: no channel {code!r} you may see")
    return c


@json_api(("GET",))
def channels(request: HttpRequest, access: Access) -> HttpResponse:
    """GET /api/video/channels?bbox=&kind=&subject=: the channels the caller may see (of a body camera: `subject`)."""
    qs = scoped(VideoChannel.objects.filter(active=True).select_related("enterprise", "subject"), access)
    if request.GET.get("bbox"):
        qs = qs.filter(location__intersects=Polygon.from_bbox(parse_bbox(request.GET["bbox"])))
    if request.GET.get("kind"):
        kind = request.GET["kind"]
        if kind not in VideoChannel.Kind.values:
            raise BadRequestError(f"kind: {kind[:20]!r} is not one of {', '.join(VideoChannel.Kind.values)}")
        qs = qs.filter(kind=kind)
    if request.GET.get("subject"):
        qs = qs.filter(subject_id=integer(request.GET["subject"], "subject", 1, 2**63 - 1))
    rows = [_channel(c) for c in qs[:5000]]
    return json_response({"count": len(rows), "channels": rows})


AIM = {"location": "object?", "heading": "number?", "angle": "number?", "range_m": "number?"}


@json_api(("GET", "PATCH"))
def channel(request: HttpRequest, access: Access, code: str) -> HttpResponse:
    """GET /api/video/channels/{code}; PATCH it to place or aim the camera (`location` a GeoJSON Point, `heading`,
    `angle`, `range_m`; null clears): its field of view is derived again. Supervisors, and the camera's enterprise;
    audited with what it replaced."""
    c = _visible(access, code)
    if request.method == "PATCH":
        if not access.may_change(c.enterprise_id):
            raise DeniedError(f"channel: {c.code} is not yours to aim")
        body = members(json_body(request), AIM)
        before = _channel(c)
        if "location" in body:
            c.location = _point(body["location"]) if body["location"] is not None else None
        for name in ("heading", "angle", "range_m"):
            if name in body:
                setattr(c, name, body[name])
        try:
            c.clean()
        except ValidationError as exc:
            field, reasons = next(iter(exc.message_dict.items()))
            raise BadRequestError(f"{field}: {'; '.join(reasons)}") from None
        c.save()
        after = _channel(c)
        changed = {
            k: [before[k], after[k]] for k in ("location", "heading", "angle", "range_m") if before[k] != after[k]
        }
        audit.record("video.aim", "video_channel", c.code, changed)
    return json_response(_channel(c))


def _point(value: object) -> Point:
    if not isinstance(value, dict) or value.get("type") != "Point" or not isinstance(value.get("coordinates"), list):
        raise BadRequestError('location: a GeoJSON Point {"type": "Point", "coordinates": [lon, lat]}')
    xy = value["coordinates"]
    if len(xy) < 2:
        raise BadRequestError("location: coordinates are [lon, lat]")
    return Point(number(xy[0], "location", -180.0, 180.0), number(xy[1], "location", -90.0, 90.0), srid=4490)


@json_api(("GET",))
def at(request: HttpRequest, access: Access) -> HttpResponse:
    """GET /api/video/at?lon=&lat=&subject=: the channels that show a place, best first (aimed, nearest, own)."""
    lon = query_number(request, "lon", None, -180.0, 180.0)
    lat = query_number(request, "lat", None, -90.0, 90.0)
    if lon is None or lat is None:
        raise BadRequestError("lon: lon and lat are required")
    subject = request.GET.get("subject")
    subject_id = integer(subject, "subject", 1, 2**63 - 1) if subject else None
    return json_response({"cameras": cameras_at(lon, lat, access.scope, subject_id)})


def _platform() -> gateway.Platform:
    return gateway.Platform.configured()


@json_api(("GET",))
def live(request: HttpRequest, access: Access, code: str) -> HttpResponse:
    """GET /api/video/channels/{code}/live: a short-lived URL of the channel's live stream."""
    c = _visible(access, code)
    out = gateway.live_url(_platform(), c.code, access.user.pk)  # 503 when no platform is configured
    audit.record("video.live", "video_channel", c.code, {"expires": out["expires"]})
    return json_response(out)


@json_api(("GET",))
def record(request: HttpRequest, access: Access, code: str) -> HttpResponse:
    """GET /api/video/channels/{code}/record?from=&to=: a short-lived URL of the recording of that range."""
    c = _visible(access, code)
    if not request.GET.get("from") or not request.GET.get("to"):
        raise BadRequestError("from: from and to (RFC 3339) are required")
    start = instant(request.GET["from"], "from").timestamp()
    end = instant(request.GET["to"], "to").timestamp()
    try:
        out = gateway.record_url(_platform(), c.code, access.user.pk, start, end)
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    audit.record("video.record", "video_channel", c.code, {"from": start, "to": end, "expires": out["expires"]})
    return json_response(out)


@csrf_exempt
@get_only
def verify(request: HttpRequest) -> HttpResponse:
    """GET /api/video/verify?channel=&token=: the media platform's play hook. 200 with the claim while the token is
    valid for that channel; 403 otherwise (forged, for another channel, expired)."""
    channel = text(request.GET.get("channel", ""), "channel", 20)
    tok = text(request.GET.get("token", ""), "token", 200)
    try:
        claim = gateway.check(channel, tok)
    except ValueError as exc:
        raise DeniedError(str(exc)) from None
    return JsonResponse({"code": 0, "channel": channel, **claim})
