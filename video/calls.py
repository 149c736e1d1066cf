"""Group calls from a map selection (VID-3): start one with the people, body cameras, phones and cameras chosen on the
map (drawn or one by one), add or remove a party while it is open, end it. Each party must be one the caller may see;
each step goes to the fusion-communication platform (video/fusion.py) and is stored and audited only as the platform
took it.

    POST   /api/calls                         {"members": [{"subject": id} | {"channel": code}], "selection": GeoJSON?}
    GET    /api/calls?status=open             the caller's calls
    GET    /api/calls/{id}
    POST   /api/calls/{id}/members            {"members": [...]}
    DELETE /api/calls/{id}/members/{member}
    POST   /api/calls/{id}/end
"""

from __future__ import annotations

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from geo_core import audit
from geo_core.access import Access, scoped
from geo_core.apiview import json_api, json_body, json_response
from geo_core.errors import BadRequestError, ConflictError, NotFoundError, UpstreamError
from geo_core.models import Subject
from geo_core.params import integer, members, polygon, text
from video.fusion import CallPlatform
from video.models import GroupCall, GroupCallMember, VideoChannel

MAX_MEMBERS = 50
CALLABLE = ("person", "body_camera", "phone")  # subjects a call can reach (a welding machine cannot answer)


def _address(subject: Subject | None, channel: VideoChannel | None) -> dict:
    """What the platform dials: a device's terminal id, a person's phone or SIP URI (from the subject's attributes),
    a camera's channel code."""
    if channel is not None:
        return {"terminal": channel.code}
    attrs = subject.attributes if isinstance(subject.attributes, dict) else {}
    out = {k: str(attrs[k])[:128] for k in ("phone", "sip") if attrs.get(k)}
    if subject.kind in ("body_camera", "phone"):
        out["terminal"] = subject.external_id
    return out


