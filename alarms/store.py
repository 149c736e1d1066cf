"""The thin persistence layer: engine Signals become Alarm rows, lifecycle actions, push events (the outbox read by
the SSE stream) and relay rows for the city bureau, all in the caller's transaction; NOTIFY wakes the streams at
commit. Suppression windows are applied here, and what they suppressed is recorded."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import django.dispatch
import orjson
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from alarms.catalogue import SELF_CLOSED_REASON, SELF_CLOSING, TYPES
from alarms.engine import Signal
from alarms.models import Alarm, AlarmAction, AlarmEvent, AlarmStatus, Suppression, WorkOrder
from geo_core.ingest import relay
from geo_core.models import Enterprise, Subject, WorkPermit, Zone
from geo_core.timewindows import window_contains

log = logging.getLogger(__name__)
# What other rooms add to the evidence of the alarms being raised, before they are written (video: the channels
# offered for the place, registered in video/apps.py); alarms imports none of them. One that fails adds nothing and
# stops no alarm.
EVIDENCE: list[Callable[[list[Alarm]], None]] = []

CHANNEL = "alarms_events"


def when(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def serialize(a: Alarm) -> dict:
    """The public contract of one alarm (GET /api/alarms/, the SSE stream, the relay)."""
    return {
        "id": a.id,
        "category": a.category,
        "code": a.code,
        "type": a.type,
        "label": TYPES[a.type].label if a.type in TYPES else a.type,
        "severity": a.severity,
        "status": a.status,
        "company_code": a.company_code,
        "subject": a.subject.external_id if a.subject_id and a.subject else None,
        "subject_kind": a.subject.kind if a.subject_id and a.subject else None,
        "subject_id": a.subject_id,
        "subjects": a.subjects,
        "zone": {"id": a.zone_id, "name": a.zone.name} if a.zone_id and a.zone else None,
        "permit": {"id": a.permit_id, "ticket_no": a.permit.ticket_no} if a.permit_id and a.permit else None,
        "raised_at": a.raised_at.isoformat(),
        "ended_at": a.ended_at.isoformat() if a.ended_at else None,
        "detected_at": a.detected_at.isoformat() if a.detected_at else None,
        "updated_at": a.updated_at.isoformat() if a.updated_at else None,
        "location": {"type": "Point", "coordinates": [a.location.x, a.location.y]} if a.location else None,
        "rule": a.rule_id,
        "evidence": a.evidence,
        "work_order": _work_order(a),
        "district": district_code(a.district_id),
        "confirmations": a.confirmations,
    }


JURISDICTION = """
UPDATE alarms_alarm a SET
  district_id = coalesce(
    (SELECT r.id FROM geo_core_region r WHERE r.level = 'district' AND ST_Intersects(r.geom, a.location) LIMIT 1),
    (SELECT s.district_id FROM geo_core_workpermit p JOIN geo_core_site s ON s.id = p.site_id WHERE p.id = a.permit_id),
    (SELECT s.district_id FROM geo_core_site s WHERE s.enterprise_id = a.enterprise_id ORDER BY s.id LIMIT 1)),
  park_id = (SELECT e.park_id FROM geo_core_enterprise e WHERE e.id = a.enterprise_id)
WHERE a.id = ANY(%s)
RETURNING a.id, a.district_id, a.park_id
"""


def set_jurisdiction(ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """Each new alarm's district and park, in one statement."""
    if not ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(JURISDICTION, [ids])
        return {i: (d, p) for i, d, p in cur.fetchall()}


_DISTRICT_CODES: dict[int, str] = {}


def district_code(region_id: int | None) -> str | None:
    """A district's code (GB/T 2260), from a table read once (regions change with a new data release)."""
    if region_id is None:
        return None
    if region_id not in _DISTRICT_CODES:
        from geo_core.models import Region

        _DISTRICT_CODES.update(Region.objects.filter(level="district").values_list("id", "code"))
    return _DISTRICT_CODES.get(region_id)


