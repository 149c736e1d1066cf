"""Read the scene the engine watches (rules, zones, permits, subjects) from PostGIS into engine specs, in the
metric plane. Also tells when any of it changed, so the worker reloads within a second of an edit (no restart)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import shapely
from django.db import connection

from alarms.catalogue import TYPES, UPGRADE_CODES
from alarms.engine import Paperwork, PermitSpec, RuleSpec, SubjectInfo, ZoneSpec
from alarms.models import AlarmRule
from alarms.plane import MetricPlane, to_plane
from alarms.specs import ContractorInfo, StaffInfo, always, day_span
from geo_core import seams
from geo_core.models import TimeWindow, Zone
from geo_core.permit_codes import MAX_VALIDITY
from geo_core.timewindows import window_contains, zone_in_force

# What the engine's scene is built from; a change to any of these tables reloads it.
WATCHED = (
    "geo_core_zone",
    "alarms_alarmrule",
    "geo_core_workpermit",
    "geo_core_timewindow",
    "geo_core_subject",
    "geo_core_site",
    "geo_core_contractor",
    "geo_core_contractorstaff",
    "geo_core_qualification",
    "geo_core_training",
    "geo_core_stafffiling",
    "geo_core_dailyfiling",
)


def stamp() -> tuple:
    """A cheap fingerprint of the scene: row count and newest change of every watched table."""
    parts = " UNION ALL ".join(f"SELECT '{t}', count(*), max(updated_at) FROM {t}" for t in WATCHED)
    with connection.cursor() as cur:
        cur.execute(parts)
        return tuple(cur.fetchall())


@dataclass(frozen=True)
class InForce:
    """A time-window condition as a callable over epoch seconds (picklable, unlike a lambda)."""

    mode: str
    windows: tuple

    def __call__(self, t: float) -> bool:
        if self.mode == "always" or not self.windows:
            return self.mode != "inside"
        return zone_in_force(self.mode, self.windows, datetime.fromtimestamp(t, UTC))


@dataclass(frozen=True)
class Window:
    """One time window as a callable; the answer is kept for the second asked (rules ask every tick)."""

    window: object
    memo: dict = field(default_factory=dict, compare=False, hash=False)

    def __call__(self, t: float) -> bool:
        second = int(t)
        if second not in self.memo:
            self.memo.clear()
            self.memo[second] = window_contains(self.window, datetime.fromtimestamp(second, UTC))
        return self.memo[second]


def plane_for_scene() -> MetricPlane:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(ST_Centroid(ST_Extent(geom))) FROM geo_core_zone WHERE active")
        lon = cur.fetchone()[0]
        if lon is None:
            cur.execute("SELECT ST_X(ST_Centroid(ST_Extent(footprint))) FROM geo_core_site")
            lon = cur.fetchone()[0]
    return MetricPlane(lon if lon is not None else 121.5)


def rules() -> list[AlarmRule]:
    return list(AlarmRule.objects.filter(active=True).prefetch_related("zones", "time_windows"))


def dispatching() -> dict[int, tuple[str, bool]]:
    """Active rules whose alarms become work orders at once: rule -> (department, to the enterprise too)."""
    qs = AlarmRule.objects.filter(active=True, auto_dispatch=True)
    return {r: (dept, ent) for r, dept, ent in qs.values_list("id", "route_department", "route_enterprise")}


def _watched_zone_ids(rule: AlarmRule, zones: list[Zone]) -> frozenset[int]:
    named = [z.id for z in rule.zones.all() if z.active]
    if named:
        return frozenset(named)
    kinds = set(rule.zone_kinds or TYPES[rule.type].zone_kinds)
    return frozenset(
        z.id for z in zones if z.kind in kinds and (rule.enterprise_id is None or z.enterprise_id == rule.enterprise_id)
    )


def load(
    plane: MetricPlane, subjects: dict[int, SubjectInfo] | None = None
) -> tuple[list[ZoneSpec], list[PermitSpec], list[RuleSpec], dict[int, SubjectInfo]]:
    """The scene; `subjects` reuses an already loaded subject table (22,000 rows in the demo) when only rules,
    zones or permits changed."""
    subjects = _subjects() if subjects is None else subjects
    by_external = {(s.enterprise_id, s.external_id): s.id for s in subjects.values()}
    zones = list(Zone.objects.filter(active=True).prefetch_related("time_windows"))
    purposes = [w for w in TimeWindow.objects.all() if w.purpose in UPGRADE_CODES]
    rule_specs, used = [], set()
    for r in rules():
        zone_ids = _watched_zone_ids(r, zones)
        used |= zone_ids
        own = tuple(r.time_windows.all())
        windows = {w.purpose: Window(w) for w in (own or purposes) if w.purpose in UPGRADE_CODES}
        rule_specs.append(
            RuleSpec(
                id=r.id,
                type=r.type,
                severity=r.severity,
                params=r.params,
                zones=zone_ids,
                kinds=tuple(r.subject_kinds),
                person_types=frozenset(r.person_types),
                enterprise_id=r.enterprise_id,
                tags=frozenset(r.tags),
                in_force=InForce(r.window_mode, () if TYPES[r.type].calendar else own),
                windows=windows,
            )
        )
    crews = _permit_crews()
    zone_specs = []
    for z in zones:
        if z.id not in used:
            continue
        cleared = crews.get((z.enterprise_id, z.attributes.get("permit")), frozenset())
        holders = tuple(
            sid for ext in z.attributes.get("holders", []) if (sid := by_external.get((z.enterprise_id, ext)))
        )
        zone_specs.append(
            ZoneSpec(
                id=z.id,
                name=z.name,
                kind=z.kind,
                geom=to_plane(plane, shapely.from_wkb(bytes(z.geom.wkb))),
                enterprise_id=z.enterprise_id,
                floor=z.floor,
                capacity_min=z.capacity_min,
                capacity_max=z.capacity_max,
                holders=holders,
                params=z.attributes.get("alarm", {}),
                in_force=InForce(z.window_mode, tuple(z.time_windows.all())),
                cleared=cleared,
            )
        )
    return zone_specs, _permits(plane), rule_specs, subjects


def _permit_crews() -> dict[tuple[int, str], frozenset[int]]:
    """(enterprise, ticket number) -> the guardian and workers of that permit: the people a work cordon whose
    `attributes.permit` names it lets in."""
    return {
        (ent, ticket): frozenset([*workers, *([guardian] if guardian else [])])
        for ent, ticket, guardian, workers in seams.permit_crews()
    }


def _subjects(ids: set[int] | None = None) -> dict[int, SubjectInfo]:
    rows = seams.subject_rows(ids)
    # One callable per shift, shared by its people (its answer is kept for the second asked).
    shifts = {w.id: Window(w) for w in TimeWindow.objects.filter(id__in={row[-1] for row in rows} - {None})}
    return {
        i: SubjectInfo(i, k, e, ent, pt, frozenset(tags), prov, shifts.get(shift, always))
        for i, k, e, ent, pt, tags, prov, shift in rows
    }


def subjects_by_id(ids: set[int]) -> dict[int, SubjectInfo]:
    """Subjects as they are in the database now (active or not): what the engine must know before it evaluates an
    input about them (a person registered a moment ago, a provisional one made by its first report)."""
    return _subjects(ids) if ids else {}


def _permits(plane: MetricPlane) -> list[PermitSpec]:
    rows = seams.permit_rows()
    out = []
    for (
        pid,
        no,
        tt,
        status,
        ent,
        lon,
        lat,
        area,
        guardian,
        workers,
        approver,
        end,
        start,
        upgraded,
        outside,
        approver_d,
        planned_start,
        video,
        contractor,
    ) in rows:
        x, y = plane.forward([lon], [lat])
        authorised = frozenset([*workers, *(v for v in (guardian, approver) if v is not None)])
        validity = MAX_VALIDITY.get(tt)
        out.append(
            PermitSpec(
                id=pid,
                ticket_no=no,
                ticket_type=tt,
                status=status,
                enterprise_id=ent,
                x=float(x[0]),
                y=float(y[0]),
                lon=lon,
                lat=lat,
                area=to_plane(plane, shapely.from_wkb(bytes(area))) if area is not None else None,
                guardian=guardian,
                authorised=authorised,
                planned_end=end.timestamp(),
                actual_start=start.timestamp() if start else None,
                max_validity_s=validity.total_seconds() if validity else None,
                outside_site=outside,
                upgraded=upgraded,
                approver_distance_m=None
                if approver_d is None
                else (math.inf if math.isinf(approver_d) else approver_d),
                planned_start=planned_start.timestamp(),
                video=video,
                contractor_code=contractor,
            )
        )
    return out


def paperwork() -> Paperwork:
    """Contractor staff by positioned subject, units by credit code, and the daily filings from yesterday on."""
    staff = {
        sid: StaffInfo(
            id=stid,
            name=name,
            contractor=code,
            certified=tuple(day_span(a, b) for a, b in certs),
            trained=tuple(day_span(a, b) for a, b in trained),
            filed=tuple((int(ent), *day_span(a, b)) for ent, a, b in filed),
        )
        for sid, stid, name, code, certs, trained, filed in seams.contractor_staff_rows()
    }
    units = {
        code: ContractorInfo(code, name, tuple(day_span(a, b) for a, b in certs), blacklisted)
        for code, name, blacklisted, certs in seams.contractor_rows()
    }
    daily = {(ent, d): work if isinstance(work, dict) else {} for ent, d, work in seams.daily_filing_rows()}
    return Paperwork(staff, units, daily)
