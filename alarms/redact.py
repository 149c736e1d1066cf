"""What of an alarm a caller may read. An alarm the caller may see can still name things the caller may not: another
enterprise's fence its person walked into, another enterprise's permit, the enterprises a contractor's staff member
is filed for. Those names (and their ids) are withheld; the alarm keeps the kind of thing it was about and
`restricted: true` (or, for filings, only their count)."""

from __future__ import annotations

from geo_core.models import Subject, WorkPermit, Zone
from geo_core.scope import Scope

RESTRICTED = {"id": None, "name": None, "restricted": True}


def visible_zones(ids: set[int], scope: Scope) -> set[int]:
    if scope.everything or not ids:
        return set(ids)
    qs = Zone.objects.filter(id__in=ids).filter(Zone.VISIBILITY.q(scope))
    return set(qs.values_list("id", flat=True))


def visible_permits(ids: set[int], scope: Scope) -> set[int]:
    if scope.everything or not ids:
        return set(ids)
    qs = WorkPermit.objects.filter(id__in=ids).filter(WorkPermit.VISIBILITY.q(scope))
    return set(qs.values_list("id", flat=True))


def redact(payloads: list[dict], scope: Scope) -> list[dict]:
    """The alarms' public payloads (alarms.store.serialize) with what `scope` may not see withheld; in place."""
    if scope.everything:
        return payloads
    zones = {p["zone"]["id"] for p in payloads if p.get("zone") and p["zone"].get("id")}
    permits = {p["permit"]["id"] for p in payloads if p.get("permit") and p["permit"].get("id")}
    zones_ok, permits_ok = visible_zones(zones, scope), visible_permits(permits, scope)
    for p in payloads:
        ev = p.get("evidence") if isinstance(p.get("evidence"), dict) else {}
        if p.get("zone") and p["zone"].get("id") not in zones_ok:
            p["zone"] = dict(RESTRICTED)
            ev.pop("fence", None)
        ev.pop("filed_for", None)  # the enterprises a contractor's staff is filed for are theirs and the park's
        if p.get("permit") and p["permit"].get("id") not in permits_ok:
            p["permit"] = {**RESTRICTED, "ticket_no": None}
            for k in ("ticket_no", "ticket_type", "status"):
                ev.pop(k, None)
    return payloads


def visible_assignees(lists: list[list[dict]], scope: Scope) -> list[list[dict]]:
    """Work orders' assignees as `scope` may read them: people and body cameras outside the caller's scope (an
    inspector sent to an enterprise's alarm, seen by that enterprise) keep their kind and lose their code and name.
    One query for all the lists."""
    if scope.everything:
        return lists
    codes = {a.get("code") for assignees in lists for a in assignees or [] if a.get("code")}
    seen = (
        set(
            Subject.objects.filter(external_id__in=codes)
            .filter(Subject.VISIBILITY.q(scope))
            .values_list("external_id", flat=True)
        )
        if codes
        else set()
    )
    return [
        [
            a if a.get("code") in seen else {"code": None, "name": None, "kind": a.get("kind"), "restricted": True}
            for a in assignees or []
        ]
        for assignees in lists
    ]
