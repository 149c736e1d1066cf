"""The report API's tables (AQ 3064.3 Annex B, AQ 3064.2): records in, stored rows out, one handler per feed.

Each handler gets the reporting enterprise and the records, stores the good ones and returns a Report listing
every rejected record with its index, field and reason. Field names are the standards' (upper case).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import numpy as np
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point, WKBWriter
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from coord_transform import TransformError, transform
from geo_core.ingest.normalize import to_cgcs2000
from geo_core.ingest.records import (
    HEIGHT_RANGE,
    VIDEO_SCHEMES,
    WEB_SCHEMES,
    RecordError,
    Rejection,
    check_shape,
    choice,
    credit_code,
    flag,
    identity,
    link,
    number,
    text,
    text_list,
    timestamp,
    whole,
)
from geo_core.ingest.writer import FixBatch, WriteResult, notify_events, write_fixes
from geo_core.models import (
    Contractor,
    Enterprise,
    GasTest,
    PermitAttachment,
    ReportedAlarm,
    ReportedGathering,
    Site,
    Subject,
    TimeWindow,
    WorkPermit,
    Zone,
)
from geo_core.models.positions import Source
from geo_core.permit_codes import STATUSES, TICKET_TYPES
from geo_core.validation import MAX_FENCE_VERTICES, as_multipolygon, validate_geometry

PERSON_TYPES = {"01", "02", "03"}
DEFAULT_CRS = "cgcs2000"
MAX_VERTICES = MAX_FENCE_VERTICES
# Fence kinds an enterprise reports for itself; the others (key places) are the park's or the city's to draw.
ENTERPRISE_ZONE_KINDS = {"forbidden", "work_area", "post", "muster_point", "site_boundary", "temporary"}
SITE_TOLERANCE_M = 10.0  # an enterprise's fence may stick out of its site footprints by this much (survey error)


@dataclass
class Report:
    received: int
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    relay: list[dict] = field(default_factory=list)  # what goes to the city bureau

    def as_dict(self) -> dict[str, object]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
            **self.extra,
        }


def parse_each(records: list, report: Report, parse) -> list[tuple[int, object]]:
    """Run parse(record) on each record; RecordErrors become rejections. Returns [(index, parsed)]."""
    good = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            report.rejected.append(Rejection(i, "", "a record must be a JSON object"))
            continue
        try:
            check_shape(record)
            good.append((i, parse(record)))
        except RecordError as exc:
            report.rejected.append(Rejection(i, exc.field, exc.reason))
    return good


def store_each(parsed: list[tuple[int, dict]], report: Report, store) -> list[tuple[int, dict]]:
    """store(parsed record) for each, each in its own savepoint: a record the database refuses (a value out of its
    range, a clash) is rejected alone and the others are kept. Returns the records stored."""
    stored = []
    for i, p in parsed:
        try:
            with transaction.atomic():
                store(p)
            stored.append((i, p))
        except RecordError as exc:
            report.rejected.append(Rejection(i, exc.field, exc.reason))
        except DatabaseError as exc:
            report.rejected.append(Rejection(i, "", f"refused by the database: {str(exc).splitlines()[0][:200]}"))
    report.rejected.sort(key=lambda r: r.index)
    return stored


def _subject_ids(enterprise: Enterprise, external_ids: set[str], provisional: bool = True) -> dict[str, int]:
    """Person ids -> subject ids; people not yet registered get a provisional subject, flagged, so their
    positions are kept rather than lost (ING-1)."""
    found = dict(
        Subject.objects.filter(enterprise=enterprise, external_id__in=external_ids).values_list("external_id", "id")
    )
    missing = external_ids - found.keys()
    if missing and provisional:
        Subject.objects.bulk_create(
            [Subject(kind="person", external_id=e, enterprise=enterprise, provisional=True) for e in sorted(missing)],
            ignore_conflicts=True,
        )
        found.update(
            Subject.objects.filter(enterprise=enterprise, external_id__in=missing).values_list("external_id", "id")
        )
    return found


# --- positions ------------------------------------------------------------------------------------------------


def _position(record: dict) -> dict:
    now = datetime.now(UTC)
    return {
        "person": text(record, "PERSON_ID", max_length=64),
        "time": timestamp(record, "TIME_STAMP", now=now),
        "x": number(record, "LONGITUDE"),
        "y": number(record, "LATITUDE"),
        "z": number(record, "HEIGHT", optional=True, lo=HEIGHT_RANGE[0], hi=HEIGHT_RANGE[1]),
        "floor": whole(record, "FLOOR", optional=True, lo=-10, hi=300),
        "accuracy": number(record, "ACCURACY", optional=True, lo=0, hi=100_000),
        "crs": text(record, "CRS", max_length=32, optional=True) or DEFAULT_CRS,
    }


def positions_batch(
    parsed: list[tuple[int, dict]], report: Report, subject_ids: dict[str, int], source: str
) -> tuple[FixBatch, list[int]]:
    """Parsed position records -> a FixBatch in CGCS2000; conversion failures are added to the report."""
    x = np.array([p["x"] for _, p in parsed], dtype=float)
    y = np.array([p["y"] for _, p in parsed], dtype=float)
    z = np.array([np.nan if p["z"] is None else p["z"] for _, p in parsed], dtype=float)
    crs = [p["crs"] for _, p in parsed]
    lon, lat, _, errors = to_cgcs2000(x, y, None, crs)
    for k, (fld, reason) in sorted(errors.items()):
        report.rejected.append(Rejection(parsed[k][0], fld, reason))
    keep = np.array([k for k in range(len(parsed)) if k not in errors], dtype=int)
    rows = [parsed[k][1] for k in keep]

    def opt(key):
        return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)

    batch = FixBatch(
        subject_id=np.array([subject_ids[r["person"]] for r in rows], dtype=np.int64),
        time=[r["time"] for r in rows],
        lon=lon[keep],
        lat=lat[keep],
        source=source,
        raw_x=x[keep],
        raw_y=y[keep],
        raw_crs=[r["crs"] for r in rows],
        z=z[keep],
        raw_z=z[keep],
        accuracy_m=opt("accuracy"),
        floor=opt("floor"),
    )
    return batch, [parsed[k][0] for k in keep]


def handle_positions(enterprise: Enterprise, records: list) -> Report:
    report = Report(received=len(records))
    parsed = parse_each(records, report, _position)
    if not parsed:
        return report
    with transaction.atomic():
        ids = _subject_ids(enterprise, {p["person"] for _, p in parsed})
        batch, _ = positions_batch(parsed, report, ids, Source.REPORT_API)
        result: WriteResult = write_fixes(batch)
    report.accepted = result.inserted
    report.duplicates = result.duplicates
    report.extra = {
        "batch": result.batch_id,
        "live_updated": result.states_updated,
        "history_only": result.history_only,
    }
    if result.inserted:
        report.relay.append(
            {
                "batch": result.batch_id,
                "first": result.first.isoformat(),
                "last": result.last.isoformat(),
                "count": result.inserted,
            }
        )
    report.rejected.sort(key=lambda r: r.index)
    return report


# --- personnel (B.1) ------------------------------------------------------------------------------------------


def _person(record: dict, shifts: dict[str, int]) -> dict:
    shift = text(record, "SHIFT", max_length=128, optional=True) if "SHIFT" in record else None
    if shift and shift not in shifts:
        known = ", ".join(sorted(shifts)) or "none is set up"
        raise RecordError("SHIFT", f"no shift (time window of purpose 'shift') named {shift!r}; known: {known}")
    identify = identity(record, "IDENTIFY_NUM", optional=True)
    gender = choice(record, "GENDER", {"0", "1"}, optional=True)
    birthday = text(record, "BIRTHDAY", max_length=10, optional=True)
    if birthday:
        try:
            datetime.strptime(birthday, "%Y-%m-%d")
        except ValueError:
            raise RecordError("BIRTHDAY", f"{birthday!r} is not a date YYYY-MM-DD") from None
    attributes = {
        "position": text(record, "POSITION_NAME", max_length=64, optional=True),
        "department": text(record, "AFFILIATED_DEPARTMENT", max_length=64, optional=True),
        "mobile": text(record, "MOBILE_NUMBER", max_length=20, optional=True),
        "gender": gender,
        "birthday": birthday,
    }
    if identify:
        attributes["identify_masked"], attributes["identify_sha256"] = identify
    return {
        "id": text(record, "ID", max_length=64),
        "name": text(record, "PERSON_NAME", max_length=64),
        "type": choice(record, "PERSON_TYPE", PERSON_TYPES),
        "deleted": flag(record, "DELETED"),
        "attributes": {k: v for k, v in attributes.items() if v},
        # Absent: the shift stays as it is; given empty: no shift (always on duty).
        **({"shift": shifts.get(shift)} if shift is not None else {}),
    }


def handle_personnel(enterprise: Enterprise, records: list) -> Report:
    report = Report(received=len(records))
    shifts = dict(TimeWindow.objects.filter(purpose="shift").values_list("name", "id"))
    parsed = parse_each(records, report, partial(_person, shifts=shifts))
    with transaction.atomic():
        existing = {
            s.external_id: s
            for s in Subject.objects.filter(enterprise=enterprise, external_id__in=[p["id"] for _, p in parsed])
        }
        new, changed = [], []
        for _, p in parsed:
            s = existing.get(p["id"])
            if s is None:
                s = Subject(kind="person", external_id=p["id"], enterprise=enterprise)
                new.append(s)
                existing[p["id"]] = s
            elif s.kind != "person":
                continue
            else:
                changed.append(s)
            s.name, s.person_type, s.active, s.provisional = p["name"], p["type"], not p["deleted"], False
            s.attributes = {**s.attributes, **p["attributes"]}
            if "shift" in p:
                s.shift_id = p["shift"]
        Subject.objects.bulk_create(new, batch_size=2000)
        Subject.objects.bulk_update(
            changed, ["name", "person_type", "active", "provisional", "attributes", "shift"], batch_size=2000
        )
    report.accepted = len(parsed)
    report.extra = {"created": len(new), "updated": len(changed)}
    report.relay = [
        {"ID": p["id"], "PERSON_NAME": p["name"], "PERSON_TYPE": p["type"], "DELETED": int(p["deleted"])}
        for _, p in parsed
    ]
    return report


# --- zones (B.2) ----------------------------------------------------------------------------------------------


def parse_geo(value: object, crs: str) -> GEOSGeometry:
    """GEO as GeoJSON, WKT, or a coordinate list ("lon,lat;lon,lat;..." or [[lon, lat], ...]) in `crs`."""
    tried = []
    geom = None
    if isinstance(value, dict):
        tried.append("GeoJSON")
        try:
            geom = GEOSGeometry(json.dumps(value))
        except (GEOSException, GDALException, ValueError, TypeError):
            geom = None
    elif isinstance(value, list):
        if len(value) > MAX_VERTICES:
            raise RecordError("GEO", f"{len(value)} vertices; at most {MAX_VERTICES} per fence")
        tried.append("coordinate list")
        try:
            ring = [(float(p[0]), float(p[1])) for p in value]
            geom = GEOSGeometry(
                json.dumps({"type": "Polygon", "coordinates": [ring + ring[:1] if ring[0] != ring[-1] else ring]})
            )
        except (GEOSException, GDALException, ValueError, TypeError, IndexError):
            geom = None
    elif isinstance(value, str):
        s = value.strip()
        if s.startswith("{"):
            tried.append("GeoJSON")
            try:
                geom = GEOSGeometry(s)
            except (GEOSException, GDALException, ValueError):
                geom = None
        elif s[:1].isalpha():
            tried.append("WKT")
            try:
                geom = GEOSGeometry(s)
            except (GEOSException, GDALException, ValueError):
                geom = None
        else:
            tried.append("coordinate list lon,lat;lon,lat;...")
            try:
                pairs = [tuple(float(v) for v in p.replace(" ", ",").split(",") if v) for p in s.split(";") if p]
                return parse_geo([list(p) for p in pairs], crs)
            except (ValueError, RecordError):
                geom = None
    if geom is None:
        raise RecordError("GEO", f"could not be read as {' or '.join(tried) or 'GeoJSON, WKT or a coordinate list'}")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise RecordError("GEO", f"must be a polygon, got {geom.geom_type}")
    if geom.empty:
        raise RecordError("GEO", "is an empty polygon")
    if geom.num_coords > MAX_VERTICES:
        raise RecordError("GEO", f"{geom.num_coords} vertices; at most {MAX_VERTICES} per fence")
    if geom.hasz:  # a fence is a plan; its height comes as FLOOR (or the zone's height range), not as Z
        writer = WKBWriter()
        writer.outdim = 2
        geom = GEOSGeometry(writer.write(geom))
    if crs != DEFAULT_CRS:
        coords = np.array(geom.coords[0] if geom.geom_type == "Polygon" else [], dtype=float)
        if geom.geom_type != "Polygon" or coords.size == 0:
            raise RecordError("GEO", "only single polygons can be converted from another CRS")
        try:
            r = transform(coords[:, 0], coords[:, 1], crs, DEFAULT_CRS)
        except TransformError as exc:
            raise RecordError(
                "GEO", f"vertex {exc.index}: {exc.reason}" if exc.index is not None else exc.reason
            ) from None
        geom = GEOSGeometry(json.dumps({"type": "Polygon", "coordinates": [np.column_stack([r.x, r.y]).tolist()]}))
    geom.srid = 4490
    try:
        validate_geometry(geom)
    except ValidationError as exc:
        raise RecordError("GEO", exc.messages[0]) from None
    return as_multipolygon(geom)


def _zone(record: dict) -> dict:
    crs = text(record, "CRS", max_length=32, optional=True) or DEFAULT_CRS
    zone_type = choice(record, "ZONE_TYPE", {"0", "1"})
    kinds = {k for k, _ in Zone.Kind.choices}
    kind = choice(record, "ZONE_KIND", kinds, optional=True) or ("temporary" if zone_type == "0" else "work_area")
    return {
        "id": text(record, "ID", max_length=64),
        "name": text(record, "ZONE_NAME", max_length=128),
        "kind": kind,
        "geom": parse_geo(record.get("GEO"), crs) if record.get("GEO") not in (None, "") else _missing("GEO"),
        "floor": whole(record, "FLOOR", optional=True, lo=-10, hi=300),
        "deleted": flag(record, "DELETED"),
    }


def _missing(field_name: str):
    raise RecordError(field_name, "is required")


def own_ground(enterprise: Enterprise) -> GEOSGeometry | None:
    """The enterprise's site footprints grown by SITE_TOLERANCE_M: where it may put fences."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_AsBinary(ST_Buffer(ST_Union(footprint)::geography, %s)::geometry) "
            "FROM geo_core_site WHERE enterprise_id = %s",
            [SITE_TOLERANCE_M, enterprise.id],
        )
        row = cur.fetchone()
    return GEOSGeometry(memoryview(bytes(row[0])), srid=4490) if row and row[0] else None


