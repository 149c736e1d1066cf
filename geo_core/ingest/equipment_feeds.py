"""The report API's `equipment-records` feed: an enterprise's maintenance system reports the maintenance and
inspections done on its own special equipment (seed 001: 维保记录, 检验记录), as the one-click check-in records them on
the page (geo_core.equipment_upkeep.record).

    {"REGISTRY_CODE": "31103101160000001", "KIND": "maintenance" | "inspection" (维保 / 检验),
     "DONE_TIME": "2026-12-08T09:30:00+08:00", "BY": "维保员王", "RESULT": "合格" | "不合格" (an inspection's),
     "NEXT_DUE": "2027-12-01" (a passed inspection's), "NOTES": "..."}

Each record is checked by field; a device of another enterprise (or none the service knows) is refused by its
index; the same record again (device, kind and time) counts as a duplicate."""

from __future__ import annotations

from datetime import date

from geo_core.equipment_upkeep import record as record_upkeep
from geo_core.errors import BadRequestError
from geo_core.ingest.feeds import Report, parse_each, store_each
from geo_core.ingest.records import RecordError, Rejection, choice, text, timestamp
from geo_core.models import Enterprise, SpecialEquipment, UpkeepRecord

KINDS = {"maintenance": "maintenance", "维保": "maintenance", "inspection": "inspection", "检验": "inspection"}
RESULTS = {"合格": True, "复检合格": True, "passed": True, "1": True, "不合格": False, "failed": False, "0": False}


def _record(r: dict) -> dict:
    kind = KINDS[choice(r, "KIND", set(KINDS))]
    result = r.get("RESULT")
    if kind == "inspection":
        if str(result) not in RESULTS:
            raise RecordError("RESULT", "an inspection's verdict: 合格 or 不合格")
    elif result not in (None, ""):
        raise RecordError("RESULT", "only an inspection has a verdict")
    due = text(r, "NEXT_DUE", max_length=10, optional=True)
    try:
        next_due = date.fromisoformat(due) if due else None
    except ValueError:
        raise RecordError("NEXT_DUE", f"{due!r} is not a day (YYYY-MM-DD)") from None
    passed = RESULTS[str(result)] if kind == "inspection" else None
    if passed and next_due is None:
        raise RecordError("NEXT_DUE", "a passed inspection says when the next is due")
    return {
        "code": text(r, "REGISTRY_CODE", max_length=32),
        "kind": kind,
        "at": timestamp(r, "DONE_TIME"),
        "by": text(r, "BY", max_length=128),
        "passed": passed,
        "next_due": next_due,
        "notes": text(r, "NOTES", max_length=500, optional=True),
    }


def handle_records(enterprise: Enterprise, records: list) -> Report:
    report = Report(received=len(records))
    parsed = parse_each(records, report, _record)
    devices = {
        e.registry_code: e
        for e in SpecialEquipment.objects.filter(registry_code__in={p["code"] for _, p in parsed}).select_related(
            "maintenance_unit"
        )
    }
    ok = []
    for i, p in parsed:
        e = devices.get(p["code"])
        if e is None or e.enterprise_id != enterprise.id:
            report.rejected.append(Rejection(i, "REGISTRY_CODE", f"{p['code']} is not this enterprise's equipment"))
        elif UpkeepRecord.objects.filter(equipment=e, kind=p["kind"], done_at=p["at"]).exists():
            report.duplicates += 1
        else:
            ok.append((i, {**p, "equipment": e}))

    def store(p: dict) -> None:
        try:
            record_upkeep(
                p["equipment"],
                p["kind"],
                p["by"],
                p["at"],
                passed=p["passed"],
                next_due=p["next_due"],
                notes=p["notes"],
                source="report_api",
            )
        except BadRequestError as exc:
            raise RecordError("RESULT", str(exc)) from None

    report.accepted = len(store_each(ok, report, store))
    report.rejected.sort(key=lambda r: r.index)
    return report


HANDLERS = {"equipment-records": handle_records}
