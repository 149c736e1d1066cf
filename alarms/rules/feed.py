"""Alarms about the data rather than the park: a feed or many devices silent together, an input the service could
not evaluate."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from alarms.catalogue import RuleType, params, register
from alarms.keys import AlarmKey
from alarms.rules.outage import outage
from alarms.specs import RuleSpec, Signal, ms

if TYPE_CHECKING:
    from alarms.engine import Engine


register(
    RuleType(
        "feed_outage",
        "feed",
        None,
        "alarm",
        "大面积失联 (数据中断)",
        kinds=("welder",),
        cause="at least 5 and half of the (enterprise, feed) pairs offline together (one alarm with how many, by "
        "feed, since when; per-enterprise alarms only for feeds still offline 120 s after it ends), or at least 20 "
        "machines and 10 % of the powered ones silent together (`outage_min`, `outage_share`): a broker, ingest or "
        "network outage, or the service's own first start after a pause; no per-machine alarm meanwhile",
        ending="data flows again; machines then get the full silence limit from that moment before a silence is "
        "their own",
        evidence=("since", "first_since", "silent", "powered", "feeds_offline", "feeds", "by_feed"),
        default_rule=None,
        raised_by="the `feed_offline` and `welder_silent` rules",
        safe_bounds={},  # raised by life-safety rules: never suppressed
    )
)


def feed_offline(e: Engine, rules: list[RuleSpec], states, now: float, out: list[Signal]) -> None:
    """Reporting liveness per (enterprise, feed): offline raises, back online ends. Many feeds offline together
    are one `feed_outage` alarm, not one per enterprise; a feed still offline `grace_s` after it ended is its own."""
    for r in rules:
        p = params(r.type, r.params)
        mine = [st for st in states if r.enterprise_id is None or st[0] == r.enterprise_id]
        down = [st for st in mine if not st[2]]
        mass = len(down) >= max(p["outage_min"], p["outage_share"] * len(mine))
        by_feed = {f: sum(1 for st in down if st[1] == f) for f in sorted({st[1] for st in down})}
        ev = {"feeds_offline": len(down), "feeds": len(mine), "by_feed": by_feed}
        ended = {"reason": "feeds report again", "still_offline": len(down)}
        if outage(e, r, now, out, mass and r.in_force(now), [st[3] for st in down], ev, ended):
            continue
        if now - e.outage_ended.get(r.id, -math.inf) < p["grace_s"]:
            continue
        for ent, feed, online, changed in mine:
            name = AlarmKey.of(r.id, ent, feed)
            current = [k for k in e.open_for(r.id) if k.startswith(name + ":")]
            if not online and not current and r.in_force(now):
                e.new(
                    out,
                    r,
                    AlarmKey.of(name, ms(changed)),
                    changed,
                    enterprise=ent,
                    evidence={"rule": r.id, "feed": feed, "offline_since": changed},
                )
            elif online:
                for k in current:
                    out.append(e.end(k, changed, {"reason": "feed back online"}))


register(
    RuleType(
        "feed_offline",
        "feed",
        None,
        "warning",
        "企业数据中断",
        {"outage_min": 5, "outage_share": 0.5, "grace_s": 120.0},
        kinds=(),
        on={"feeds": feed_offline},
        cause="an enterprise feed goes offline (ingest's liveness, `GEO_OFFLINE_AFTER_*`)",
        ending="back online",
        evidence=("feed", "offline_since"),
        safe_bounds={"outage_min": (1, 50), "outage_share": (0.05, 1.0), "grace_s": (0.0, 600.0)},
    )
)

register(
    RuleType(
        "input_unevaluated",
        "system",
        None,
        "alarm",
        "报警输入无法评估",
        kinds=(),
        cause="an input (an SOS, a scan, a power change, a reported alarm) the worker could not evaluate 3 times in "
        "a row; each failure is logged and the input retried at the next steps (`cursors.retry` of the worker's "
        "saved state)",
        ending="handled by a person",
        evidence=("input", "attempts", "error"),
        default_rule=None,
        raised_by="the alarm worker itself",
    )
)

register(
    RuleType(
        "clock_jump",
        "system",
        None,
        "info",
        "时钟跳变/服务停顿",
        kinds=(),
        cause="more than 60 s passed with neither a tick nor a fix (the service's clock stepped forward, or it stood "
        "still): that time was not observed, so every stay, dwell and grace timer moves on by it and nothing "
        "raises at once for it (no storm of overstays, capacity or guardian alarms); a restart that replays the "
        "stored positions observes its gap and is not one",
        ending="raised and ended at once (a record)",
        evidence=("from", "to", "unobserved_s", "memberships", "timers"),
        default_rule=None,
        raised_by="the engine, on its own clock",
    )
)