def handle_zones(enterprise: Enterprise, records: list) -> Report:
    """B.2 fences of the reporting enterprise: only the kinds an enterprise draws, and only on its own sites."""
    report = Report(received=len(records))
    parsed = parse_each(records, report, _zone)
    ground = own_ground(enterprise) if parsed else None
    created = 0
    ok: list[tuple[int, dict]] = []
    for i, z in parsed:
        if z["kind"] not in ENTERPRISE_ZONE_KINDS:
            why = f"{z['kind']!r} fences are the park's to draw; enterprises report {sorted(ENTERPRISE_ZONE_KINDS)}"
            report.rejected.append(Rejection(i, "ZONE_KIND", why))
        elif ground is None or not ground.covers(z["geom"]):
            why = f"lies outside the enterprise's own sites (more than {SITE_TOLERANCE_M:.0f} m beyond them)"
            report.rejected.append(Rejection(i, "GEO", why))
        else:
            ok.append((i, z))

    def store(z: dict) -> None:
        nonlocal created
        _, was_created = Zone.objects.update_or_create(
            enterprise=enterprise,
            external_id=z["id"],
            defaults={
                "name": z["name"],
                "kind": z["kind"],
                "geom": z["geom"],
                "active": not z["deleted"],
                "floor": None if z["floor"] is None else int(z["floor"]),
            },
        )
        created += was_created

    with transaction.atomic():
        parsed = store_each(ok, report, store)
    report.accepted = len(parsed)
    report.extra = {"created": created, "updated": len(parsed) - created}
    report.relay = [
        {
            "ID": z["id"],
            "ZONE_NAME": z["name"],
            "ZONE_TYPE": "0" if z["kind"] == "temporary" else "1",
            "GEO": z["geom"].wkt,
            "DELETED": int(z["deleted"]),
        }
        for _, z in parsed
    ]
    return report


