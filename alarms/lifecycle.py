"""ALM-5: raised -> acknowledged -> dispatched (a work order to the routed department and enterprise) -> resolved
-> closed. Every step records who and when, and is pushed to the streams and the relay in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from alarms.models import Alarm, AlarmAction, AlarmStatus, WorkOrder
from alarms.store import publish, relay_alarm
from geo_core.errors import ConflictError

# Which statuses each action may start from.
ALLOWED = {
    "acknowledge": {AlarmStatus.RAISED},
    "dispatch": {AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED},
    "resolve": {AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED},
    "close": {AlarmStatus.RESOLVED},
}
RESULT = {
    "acknowledge": AlarmStatus.ACKNOWLEDGED,
    "dispatch": AlarmStatus.DISPATCHED,
    "resolve": AlarmStatus.RESOLVED,
    "close": AlarmStatus.CLOSED,
}
PAST = {"acknowledge": "acknowledged", "dispatch": "dispatched", "resolve": "resolved", "close": "closed"}


OPEN = {AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED}


def confirm(alarm_id: int, user, comment: str) -> Alarm:
    """Seed 003 预警确认: the enterprise concerned confirms it has received an alarm, with its feedback; the status
    does not change, the supervisor sees who confirmed and what they said."""
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update(of=("self",)).get(pk=alarm_id)
        if alarm.status not in OPEN:
            raise ConflictError(f"alarm {alarm.id} is {alarm.status}; only open alarms are confirmed")
        now = timezone.now()
        alarm.confirmations = [
            *alarm.confirmations,
            {"by": user.get_username(), "at": now.isoformat(), "comment": comment},
        ]
        alarm.save(update_fields=["confirmations", "updated_at"])
        AlarmAction.objects.create(
            alarm=alarm, action="confirmed", by=user, by_name=user.get_username(), comment=comment
        )
        publish(alarm, "confirmed")
    return alarm


def act(
    alarm_id: int, action: str, user, comment: str = "", department: str | None = None, assignees: list | None = None
) -> Alarm:
    if action not in ALLOWED:
        raise ConflictError(f"unknown action {action!r}; one of {', '.join(ALLOWED)}")
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update(of=("self",)).select_related("rule").get(pk=alarm_id)
        if alarm.status not in ALLOWED[action]:
            raise ConflictError(
                f"alarm {alarm.id} is {alarm.status}; {action} needs it {' or '.join(sorted(ALLOWED[action]))}"
            )
        now = timezone.now()
        data = {}
        if action == "dispatch":
            dept = department or (alarm.rule.route_department if alarm.rule else "") or "安全监管科"
            to_enterprise = alarm.rule.route_enterprise if alarm.rule else True
            wo = WorkOrder.for_alarm(alarm, dept, to_enterprise, comment, now)
            wo.assignees = assignees or []
            wo.save()
            data = {"work_order": wo.number, "department": dept, "enterprise": alarm.company_code}
            if wo.assignees:
                data["assignees"] = wo.assignees
        elif action in ("resolve", "close"):
            wo = WorkOrder.objects.filter(alarm=alarm).first()
            if wo is not None:
                wo.status = WorkOrder.Status.RESOLVED if action == "resolve" else WorkOrder.Status.CLOSED
                if action == "resolve":
                    wo.resolution, wo.resolved_at = comment, now
                wo.save()
        alarm.status = RESULT[action]
        alarm.save(update_fields=["status", "updated_at"])
        AlarmAction.objects.create(
            alarm=alarm, action=PAST[action], by=user, by_name=user.get_username(), comment=comment, data=data
        )
        alarm.refresh_from_db()
        publish(alarm, PAST[action])
        relay_alarm(alarm, PAST[action])
    return alarm
