"""The contractor feeds of the report API (seed 002's contractor interfaces: units, staff, qualifications, training,
vehicles) and the filings: staff filed for the reporting enterprise (报备), and its daily commitment (承诺报备).

What an enterprise may write: units it engages (a unit is the park's: its name and contact are kept as first
reported, the park edits them), their staff, certificates, training and vehicles, and filings for itself only. The
park's own certification (`Qualification.PARK`, park_certified) is never taken from a report."""

from __future__ import annotations

from datetime import UTC, date, datetime

from geo_core.ingest.feeds import Report, parse_each, store_each
from geo_core.ingest.records import RecordError, credit_code, day, flag, identity, number, text, timestamp
from geo_core.models import (
    Contractor,
    ContractorStaff,
    ContractorVehicle,
    DailyFiling,
    Enterprise,
    Qualification,
    StaffFiling,
    Training,
)
from geo_core.permit_codes import TICKET_TYPES


def _validity(record: dict, start: str, end: str) -> tuple[date, date]:
    a, b = day(record, start), day(record, end)
    if b < a:
        raise RecordError(end, f"{b} is before {start} {a}")
    return a, b


def _engaged(enterprise: Enterprise, code: str, field: str = "CONTRACTOR_CODE") -> Contractor:
    """The unit, if this enterprise engages it (reported it to the contractors feed)."""
    unit = Contractor.objects.filter(credit_code=code).first()
    if unit is None:
        raise RecordError(field, f"unit {code} is unknown: report it to the contractors feed first")
    if not unit.enterprises.filter(pk=enterprise.pk).exists():
        raise RecordError(field, f"unit {code} is not engaged by {enterprise.company_code}: report it first")
    return unit


def _staff(unit: Contractor, sha: str, field: str = "IDENTIFY_NUM") -> ContractorStaff:
    found = ContractorStaff.objects.filter(contractor=unit, identify_sha256=sha).first()
    if found is None:
        raise RecordError(field, f"no staff of unit {unit.credit_code} with this ID number: report them first")
    return found


def _run(records: list, parse, store, extra: dict | None = None) -> Report:
    report = Report(received=len(records))
    stored = store_each(parse_each(records, report, parse), report, store)
    report.accepted = len(stored)
    report.extra = extra if extra is not None else {}
    return report


def handle_contractors(enterprise: Enterprise, records: list) -> Report:
    counts = {"created": 0}

    def parse(r: dict) -> dict:
        return {
            "code": credit_code(r, "CONTRACTOR_CODE"),
            "name": text(r, "CONTRACTOR_NAME", max_length=200),
            "contact": text(r, "CONTACT", max_length=64, optional=True),
            "phone": text(r, "PHONE", max_length=20, optional=True),
        }

    def store(p: dict) -> None:
        unit, created = Contractor.objects.get_or_create(
            credit_code=p["code"], defaults={"name": p["name"], "contact": p["contact"], "phone": p["phone"]}
        )
        counts["created"] += created
        unit.enterprises.add(enterprise)

    return _run(records, parse, store, counts)


def handle_staff(enterprise: Enterprise, records: list) -> Report:
    def parse(r: dict) -> dict:
        return {
            "code": credit_code(r, "CONTRACTOR_CODE"),
            "name": text(r, "PERSON_NAME", max_length=64),
            "identify": identity(r, "IDENTIFY_NUM"),
            "trade": text(r, "TRADE", max_length=64, optional=True),
            "deleted": flag(r, "DELETED"),
        }

    def store(p: dict) -> None:
        unit = _engaged(enterprise, p["code"])
        masked, sha = p["identify"]
        ContractorStaff.objects.update_or_create(
            contractor=unit,
            identify_sha256=sha,
            defaults={"name": p["name"], "identify_masked": masked, "trade": p["trade"], "active": not p["deleted"]},
        )

    return _run(records, parse, store)


def handle_qualifications(enterprise: Enterprise, records: list) -> Report:
    def parse(r: dict) -> dict:
        kind = text(r, "KIND", max_length=64)
        if kind == Qualification.PARK:
            raise RecordError("KIND", f"{kind} is recorded by the park, not reported by an enterprise")
        return {
            "code": credit_code(r, "CONTRACTOR_CODE"),
            "identify": identity(r, "IDENTIFY_NUM", optional=True),
            "kind": kind,
            "number": text(r, "NUMBER", max_length=64),
            "validity": _validity(r, "VALID_FROM", "VALID_UNTIL"),
        }

    def store(p: dict) -> None:
        unit = _engaged(enterprise, p["code"])
        staff = _staff(unit, p["identify"][1]) if p["identify"] else None
        existing = Qualification.objects.filter(contractor=unit, kind=p["kind"], number=p["number"]).first()
        if existing is not None and existing.park_certified:
            raise RecordError("NUMBER", "this certificate carries the park's certification: the park changes it")
        Qualification.objects.update_or_create(
            contractor=unit,
            kind=p["kind"],
            number=p["number"],
            defaults={"staff": staff, "valid_from": p["validity"][0], "valid_until": p["validity"][1]},
        )

    return _run(records, parse, store)