# --- enterprise-raised alarms and gatherings (B.3, B.4, B.5) -------------------------------------------------------


def _alarm(kind: str):
    types = {"0", "1", "2", "3", "4"} if kind == "person" else {"1", "2", "3"}

    def parse(record: dict) -> dict:
        return {
            "id": text(record, "ID", max_length=64),
            "person": text(record, "PERSON_ID", max_length=64) if kind == "person" else "",
            "zone": text(record, "ZONE_ID", max_length=64, optional=kind == "person"),
            "type": choice(record, "ALARM_TYPE", types),
            "time": timestamp(record, "ALARM_TIME"),
            "end": timestamp(record, "ALARM_END_TIME", optional=True),
            "describe": text(record, "DESCRIBE", max_length=2000, optional=True),
            "deleted": flag(record, "DELETED"),
            "raw": record,
        }

    return parse


def _handle_alarms(enterprise: Enterprise, records: list, kind: str) -> Report:
    report = Report(received=len(records))
    parsed = parse_each(records, report, _alarm(kind))
    with transaction.atomic():
        people = _subject_ids(enterprise, {a["person"] for _, a in parsed if a["person"]})
        zones = dict(
            Zone.objects.filter(enterprise=enterprise, external_id__in={a["zone"] for _, a in parsed}).values_list(
                "external_id", "id"
            )
        )

        def store(a: dict) -> None:
            ReportedAlarm.objects.update_or_create(
                enterprise=enterprise,
                kind=kind,
                external_id=a["id"],
                defaults={
                    "alarm_type": a["type"],
                    "subject_id": people.get(a["person"]),
                    "zone_id": zones.get(a["zone"]),
                    "alarm_time": a["time"],
                    "alarm_end_time": a["end"],
                    "describe": a["describe"],
                    "deleted": a["deleted"],
                    "raw": a["raw"],
                },
            )

        parsed = store_each(parsed, report, store)
        if any(a["type"] == "0" for _, a in parsed) and kind == "person":
            notify_events()  # an SOS: the alarm worker looks at once
    report.accepted = len(parsed)
    report.relay = [a["raw"] for _, a in parsed]
    return report


