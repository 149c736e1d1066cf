"""The register of rule types. Each type declares itself once, in its module under `alarms/rules/`: its category,
the standards' code, default severity and thresholds, what it listens to, its evaluation functions, its evidence,
its default rule and the words of the docs. The engine, the API's catalogue, the default rules and the docs table
(`manage.py alarm_types --docs`) all read this register, the way Django's lookups are registered once and found.

Codes: AQ 3064.3-2025 B.3 (person: 0 SOS, 1 out of bounds, 2 overstay, 3 stationary, 4 leaving) and B.4 (zone:
1 over capacity, 2 under-staffed, 3 absent from post); AQ 3064.2-2025 alarm types for permits (10 expired, 30 approver
not on site, 31 guardian away, 40-43 hot work not upgraded). Types without a code in the standards have none.
Every default here can be overridden per rule (`AlarmRule.params`) and per zone (`Zone.attributes["alarm"]`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from geo_core.vocabulary import Term

# What a type can listen to. Called per rule of the type: `tick` (time passing: (engine, rule, now, occupants,
# out)), `transition` (a fence transition of a fence the rule watches: (engine, rule, transition, subject info,
# out) -> True when it handled it), `presence` (whether being inside a watched fence raises: (engine, rule,
# subject, zone, permit) -> bool). Called once per input with the type's rules: `sos`, `scan`, `work_start`, `feeds`,
# `fixes` (a batch of fixes, after the fence transitions: (engine, rules, fixes, out)), `configure` (the scene
# loaded: (engine, rules)), `equipment` (a special equipment's fault starting or ending: (engine, rules, fault)) and
# `upkeep` (the equipment upkeep states that hold now: (engine, rules, concerns, now, out)).
EVENTS = (
    "tick",
    "transition",
    "presence",
    "sos",
    "scan",
    "work_start",
    "feeds",
    "fixes",
    "configure",
    "equipment",
    "upkeep",
)


@dataclass(frozen=True)
class RuleType:
    name: str
    category: str  # person, zone, permit, welder, feed, contractor, system
    code: str | None
    severity: str
    label: str
    defaults: dict = field(default_factory=dict)
    # Which subjects the type is about by default (rule filters narrow it).
    kinds: tuple[str, ...] = ("person",)
    # Zone kinds a rule of this type watches when it names no zones.
    zone_kinds: tuple[str, ...] = ()
    # The fences whose memberships the engine keeps for the type: "zones" (the rule's zones), "permit_areas" (the
    # work areas of permits in progress), or None.
    fences: str | None = None
    on: dict[str, Callable] = field(default_factory=dict)  # event (see EVENTS) -> evaluation function
    cause: str = ""  # raised when (the docs table)
    ending: str = ""  # ends when
    evidence: tuple[str, ...] = ()  # the evidence's keys beyond `rule` and `params`
    # The default rule (alarms.defaults): None when the type has no rule of its own (raised by another type or by
    # the service); otherwise overrides of AlarmRule's fields (active, zone_kinds, subject_kinds, ...).
    default_rule: dict | None = field(default_factory=dict)
    raised_by: str = ""  # for types without a rule: which rule type or part of the service raises them
    # Life safety (issue 24): every park must have the type's default rule. It cannot be deleted, switched off,
    # narrowed or suppressed; its thresholds may change only within these bounds ({param: (lowest, highest)}).
    safe_bounds: dict[str, tuple[float, float]] | None = None
    # What the type remembers between inputs, made fresh by this factory: the engine keeps one per type
    # (`Engine.state(name)`) and saves it with its own state; a type owns what it needs, the engine declares none of it.
    state: Callable[[], object] | None = None
    # The type judges calendar periods itself (the time windows by purpose: night, holiday, key period ...): a rule's
    # windows say which periods it judges, they do not switch the rule on and off.
    calendar: bool = False

    @property
    def life_safety(self) -> bool:
        return self.safe_bounds is not None

    def describe(self) -> dict:
        """The type as the API's catalogue shows it."""
        return {
            "category": self.category,
            "code": self.code,
            "severity": self.severity,
            "label": self.label,
            "defaults": self.defaults,
            "kinds": list(self.kinds),
            "zone_kinds": list(self.zone_kinds),
            "listens": sorted(self.on) + ([self.fences] if self.fences else []),
            "cause": self.cause,
            "ending": self.ending,
            "evidence": list(self.evidence),
            "rule": self.default_rule is not None,
            "raised_by": self.raised_by or None,
            "life_safety": self.life_safety,
            "safe_bounds": {k: list(v) for k, v in (self.safe_bounds or {}).items()},
        }

    def __post_init__(self) -> None:
        unknown = set(self.on) - set(EVENTS)
        if unknown:
            raise ValueError(f"{self.name}: unknown events {sorted(unknown)}; known: {', '.join(EVENTS)}")


