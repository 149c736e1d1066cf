"""Work in key areas, temporary zones and key periods kept as rows as it happens (`WorkRecord`), from the alarms the
worker writes (`alarms.store.alarms_written`, in its transaction): a welder alarm type's raise opens a record, its end
closes it with the duration. The welder is the one of the machine's last allowed start-up (扫码开机) before the work
began."""

from __future__ import annotations

from alarms.models import Alarm
from geo_core.models import DeviceEvent
from reports.models import WorkRecord

KINDS = {
    "key_area_work": WorkRecord.Kind.KEY_AREA,
    "temporary_zone_work": WorkRecord.Kind.TEMPORARY_ZONE,
    "key_period_work": WorkRecord.Kind.KEY_PERIOD,
}
PERIODS = {"key_period": "重点时段", "special_period": "特殊时段"}


def _operator(a: Alarm) -> dict:
    scan = (
        DeviceEvent.objects.filter(kind="scan", subject_id=a.subject_id, time__lte=a.raised_at, data__decision="allow")
        .order_by("-time")
        .values_list("data", flat=True)
        .first()
    ) or {}
    return {
        "operator_id": str(scan.get("operator_id") or "")[:64],
        "operator_name": str(scan.get("operator_name") or "")[:64],
        "certificate": str(scan.get("certificate") or "")[:64],
    }


def keep(sender, changes: list[tuple[str, Alarm]], **kwargs) -> None:
    opened = []
    for kind, a in changes:
        if a.type not in KINDS or a.subject_id is None:
            continue
        if kind == "raised":
            area = a.zone.name if a.zone_id and a.zone else PERIODS.get((a.evidence or {}).get("period"), "")
            opened.append(
                WorkRecord(
                    kind=KINDS[a.type],
                    alarm=a,
                    zone_id=a.zone_id,
                    area_name=area[:128],
                    machine_id=a.subject_id,
                    enterprise_id=a.enterprise_id,
                    district_id=a.district_id,
                    started_at=a.raised_at,
                    location=a.location,
                    **_operator(a),
                )
            )
        elif kind == "ended" and a.ended_at is not None:
            for r in WorkRecord.objects.filter(alarm=a, ended_at__isnull=True):
                r.ended_at = a.ended_at
                r.duration_s = max(0, round((a.ended_at - r.started_at).total_seconds()))
                r.save(update_fields=["ended_at", "duration_s"])
    WorkRecord.objects.bulk_create(opened, ignore_conflicts=True)