def handle_person_alarms(enterprise: Enterprise, records: list) -> Report:
    return _handle_alarms(enterprise, records, "person")


def handle_zone_alarms(enterprise: Enterprise, records: list) -> Report:
    return _handle_alarms(enterprise, records, "zone")


def _gathering(record: dict) -> dict:
    area = record.get("ALARM_AREA")
    if not isinstance(area, list) or not area:
        raise RecordError("ALARM_AREA", "must be a non-empty list of {NAME, PERSONTYPE, PERSONID, X, Y}")
    crs = text(record, "CRS", max_length=32, optional=True) or DEFAULT_CRS
    members = []
    for k, m in enumerate(area):
        if not isinstance(m, dict):
            raise RecordError(f"ALARM_AREA[{k}]", "must be an object")
        try:
            members.append(
                {
                    "name": text(m, "NAME", max_length=64, optional=True),
                    "person_type": choice(m, "PERSONTYPE", PERSON_TYPES, optional=True),
                    "person_id": text(m, "PERSONID", max_length=64),
                    "x": number(m, "X"),
                    "y": number(m, "Y"),
                }
            )
        except RecordError as exc:
            raise RecordError(f"ALARM_AREA[{k}].{exc.field}", exc.reason) from None
    xs = np.array([m["x"] for m in members])
    ys = np.array([m["y"] for m in members])
    lon, lat, _, errors = to_cgcs2000(xs, ys, None, [crs] * len(members), {"x": "X", "y": "Y", "z": "Z", "crs": "CRS"})
    if errors:
        k, (fld, reason) = next(iter(sorted(errors.items())))
        raise RecordError(f"ALARM_AREA[{k}].{fld}", reason)
    for m, a, b in zip(members, lon.tolist(), lat.tolist(), strict=True):
        m["lon"], m["lat"] = a, b
        del m["x"], m["y"]
    return {
        "time": timestamp(record, "TIME_STAMP"),
        "last": text(record, "ALARM_LAST_TIME", max_length=32, optional=True),
        "members": members,
        "centre": Point(float(lon.mean()), float(lat.mean()), srid=4490),
        "raw": record,
    }


