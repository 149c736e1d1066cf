"""The words of the maps, declared once: every coded value a page or a map style shows (severities, alarm and permit
statuses, person types, fence kinds, monitor states ...) with its labels and colours.

Each room declares the vocabularies it owns (geo_core here, alarms in its app's ready()); the layer styles
(layers.style), the pages (`me.vocabulary`) and the 3D wall read them from here, so a colour or a label has one
source. A vocabulary is an ordered tuple of terms: the order is the one a legend or a filter shows them in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str
    colour: str  # on the 2D map (light ground)
    wall: str = ""  # on the 3D command wall (dark ground); the 2D colour when empty
    flags: frozenset[str] = frozenset()  # what a page decides by: "open" (an alarm to handle), "severe" ...

    def as_dict(self, lang: str) -> dict:
        return {
            "code": self.code,
            "label": self.en if lang == "en" else self.zh,
            "colour": self.colour,
            "wall": self.wall or self.colour,
            "flags": sorted(self.flags),
        }


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: tuple[Term, ...]
    other: Term | None = None  # what a value outside the terms is shown as

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def flagged(self, flag: str) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms if flag in t.flags)

    def colour_match(self, field: str, wall: bool = False, codes: tuple[str, ...] | None = None) -> list:
        """A MapLibre `match` expression colouring by `field` (the styles' one way to colour by a code); `codes`:
        only these terms (the others take the `other` colour)."""
        terms = [t for t in self.terms if codes is None or t.code in codes]
        pairs = [v for t in terms for v in (t.code, (t.wall or t.colour) if wall else t.colour)]
        other = self.other.colour if self.other else "#6a737d"
        return ["match", ["to-string", ["get", field]], *pairs, other]

    def as_dict(self, lang: str) -> dict:
        return {
            "terms": [t.as_dict(lang) for t in self.terms],
            "other": self.other.as_dict(lang) if self.other else None,
        }


VOCABULARIES: dict[str, Vocabulary] = {}


def declare(name: str, terms: tuple[Term, ...] | list[Term], other: Term | None = None) -> Vocabulary:
    """Declare a vocabulary (once per name: a second declaration with other terms is a bug, not an update)."""
    v = Vocabulary(name, tuple(terms), other)
    known = VOCABULARIES.get(name)
    if known is not None and known != v:
        raise ValueError(f"vocabulary {name!r} declared twice with different terms")
    VOCABULARIES[name] = v
    return v


def get(name: str) -> Vocabulary:
    try:
        return VOCABULARIES[name]
    except KeyError:
        raise LookupError(f"no vocabulary {name!r}; declared: {', '.join(VOCABULARIES)}") from None


def as_dict(lang: str) -> dict:
    """Every vocabulary in one language, as the pages receive it."""
    return {name: v.as_dict(lang) for name, v in VOCABULARIES.items()}


# --- geo_core's own vocabularies ----------------------------------------------------------------------------------


def declare_domain() -> None:
    """The domain's codes, labels from the models' choices (the one declaration of each code) with colours."""
    from geo_core.models import SpecialEquipment, Subject, Zone
    from geo_core.permit_codes import OPERATION_TYPE, STATUSES

    zh = {str(c): str(label) for c, label in Subject.PersonType.choices}
    declare(
        "person_type",
        [
            Term("01", zh["01"], "Employee", "#2ea44f", "#3fb950"),
            Term("02", zh["02"], "Contractor", "#f66a0a", "#ff8c1a", frozenset({"outsider"})),
            Term("03", zh["03"], "Visitor", "#d73a49", "#f85149", frozenset({"outsider"})),
        ],
        other=Term("", "其他人员", "Other", "#2ea44f", "#3fb950"),
    )
    zh = dict(Zone.Kind.choices)
    en = {
        "forbidden": "Forbidden",
        "key_place": "Key place",
        "work_area": "Work area",
        "post": "Post",
        "muster_point": "Muster point",
        "site_boundary": "Site boundary",
        "temporary": "Temporary",
    }
    colours = {
        "forbidden": ("#d73a49", "#ff3b3b"),
        "key_place": ("#f66a0a", "#ff8c1a"),
        "work_area": ("#ffd33d", "#ffd33d"),
        "post": ("#6f42c1", "#a371f7"),
    }
    calm = ("#2ea44f", "#3fb950")  # the kinds that warn of nothing
    declare(
        "zone_kind",
        [Term(c, zh[c], en[c], *colours.get(c, calm)) for c, _ in Zone.Kind.choices],
        other=Term("", "其他围栏", "Other fence", *calm),
    )
    declare(
        "window_mode",
        [
            Term("always", "始终", "always", "#6a737d"),
            Term("inside", "时段内", "inside its windows", "#6a737d"),
            Term("outside", "时段外", "outside its windows", "#6a737d"),
        ],
    )
    zh = dict(SpecialEquipment.Monitoring.choices)
    declare(
        "monitoring",
        [
            Term("online", zh["online"], "Online", "#2ea44f"),
            Term("fault", zh["fault"], "Fault", "#f66a0a", flags=frozenset({"fault"})),
            Term("alarm", zh["alarm"], "Alarm", "#d73a49", flags=frozenset({"fault"})),
            Term("offline", zh["offline"], "Offline", "#959da5"),
        ],
    )
    declare(
        "equipment_kind",
        [Term(c, str(label), c.replace("_", " "), "#0366d6", "#58a6ff") for c, label in SpecialEquipment.Kind.choices],
    )
    # Faults of special equipment's monitors (geo_core.equipment_codes): coloured by the severity they raise.
    from geo_core.equipment_codes import FAULTS

    by_severity = {"critical": ("#b31d28", "#ff2d2d"), "red": ("#d73a49", "#ff2d2d"), "orange": ("#f66a0a", "#ff8c1a")}
    declare(
        "equipment_fault",
        [Term(f.code, f.zh, f.en, *by_severity.get(f.severity, ("#dbab09", "#e3b341"))) for f in FAULTS.values()],
    )
    from geo_core.equipment_codes import UPKEEP_STATES

    declare(
        "equipment_upkeep",
        [Term(u.code, u.zh, u.en, u.colour, flags=frozenset({"alarm"} if u.alarm else ())) for u in UPKEEP_STATES],
    )
    declare(
        "power",
        [Term("on", "通电", "Powered", "#d73a49", "#ffa657"), Term("off", "断电", "Off", "#6a737d", "#6e7681")],
        other=Term("", "断电", "Off", "#6a737d", "#6e7681"),
    )
    # The sprite's permit icons are coloured by `colour`; the wall's permit board by `wall`.
    permit_colours = {0: "#969696", 1: "#0366d6", 2: "#d73a49", 3: "#28a745", 4: "#586069", 5: "#24292e", 6: "#f66a0a"}
    wall = {1: "#79c0ff", 2: "#7ee787", 6: "#e3b341"}
    en = {0: "Not issued", 1: "Issued", 2: "In progress", 3: "Accepted", 4: "Voided", 5: "Revoked", 6: "Paused"}
    flags = {1: {"active"}, 2: {"active", "working"}, 6: {"active"}}  # standing permits; work under way
    declare(
        "permit_status",
        [
            Term(str(code), label, en[code], permit_colours[code], wall.get(code, ""), frozenset(flags.get(code, ())))
            for code, (_, label) in sorted(STATUSES.items())
        ],
    )
    # GB 30871's eight special operations (AQ 3064.2 ticket types map onto them: permit_codes.OPERATION_TYPE).
    operations = {
        "hot_work": ("动火", "Hot work"),
        "confined_space": ("受限空间", "Confined space"),
        "blinding": ("盲板抽堵", "Blinding"),
        "height": ("高处", "Height"),
        "lifting": ("吊装", "Lifting"),
        "temporary_power": ("临时用电", "Temporary power"),
        "excavation": ("动土", "Excavation"),
        "road_closure": ("断路", "Road closure"),
    }
    if set(operations) != set(OPERATION_TYPE.values()):
        raise ValueError("every GB 30871 operation needs its words here")
    declare("operation", [Term(code, zh_, en_, "#6f42c1") for code, (zh_, en_) in operations.items()])
    zh = dict(Subject.Kind.choices)
    declare(
        "subject_kind",
        [
            Term("person", zh["person"], "Person", "#2ea44f", "#3fb950"),
            Term("welder", zh["welder"], "Welding machine", "#d73a49", "#ffa657"),
            Term("body_camera", zh["body_camera"], "Body camera", "#0366d6", "#58a6ff"),
            Term("phone", zh["phone"], "Phone", "#0366d6", "#58a6ff"),
            Term("vehicle", zh["vehicle"], "Vehicle", "#586069", "#8b949e"),
        ],
    )