def handle_trainings(enterprise: Enterprise, records: list) -> Report:
    def parse(r: dict) -> dict:
        return {
            "code": credit_code(r, "CONTRACTOR_CODE"),
            "identify": identity(r, "IDENTIFY_NUM"),
            "course": text(r, "COURSE", max_length=128),
            "validity": _validity(r, "COMPLETED_ON", "VALID_UNTIL"),
            "passed": flag(r, "PASSED", default=True),
            "score": number(r, "SCORE", optional=True, lo=0, hi=1000),
        }

    def store(p: dict) -> None:
        staff = _staff(_engaged(enterprise, p["code"]), p["identify"][1])
        Training.objects.update_or_create(
            staff=staff,
            course=p["course"],
            completed_on=p["validity"][0],
            defaults={"valid_until": p["validity"][1], "passed": p["passed"], "score": p["score"]},
        )

    return _run(records, parse, store)


def handle_vehicles(enterprise: Enterprise, records: list) -> Report:
    def parse(r: dict) -> dict:
        return {
            "code": credit_code(r, "CONTRACTOR_CODE"),
            "plate": text(r, "PLATE", max_length=16).upper(),
            "kind": text(r, "TYPE", max_length=32, optional=True),
        }

    def store(p: dict) -> None:
        unit = _engaged(enterprise, p["code"])
        vehicle = ContractorVehicle.objects.filter(plate=p["plate"]).first()
        if vehicle is not None and vehicle.contractor_id != unit.id:
            raise RecordError("PLATE", f"{p['plate']} is registered to another unit")
        ContractorVehicle.objects.update_or_create(
            plate=p["plate"], defaults={"contractor": unit, "kind": p["kind"], "confirmed_by": enterprise}
        )

    return _run(records, parse, store)


def handle_staff_filings(enterprise: Enterprise, records: list) -> Report:
    """Staff filed for the reporting enterprise only: a filing names its staff by ID number."""

    def parse(r: dict) -> dict:
        ids = r.get("IDENTIFY_NUMS")
        if not isinstance(ids, list) or not ids or len(ids) > 1000:
            raise RecordError("IDENTIFY_NUMS", "must be a list of 1 to 1000 ID numbers")
        return {
            "code": credit_code(r, "CONTRACTOR_CODE"),
            "project": text(r, "PROJECT", max_length=128),
            "staff": [identity({f"IDENTIFY_NUMS[{k}]": v}, f"IDENTIFY_NUMS[{k}]")[1] for k, v in enumerate(ids)],
            "validity": _validity(r, "VALID_FROM", "VALID_UNTIL"),
        }

    def store(p: dict) -> None:
        unit = _engaged(enterprise, p["code"])
        found = dict(
            ContractorStaff.objects.filter(contractor=unit, identify_sha256__in=p["staff"]).values_list(
                "identify_sha256", "id"
            )
        )
        missing = [k for k, sha in enumerate(p["staff"]) if sha not in found]
        if missing:
            raise RecordError(f"IDENTIFY_NUMS[{missing[0]}]", f"no staff of unit {unit.credit_code} with this number")
        filing, _ = StaffFiling.objects.update_or_create(
            enterprise=enterprise,
            contractor=unit,
            project=p["project"],
            defaults={"valid_from": p["validity"][0], "valid_until": p["validity"][1]},
        )
        filing.staff.set(found.values())

    return _run(records, parse, store)


def handle_daily_filings(enterprise: Enterprise, records: list) -> Report:
    def parse(r: dict) -> dict:
        work = r.get("SPECIAL_WORK", {})
        if not isinstance(work, dict):
            raise RecordError("SPECIAL_WORK", "must be an object: ticket type -> count")
        for k, v in work.items():
            if k not in TICKET_TYPES:
                raise RecordError(f"SPECIAL_WORK.{k}", f"{k!r} is not a ticket type of AQ 3064.2")
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10_000:
                raise RecordError(f"SPECIAL_WORK.{k}", "must be a count from 0 to 10000")
        return {
            "day": day(r, "DAY"),
            "work": work,
            "commitment": text(r, "COMMITMENT", max_length=2000, optional=True),
            "person": text(r, "PERSON_IN_CHARGE", max_length=64, optional=True),
            "filed_at": timestamp(r, "FILE_TIME", optional=True) or datetime.now(UTC),
        }

    def store(p: dict) -> None:
        DailyFiling.objects.update_or_create(
            enterprise=enterprise,
            day=p["day"],
            defaults={
                "special_work": p["work"],
                "commitment": p["commitment"],
                "person_in_charge": p["person"],
                "filed_at": p["filed_at"],
            },
        )

    return _run(records, parse, store)


HANDLERS = {
    "contractors": handle_contractors,
    "contractor-staff": handle_staff,
    "contractor-qualifications": handle_qualifications,
    "contractor-trainings": handle_trainings,
    "contractor-vehicles": handle_vehicles,
    "staff-filings": handle_staff_filings,
    "daily-filings": handle_daily_filings,
}