def handle_gatherings(enterprise: Enterprise, records: list) -> Report:
    report = Report(received=len(records))
    parsed = parse_each(records, report, _gathering)
    with transaction.atomic():
        parsed = store_each(
            parsed,
            report,
            lambda g: ReportedGathering.objects.update_or_create(
                enterprise=enterprise,
                time=g["time"],
                defaults={"last_time": g["last"], "members": g["members"], "centre": g["centre"], "raw": g["raw"]},
            ),
        )
    report.accepted = len(parsed)
    report.relay = [g["raw"] for _, g in parsed]
    return report


# --- permits (AQ 3064.2) --------------------------------------------------------------------------------------


def _links(record: dict, name: str) -> list[dict]:
    value = record.get(name) or []
    if not isinstance(value, list):
        raise RecordError(name, "must be a list of {URL, NAME}")
    out = []
    for k, item in enumerate(value):
        if not isinstance(item, dict) or not item.get("URL"):
            raise RecordError(f"{name}[{k}]", "needs a URL")
        out.append(
            {
                "url": link(item, "URL", f"{name}[{k}].URL", VIDEO_SCHEMES if name == "VIDEOS" else WEB_SCHEMES),
                "name": str(item.get("NAME", ""))[:200],
                "content_type": str(item.get("TYPE", ""))[:100],
                "size": int(number(item, "SIZE", optional=True, lo=0, hi=2**62) or 0) or None,
            }
        )
    return out