def _parties(value: object, access: Access) -> list[GroupCallMember]:
    """The members asked for, each found within the caller's scope, unsaved."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_MEMBERS:
        raise BadRequestError(f"members: a list of 1 to {MAX_MEMBERS} members")
    out: list[GroupCallMember] = []
    for k, m in enumerate(value):
        if not isinstance(m, dict) or len(m) != 1 or not set(m) <= {"subject", "channel"}:
            raise BadRequestError(f'members[{k}]: one of {{"subject": id}} or {{"channel": code}}')
        if "subject" in m:
            sid = integer(m["subject"], f"members[{k}].subject", 1, 2**63 - 1)
            s = scoped(Subject.objects.filter(pk=sid, kind__in=CALLABLE, active=True), access).first()
            if s is None:
                raise BadRequestError(f"members[{k}].subject: no person, body camera or phone {sid} you may call")
            party = GroupCallMember(subject=s, name=s.name or s.external_id, address=_address(s, None))
        else:
            code = text(m["channel"], f"members[{k}].channel", 20) if isinstance(m["channel"], str) else ""
            c = scoped(VideoChannel.objects.filter(code=code, active=True), access).first()
            if c is None:
                raise BadRequestError(f"members[{k}].channel: no channel {code!r} you may call")
            party = GroupCallMember(channel=c, name=c.name, address=_address(None, c))
        if not party.address:
            raise BadRequestError(f"members[{k}]: {party.name} has no phone, SIP URI or terminal to call")
        out.append(party)
    return out


def _wire(m: GroupCallMember) -> dict:
    kind = m.subject.kind if m.subject_id else "camera"
    return {"ref": str(m.pk), "name": m.name, "kind": kind, **m.address}


def _call(c: GroupCall) -> dict:
    return {
        "id": c.id,
        "status": c.status,
        "platform_id": c.platform_id or None,
        "started_at": c.created_at.isoformat(),
        "ended_at": c.ended_at.isoformat() if c.ended_at else None,
        "reason": c.reason or None,
        "selection": orjson.loads(c.selection.geojson) if c.selection else None,
        "members": [
            {
                "id": m.id,
                "name": m.name,
                "subject": m.subject_id,
                "channel": m.channel.code if m.channel_id else None,
                "address": m.address,
                "added_at": m.added_at.isoformat(),
                "removed_at": m.removed_at.isoformat() if m.removed_at else None,
            }
            for m in c.members.select_related("channel")
        ],
    }


def _mine(access: Access, call_id: str | int) -> GroupCall:
    cid = integer(call_id, "call", 1, 2**63 - 1)
    c = GroupCall.objects.filter(pk=cid, initiator=access.user).first()
    if c is None:
        raise NotFoundError(f"call: no call {cid} of yours")
    return c


def _open(c: GroupCall) -> None:
    if c.status != GroupCall.Status.OPEN:
        raise ConflictError(f"call: call {c.id} is {c.status}, not open")


@json_api(("GET", "POST"))
def calls(request: HttpRequest, access: Access) -> HttpResponse:
    if request.method == "GET":
        qs = GroupCall.objects.filter(initiator=access.user)
        status = request.GET.get("status")
        if status:
            if status not in GroupCall.Status.values:
                raise BadRequestError(f"status: {status[:20]!r} is not one of {', '.join(GroupCall.Status.values)}")
            qs = qs.filter(status=status)
        return json_response({"calls": [_call(c) for c in qs[:100]]})
    body = members(json_body(request), {"members": "objects", "selection": "object?"})
    parties = _parties(body.get("members"), access)
    selection = polygon(body["selection"], "selection") if body.get("selection") is not None else None
    platform = CallPlatform.configured()  # 503 before anything is stored when there is none
    with transaction.atomic():
        call = GroupCall.objects.create(initiator=access.user, selection=selection)
        for p in parties:
            p.call = call
        GroupCallMember.objects.bulk_create(parties)
    initiator = {"username": access.user.get_username(), "role": access.role}
    geo = orjson.loads(selection.geojson) if selection else None
    try:
        call.platform_id = platform.start(f"call-{call.id}", initiator, [_wire(p) for p in parties], geo)
    except UpstreamError as exc:
        call.status, call.reason, call.ended_at = GroupCall.Status.FAILED, str(exc)[:500], timezone.now()
        call.save(update_fields=["status", "reason", "ended_at", "updated_at"])
        audit.record("call.failed", "group_call", call.id, {"reason": call.reason})
        raise
    call.save(update_fields=["platform_id", "updated_at"])
    audit.record("call.start", "group_call", call.id, {"members": [p.name for p in parties]})
    return json_response(_call(call), status=201)


@json_api(("GET",))
def call(request: HttpRequest, access: Access, call_id: str) -> HttpResponse:
    return json_response(_call(_mine(access, call_id)))


@json_api(("POST",))
def add_members(request: HttpRequest, access: Access, call_id: str) -> HttpResponse:
    c = _mine(access, call_id)
    _open(c)
    body = members(json_body(request), {"members": "objects"})
    parties = _parties(body.get("members"), access)
    if c.members.filter(removed_at__isnull=True).count() + len(parties) > MAX_MEMBERS:
        raise BadRequestError(f"members: a call has at most {MAX_MEMBERS} parties")
    with transaction.atomic():
        for p in parties:
            p.call = c
        GroupCallMember.objects.bulk_create(parties)
        CallPlatform.configured().add(c.platform_id, [_wire(p) for p in parties])  # refused: none of them stored
    audit.record("call.add", "group_call", c.id, {"members": [p.name for p in parties]})
    return json_response(_call(c))


@json_api(("DELETE",))
def remove_member(request: HttpRequest, access: Access, call_id: str, member_id: str) -> HttpResponse:
    c = _mine(access, call_id)
    _open(c)
    mid = integer(member_id, "member", 1, 2**63 - 1)
    m = c.members.filter(pk=mid, removed_at__isnull=True).first()
    if m is None:
        raise NotFoundError(f"member: no party {mid} in call {c.id}")
    CallPlatform.configured().remove(c.platform_id, str(m.pk))
    m.removed_at = timezone.now()
    m.save(update_fields=["removed_at"])
    audit.record("call.remove", "group_call", c.id, {"member": m.name})
    return json_response(_call(c))


@json_api(("POST",))
def end(request: HttpRequest, access: Access, call_id: str) -> HttpResponse:
    c = _mine(access, call_id)
    _open(c)
    CallPlatform.configured().end(c.platform_id)
    c.status, c.ended_at = GroupCall.Status.ENDED, timezone.now()
    c.save(update_fields=["status", "ended_at", "updated_at"])
    audit.record("call.end", "group_call", c.id, {})
    return json_response(_call(c))