def _work_order(a: Alarm) -> dict | None:
    wo = getattr(a, "work_order", None) if a.status in ("dispatched", "resolved", "closed") else None
    if wo is None:
        return None
    return {"number": wo.number, "department": wo.department, "status": wo.status}


def publish(alarm: Alarm, kind: str) -> AlarmEvent:
    """Queue a change for the streams (same transaction as the change) and wake them at commit."""
    ev = AlarmEvent.objects.create(alarm=alarm, kind=kind, payload=serialize(alarm))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(ev.id)])
    return ev


def relay_alarm(alarm: Alarm, kind: str) -> None:
    """AQ 3064.3 B.3 (person) / B.4 (zone) shaped record for the city bureau; other categories as ours."""
    body = {
        "ID": str(alarm.id),
        "ALARM_TYPE": alarm.code,
        "TYPE": alarm.type,
        "EVENT": kind,
        "ALARM_TIME": alarm.raised_at.isoformat(),
        "ALARM_END_TIME": alarm.ended_at.isoformat() if alarm.ended_at else None,
        "DESCRIBE": TYPES[alarm.type].label,
        "SEVERITY": alarm.severity,
    }
    if alarm.subject_id:
        body["PERSON_ID"] = alarm.subject.external_id
    if alarm.zone_id:
        body["ZONE_ID"] = alarm.zone.external_id or str(alarm.zone_id)
    if alarm.location:
        body["LONGITUDE"], body["LATITUDE"] = alarm.location.x, alarm.location.y
    relay.enqueue("alarms", alarm.company_code, [body])


def suppression_for(sig: Signal, suppressions: list[Suppression]) -> Suppression | None:
    t = TYPES.get(sig.type)
    if t is not None and t.life_safety:
        return None  # never silenced, whatever window an older row describes (issue 24)
    at = when(sig.t)
    for s in suppressions:
        if s.types and sig.type not in s.types:
            continue
        if s.zone_id is not None and s.zone_id != sig.zone:
            continue
        if s.enterprise_id is not None and s.enterprise_id != sig.enterprise:
            continue
        if (s.starts_at and at < s.starts_at) or (s.ends_at and at >= s.ends_at):
            continue
        if s.time_window is not None and not window_contains(s.time_window, at):
            continue
        return s
    return None


UPDATE = """
UPDATE alarms_alarm a SET severity = v.severity, evidence = v.evidence, ended_at = v.ended_at, updated_at = %s
FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS severity, unnest(%s::jsonb[]) AS evidence,
             unnest(%s::timestamptz[]) AS ended_at) v
WHERE a.id = v.id
"""


def _update(rows: list[Alarm], now) -> None:
    """One UPDATE for many alarms (Django's bulk_update builds a CASE per row and costs a millisecond each)."""
    with connection.cursor() as cur:
        cur.execute(
            UPDATE,
            [
                now,
                [a.id for a in rows],
                [a.severity for a in rows],
                [orjson.dumps(a.evidence).decode() for a in rows],
                [a.ended_at for a in rows],
            ],
        )


# Sent inside the writing transaction after every batch: `changes` is [(kind, alarm)] with kind raised, updated or
# ended (suppressed alarms included: the work they are about happened). Other rooms keep what they derive from alarms
# (reports.WorkRecord) without the alarms room knowing them.
alarms_written = django.dispatch.Signal()


def _self_close(alarms: list[Alarm]) -> list[Alarm]:
    """Close the self-ending warnings still 已报警 in the database (a person acting on one at this moment keeps it)."""
    if not alarms:
        return []
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE alarms_alarm SET status = %s WHERE id = ANY(%s) AND status = %s RETURNING id",
            [AlarmStatus.CLOSED, [a.id for a in alarms], AlarmStatus.RAISED],
        )
        closed = {row[0] for row in cur.fetchall()}
    return [a for a in alarms if a.id in closed]


def _classify_mobile(new: list[Alarm]) -> None:
    """Seed 003: "焊机在开机作业15天内三次距离超过4公里或跨区作业的，系统将判断为流动焊机": the mobile-machine rule's
    verdict classifies the machine 流动 (`Subject.mobility`), which the welders' statistics count."""
    ids = [a.subject_id for a in new if a.type == "mobile_welder" and a.subject_id]
    if ids:
        Subject.objects.filter(id__in=ids, kind="welder").exclude(mobility="mobile").update(
            mobility="mobile", updated_at=timezone.now()
        )