def _permit(record: dict) -> dict:
    start = timestamp(record, "STARTTIME", planned=True)
    end = timestamp(record, "ENDTIME", planned=True)
    if end <= start:
        raise RecordError("ENDTIME", "must be after STARTTIME")
    gas = []
    if record.get("GASNAME"):
        gas.append(
            {
                "gas_name": text(record, "GASNAME", max_length=32),
                "sampled_at": timestamp(record, "GASTIME"),
                "value": number(record, "GASVALUE"),
                "unit": text(record, "GASUNIT", max_length=16, optional=True),
                "qualified": not flag(record, "GASUNQUALIFIED"),
            }
        )
    return {
        "id": text(record, "ID", max_length=64),
        "type": choice(record, "TICKETTYPE", set(TICKET_TYPES)),
        "status": int(choice(record, "STATUS", {str(k) for k in STATUSES})),
        "content": text(record, "CONTENT", max_length=2000, optional=True),
        "x": number(record, "LONGITUDE"),
        "y": number(record, "LATITUDE"),
        "crs": text(record, "CRS", max_length=32, optional=True) or DEFAULT_CRS,
        "start": start,
        "end": end,
        "actual_start": timestamp(record, "ACTUALSTARTTIME", optional=True),
        "actual_end": timestamp(record, "ACTUALENDTIME", optional=True),
        "issued": timestamp(record, "ISSUETIME", optional=True),
        "supervisor": text(record, "SUPERVISORNAME", max_length=64, optional=True),
        "contractor": flag(record, "ISCONTRACTORWORK"),
        "contractor_code": credit_code(record, "CONTRACTOR_CODE", optional=True),
        "upgraded": flag(record, "UPGRADED"),
        "guardian": text(record, "GUARDIAN_ID", max_length=64, optional=True),
        "approver": text(record, "APPROVER_ID", max_length=64, optional=True),
        "workers": text_list(record, "WORKER_IDS"),
        "gas": gas,
        "videos": _links(record, "VIDEOS"),
        "attachments": _links(record, "ATTACHMENTS"),
        "deleted": flag(record, "DELETED"),
        "raw": record,
    }


