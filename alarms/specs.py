"""What the engine is given and what it answers, as plain values: subjects, zones, permits and rules already in the
metric plane (built by `alarms.scene`), and the signals and open alarms of its state. No logic beyond matching."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from shapely.geometry.base import BaseGeometry

from alarms.catalogue import TYPES


def always(_t: float) -> bool:
    return True


@dataclass(frozen=True)
class SubjectInfo:
    id: int
    kind: str
    external_id: str
    enterprise_id: int | None = None
    person_type: str = ""
    tags: frozenset[str] = frozenset()
    provisional: bool = False  # known only from its own reports (positions or alarms before its registration)
    on_duty: Callable[[float], bool] = always  # within the person's shift (班次); no shift: always on duty


@dataclass(frozen=True)
class ZoneSpec:
    id: int
    name: str
    kind: str
    geom: BaseGeometry  # metric plane
    enterprise_id: int | None = None
    floor: int | None = None
    capacity_min: int | None = None
    capacity_max: int | None = None
    holders: tuple[int, ...] = ()  # subjects who must be at this post
    params: dict = field(default_factory=dict)  # per-zone thresholds, by type: {"overstay": {"limit_s": 600}}
    in_force: Callable[[float], bool] = always
    cleared: frozenset[int] = frozenset()  # subjects allowed in (a work cordon's own crew): no out_of_bounds for them


@dataclass(frozen=True)
class PermitSpec:
    id: int
    ticket_no: str
    ticket_type: str
    status: int
    enterprise_id: int
    x: float
    y: float
    lon: float
    lat: float
    area: BaseGeometry | None = None  # metric plane
    guardian: int | None = None
    authorised: frozenset[int] = frozenset()
    planned_end: float = math.inf
    actual_start: float | None = None
    max_validity_s: float | None = None
    outside_site: bool = False
    upgraded: bool = False
    approver_distance_m: float | None = None  # approver's distance from the work location when approving; inf = no fix
    planned_start: float = -math.inf
    video: bool = True  # an on-site video is linked (VIDEOS)
    contractor_code: str = ""  # the unit doing the work (CONTRACTOR_CODE), known to the park or not

    @property
    def started(self) -> float:
        return self.actual_start if self.actual_start is not None else self.planned_start

    @property
    def active(self) -> bool:
        return self.status == 2  # AQ 3064.2: in progress

    @property
    def standing(self) -> bool:
        """In progress or paused (AQ 3064.2: 2, 6): the permit stands, and its crew may be at its work."""
        return self.status in (2, 6)


@dataclass(frozen=True)
class RuleSpec:
    id: int
    type: str
    severity: str = ""
    params: dict = field(default_factory=dict)
    zones: frozenset[int] = frozenset()
    kinds: tuple[str, ...] = ()  # empty: the type's own (alarms.catalogue), filled in on construction
    person_types: frozenset[str] = frozenset()
    enterprise_id: int | None = None
    tags: frozenset[str] = frozenset()
    in_force: Callable[[float], bool] = always
    # Time windows by purpose (night, holiday, ...) for the hot-work upgrade rule.
    windows: dict[str, Callable[[float], bool]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.kinds:
            object.__setattr__(self, "kinds", TYPES[self.type].kinds)

    def matches(self, s: SubjectInfo | None) -> bool:
        if s is None:
            return False
        kinds = self.kinds
        return (
            (not kinds or s.kind in kinds)
            and (not self.person_types or s.person_type in self.person_types)
            and (self.enterprise_id is None or s.enterprise_id == self.enterprise_id)
            and (not self.tags or bool(self.tags & s.tags))
        )


@dataclass
class Signal:
    action: str  # raise, update, end
    key: str
    rule: int
    type: str
    t: float
    severity: str = ""
    code: str | None = None
    subject: int | None = None
    subjects: tuple[int, ...] = ()
    zone: int | None = None
    permit: int | None = None
    enterprise: int | None = None
    lon: float | None = None
    lat: float | None = None
    evidence: dict = field(default_factory=dict)


@dataclass
class Open:
    rule: int
    type: str
    since: float
    severity: str
    visit: str = ""
    subject: int | None = None
    zone: int | None = None
    permit: int | None = None


def ms(t: float) -> int:
    """Milliseconds: how times enter alarm keys."""
    return round(t * 1000)


def metres(d: float) -> float | None:
    """A depth for the evidence: None when only "beyond every margin" is known (JSON has no infinity)."""
    return round(d, 2) if math.isfinite(d) else None


@dataclass(frozen=True)
class Scan:
    """A QR scan on a welder: the machine's and the phone's positions in the metric plane of one datum."""

    subject: int
    t: float
    machine: tuple[float, float] | None
    phone: tuple[float, float] | None
    phone_lonlat: tuple[float, float] | None
    district: str | None
    ref: str
    works: bool = True  # the scan starts work (an allowed scan)
    machine_accuracy_m: float | None = None
    phone_accuracy_m: float | None = None


SHANGHAI = timezone(timedelta(hours=8))  # Asia/Shanghai keeps no daylight saving: a fixed offset is exact
Windows = tuple[tuple[float, float], ...]  # validity periods, epoch seconds [from, until)


def local_day(t: float) -> str:
    """The calendar day (Asia/Shanghai) of an instant, as filings name days."""
    return datetime.fromtimestamp(t, SHANGHAI).date().isoformat()


def day_span(first: str, last: str) -> tuple[float, float]:
    """From the start of day `first` to the end of day `last`, Asia/Shanghai, as epoch seconds."""
    a = datetime.fromisoformat(first).replace(tzinfo=SHANGHAI)
    b = datetime.fromisoformat(last).replace(tzinfo=SHANGHAI) + timedelta(days=1)
    return a.timestamp(), b.timestamp()


def lapse(windows: Windows, t: float) -> str | None:
    """Why nothing in `windows` is valid at `t` ("none", "expired YYYY-MM-DD", "not yet valid"), or None."""
    if any(a <= t < b for a, b in windows):
        return None
    if not windows:
        return "none"
    ended = [b for _, b in windows if b <= t]
    if ended:
        return f"expired {datetime.fromtimestamp(max(ended) - 1, SHANGHAI).date().isoformat()}"
    return "not yet valid"


@dataclass(frozen=True)
class StaffInfo:
    """A contractor's staff member as a positioned subject (matched by the hash of the ID number)."""

    id: int
    name: str
    contractor: str  # the unit's credit code
    certified: Windows = ()  # the park's certification
    trained: Windows = ()  # passed safety training
    filed: tuple[tuple[int, float, float], ...] = ()  # (enterprise, from, until): filed to work for it


@dataclass(frozen=True)
class ContractorInfo:
    code: str
    name: str
    certified: Windows = ()
    blacklisted: bool = False


@dataclass(frozen=True)
class Paperwork:
    """What the contractor and filing rules judge by: staff by subject, units by credit code, and the daily
    filings by (enterprise, day) -> the special work declared (ticket type -> count; empty: not itemised)."""

    staff: dict[int, StaffInfo] = field(default_factory=dict)
    contractors: dict[str, ContractorInfo] = field(default_factory=dict)
    daily: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)