TYPES: dict[str, RuleType] = {}


def register(t: RuleType) -> RuleType:
    if t.name in TYPES:
        raise ValueError(f"rule type {t.name!r} is registered twice")
    TYPES[t.name] = t
    return t


def listening(event: str) -> list[RuleType]:
    return [t for t in TYPES.values() if event in t.on]


# The register is a leaf: it imports no rule module. Each type registers itself when its module is imported;
# `alarms.rules` imports them all, and whoever needs the whole register imports that (the engine, the models, the
# app's ready()).


# AQ 3064.2 codes 40-43: hot work not upgraded on a holiday, a rest day, at night, in a special period. The time
# windows that define those carry these `purpose` labels.
UPGRADE_CODES = {
    "holiday": "40",
    "rest_day": "41",
    "weekend": "41",
    "night": "42",
    "key_period": "43",
    "special_period": "43",
}

# Severities, most severe first (the order of a legend and a filter): AQ 3064.2's colour levels and our own words.
SEVERITY_TERMS = (
    Term("critical", "紧急", "Critical", "#b31d28", "#ff2d2d", frozenset({"severe"})),
    Term("red", "红色", "Red", "#d73a49", "#ff2d2d", frozenset({"severe"})),
    Term("orange", "橙色", "Orange", "#f66a0a", "#ff8c1a"),
    Term("alarm", "报警", "Alarm", "#e36209", "#ff6a3d"),
    Term("yellow", "黄色", "Yellow", "#dbab09", "#e3b341", frozenset({"self_closing"})),
    Term("warning", "预警", "Warning", "#dbab09", "#e3b341", frozenset({"self_closing"})),
    Term("info", "提示", "Info", "#6a737d", "#8b949e", frozenset({"self_closing"})),
)
SEVERITIES = tuple(t.code for t in SEVERITY_TERMS)
# The inbox policy (issue 28): a warning of these severities whose condition ends by itself while no one has yet
# acted on it (still 已报警) needs no action: it is closed with the reason and leaves the "to handle" list; it stays in
# the record and the statistics. An alarm (报警) and above waits for a person even when its condition is over.
SELF_CLOSING = frozenset(t.code for t in SEVERITY_TERMS if "self_closing" in t.flags)
SELF_CLOSED_REASON = "预警已自行解除, 无需处置"


def params(type_name: str, *overrides: dict | None) -> dict:
    """The thresholds in force: the type's defaults, then each override in order (rule, then zone)."""
    out = dict(TYPES[type_name].defaults)
    for o in overrides:
        if o:
            out.update(o)
    return out


def docs_table() -> str:
    """The docs' table of types (docs/alarms.md), from the register."""
    rows = ["| category | type | code | label | raised when | evidence | ends when |", "|---|---|---|---|---|---|---|"]
    for t in TYPES.values():
        cause = t.cause + (f" (raised by {t.raised_by})" if t.raised_by else "")
        evidence = ", ".join(f"`{e}`" for e in t.evidence)
        rows.append(f"| {t.category} | `{t.name}` | {t.code or ''} | {t.label} | {cause} | {evidence} | {t.ending} |")
    return "\n".join(rows) + "\n"
