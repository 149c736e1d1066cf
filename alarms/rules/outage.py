"""Many feeds or devices of one rule silent together are one outage, not a storm: the helper both the `feed_offline`
and the `welder_silent` rules raise and end their `feed_outage` with. Registers no type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alarms.specs import RuleSpec, Signal, ms

if TYPE_CHECKING:
    from alarms.engine import Engine


def outage(
    e: Engine, r: RuleSpec, now: float, out: list[Signal], mass: bool, times: list[float], evidence: dict, ended: dict
) -> bool:
    """One `feed_outage` for rule `r` while `mass` holds (many of its feeds or devices silent together): raised
    with `since` the median of their silences' `times`, ended (with `ended` as evidence) once it no longer holds.
    Returns whether an outage was open this tick: the rule's own per-feed or per-device alarms wait meanwhile."""
    current = [k for k in e.open_for(r.id) if e.open[k].type == "feed_outage"]
    if mass and not current:
        times = sorted(times)
        since = times[len(times) // 2]
        ev = {"rule": r.id, **evidence, "since": since, "first_since": times[0]}
        e.emit(out, Signal("raise", f"{r.id}:outage:{ms(since)}", r.id, "feed_outage", now, evidence=ev))
        return True
    if current and not mass:
        for k in current:
            out.append(e.end(k, now, ended))
        e.outage_ended[r.id] = now
    return bool(current)