def handle_permits(enterprise: Enterprise, records: list) -> Report:
    report = Report(received=len(records))
    parsed = parse_each(records, report, _permit)
    if not parsed:
        return report
    lon, lat, _, errors = to_cgcs2000(
        np.array([p["x"] for _, p in parsed]),
        np.array([p["y"] for _, p in parsed]),
        None,
        [p["crs"] for _, p in parsed],
    )
    for k, (fld, reason) in sorted(errors.items()):
        report.rejected.append(Rejection(parsed[k][0], fld, reason))
    created = 0
    with transaction.atomic():
        # A permit names people the enterprise has registered (personnel feed): an unknown id is refused with the
        # record, never made a provisional person (a permit's list is no way to create people; issue 24).
        people = _subject_ids(
            enterprise,
            {i for _, p in parsed for i in [p["guardian"], p["approver"], *p["workers"]] if i},
            provisional=False,
        )
        located = [
            (i, {**p, "location": Point(float(lon[k]), float(lat[k]), srid=4490)})
            for k, (i, p) in enumerate(parsed)
            if k not in errors
        ]

        def store(p: dict) -> None:
            nonlocal created
            for field, ids in (
                ("GUARDIAN_ID", [p["guardian"]]),
                ("APPROVER_ID", [p["approver"]]),
                ("WORKER_IDS", p["workers"]),
            ):
                unknown = [i for i in ids if i and i not in people]
                if unknown:
                    raise RecordError(
                        field,
                        f"{', '.join(unknown[:5])}: no such person in your personnel; "
                        "send them with the personnel feed first",
                    )
            location = p["location"]
            site = Site.objects.filter(enterprise=enterprise, footprint__intersects=location).first()
            permit, was_created = WorkPermit.objects.update_or_create(
                enterprise=enterprise,
                ticket_no=p["id"],
                defaults={
                    "site": site,
                    "ticket_type": p["type"],
                    "status": p["status"],
                    "content": p["content"],
                    "location": location,
                    "planned_start": p["start"],
                    "planned_end": p["end"],
                    "actual_start": p["actual_start"],
                    "actual_end": p["actual_end"],
                    "approved_at": p["issued"],
                    "supervisor_name": p["supervisor"],
                    "is_contractor_work": p["contractor"] or bool(p["contractor_code"]),
                    "contractor": Contractor.objects.filter(credit_code=p["contractor_code"]).first()
                    if p["contractor_code"]
                    else None,
                    "guardian_id": people.get(p["guardian"]),
                    "approver_id": people.get(p["approver"]),
                    "video_url": p["videos"][0]["url"] if p["videos"] else "",
                    "attributes": {"reported": p["raw"], **({"upgraded": True} if p["upgraded"] else {})},
                    "deleted": p["deleted"],
                },
            )
            created += was_created
            permit.workers.set([people[w] for w in p["workers"]])
            for g in p["gas"]:
                GasTest.objects.get_or_create(
                    permit=permit,
                    gas_name=g["gas_name"],
                    sampled_at=g["sampled_at"],
                    defaults={k2: g[k2] for k2 in ("value", "unit", "qualified")},
                )
            for kind, links in (("video", p["videos"]), ("attachment", p["attachments"])):
                for link in links:
                    PermitAttachment.objects.update_or_create(
                        permit=permit,
                        kind=kind,
                        url=link["url"],
                        defaults={k2: link[k2] for k2 in ("name", "content_type", "size")},
                    )

        stored = store_each(located, report, store)
    report.relay = [p["raw"] for _, p in stored]
    report.accepted = len(stored)
    report.extra = {"created": created, "updated": report.accepted - created}
    report.rejected.sort(key=lambda r: r.index)
    return report


HANDLERS = {
    "personnel": handle_personnel,
    "zones": handle_zones,
    "positions": handle_positions,
    "gatherings": handle_gatherings,
    "person-alarms": handle_person_alarms,
    "zone-alarms": handle_zone_alarms,
    "permits": handle_permits,
}
# Which liveness feed a report API feed counts towards.
LIVENESS_FEED = {
    "personnel": "personnel",
    "zones": "personnel",
    "positions": "positions",
    "gatherings": "alarms",
    "person-alarms": "alarms",
    "zone-alarms": "alarms",
    "permits": "permits",
}