class Writer:
    """Applies signals; caches enterprise codes and subject external ids between batches."""

    def __init__(self) -> None:
        self.rule_ids: set[int] = set()  # the rules of the scene the engine runs (set by the worker)
        # Rules whose alarms go to a work order as soon as they are raised: rule -> (department, to the enterprise).
        self.dispatching: dict[int, tuple[str, bool]] = {}
        self._codes: dict[int, str] = {}
        self._externals: dict[int, str] = {}

    def _code(self, enterprise_id: int | None) -> str:
        if enterprise_id is None:
            return ""
        if enterprise_id not in self._codes:
            self._codes.update(Enterprise.objects.values_list("id", "company_code"))
        return self._codes.get(enterprise_id, "")

    def _external(self, ids: tuple[int, ...]) -> list[str]:
        missing = [i for i in ids if i not in self._externals]
        if missing:
            self._externals.update(Subject.objects.filter(id__in=missing).values_list("id", "external_id"))
        return [self._externals.get(i, str(i)) for i in ids]

    def apply(self, signals: list[Signal]) -> dict[str, int]:
        """Call inside a transaction. Raises already stored (a replay after a restart) are skipped. Everything is
        written in bulk (a tick can end a thousand alarms at once) and the streams are woken once."""
        counts = {"raised": 0, "updated": 0, "ended": 0, "self_closed": 0, "suppressed": 0, "repeats": 0}
        if not signals:
            return counts
        keys = {s.key for s in signals}
        alarms = {a.key: a for a in Alarm.objects.filter(key__in=keys).select_related("subject", "zone", "permit")}
        new = self._new_alarms([s for s in signals if s.action == "raise"], alarms, counts)
        _classify_mobile(new)
        actions: list[AlarmAction] = []
        events: list[AlarmEvent] = []
        changed: dict[str, Alarm] = {}
        now = timezone.now()
        raised = {a.key for a in new}
        written: list[tuple[str, Alarm]] = []
        closing: list[Alarm] = []
        for sig in signals:
            a = alarms.get(sig.key)
            if a is None:
                continue  # an update or end for an alarm this database never had (state from another database)
            live = a.status != AlarmStatus.SUPPRESSED
            if sig.action == "raise":
                if sig.key not in raised:
                    continue
                raised.discard(sig.key)
                actions.append(
                    AlarmAction(
                        alarm=a,
                        action="raised" if live else "suppressed",
                        by_name="engine",
                        data={} if live else {"suppression": a.suppressed_by_id},
                    )
                )
                counts["raised" if live else "suppressed"] += 1
                kind = "raised"
                if a.status == AlarmStatus.DISPATCHED:  # auto-dispatched (see _dispatch)
                    data = {"work_order": a.work_order.number, "automatic": True}
                    actions.append(AlarmAction(alarm=a, action="dispatched", by_name="engine", data=data))
            elif sig.action == "update":
                if a.severity == sig.severity:
                    counts["repeats"] += 1  # replayed after a restart
                    continue
                a.severity = sig.severity or a.severity
                history = [*a.evidence.get("history", []), {"t": sig.t, "severity": sig.severity}]
                a.evidence = {**a.evidence, **sig.evidence, "history": history}
                actions.append(AlarmAction(alarm=a, action="updated", by_name="engine", data=sig.evidence))
                counts["updated"] += 1
                kind = "updated"
            elif a.ended_at is None:
                a.ended_at = when(sig.t)
                a.evidence = {**a.evidence, "end": sig.evidence}
                actions.append(AlarmAction(alarm=a, action="ended", by_name="engine", data=sig.evidence))
                counts["ended"] += 1
                kind = "ended"
                if a.status == AlarmStatus.RAISED and a.severity in SELF_CLOSING:
                    # The inbox policy (alarms.catalogue.SELF_CLOSING): ended by itself, no one acted, no action due.
                    a.status = AlarmStatus.CLOSED
                    closing.append(a)
            else:
                counts["repeats"] += 1
                continue
            if kind != "raised":
                a.updated_at = now
                changed[a.key] = a
            written.append((kind, a))  # suppressed too: the work happened, only the alarm is silenced
            if live:
                events.append(AlarmEvent(alarm=a, kind=kind, payload=serialize(a)))
                if kind != "updated":
                    relay_alarm(a, kind)
        if changed:
            _update(list(changed.values()), now)
        for a in _self_close(closing):
            actions.append(AlarmAction(alarm=a, action="closed", by_name="engine", data={"reason": SELF_CLOSED_REASON}))
            counts["self_closed"] += 1
        AlarmAction.objects.bulk_create(actions)
        if written:
            alarms_written.send(Writer, changes=written)
        if events:
            AlarmEvent.objects.bulk_create(events)
            with connection.cursor() as cur:
                cur.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(events[-1].id)])
        return counts

    def _born(self, rule: int) -> str:
        return AlarmStatus.DISPATCHED if rule in self.dispatching and rule in self.rule_ids else AlarmStatus.RAISED

    def _dispatch(self, new: list[Alarm]) -> None:
        """Work orders for the new alarms of auto-dispatching rules (seed 002: special-work alarms go to the
        department and the enterprise at once); those alarms are born dispatched."""
        now = timezone.now()
        orders = []
        for a in new:
            if a.status == AlarmStatus.DISPATCHED:
                department, to_enterprise = self.dispatching[a.rule_id]
                a.work_order = WorkOrder.for_alarm(a, department, to_enterprise, "自动派单", now)
                orders.append(a.work_order)
        WorkOrder.objects.bulk_create(orders)

    def _new_alarms(self, raises: list[Signal], alarms: dict[str, Alarm], counts: dict) -> list[Alarm]:
        """Insert the alarms not stored yet, in one statement, with their related rows at hand for serialize()."""
        new: list[Alarm] = []
        suppressions = None
        for sig in raises:
            if sig.key in alarms:
                counts["repeats"] += 1
                continue
            if suppressions is None:
                suppressions = list(Suppression.objects.filter(active=True).select_related("time_window"))
            sup = suppression_for(sig, suppressions)
            a = Alarm(
                key=sig.key,
                rule_id=sig.rule if sig.rule in self.rule_ids else None,
                type=sig.type,
                category=TYPES[sig.type].category,
                code=sig.code,
                severity=sig.severity,
                status=AlarmStatus.SUPPRESSED if sup else self._born(sig.rule),
                subject_id=sig.subject,
                subjects=self._external(sig.subjects),
                zone_id=sig.zone,
                permit_id=sig.permit,
                enterprise_id=sig.enterprise,
                company_code=self._code(sig.enterprise),
                location=Point(sig.lon, sig.lat, srid=4490) if sig.lon is not None else None,
                raised_at=when(sig.t),
                evidence=sig.evidence,
                suppressed_by=sup,
            )
            alarms[sig.key] = a
            new.append(a)
        if not new:
            return new
        for add in EVIDENCE:
            try:
                with transaction.atomic():  # a savepoint: a failed query of theirs leaves ours usable
                    add(new)
            except Exception:
                log.exception("evidence from %s failed", getattr(add, "__qualname__", add))
        Alarm.objects.bulk_create(new)
        self._dispatch(new)
        jurisdiction = set_jurisdiction([a.id for a in new])
        for a in new:
            a.district_id, a.park_id = jurisdiction.get(a.id, (None, None))
        subjects = Subject.objects.in_bulk({a.subject_id for a in new if a.subject_id})
        zones = Zone.objects.in_bulk({a.zone_id for a in new if a.zone_id})
        permits = WorkPermit.objects.in_bulk({a.permit_id for a in new if a.permit_id})
        for a in new:
            a.subject, a.zone, a.permit = subjects.get(a.subject_id), zones.get(a.zone_id), permits.get(a.permit_id)
        return new
