"""Welding-machine alarms (加芯赋码): work in key places, remote scans, machines that wander, machines gone silent."""

from __future__ import annotations

import itertools
import math
from collections import deque
from typing import TYPE_CHECKING

from alarms.catalogue import RuleType, params, register
from alarms.keys import AlarmKey
from alarms.rules.outage import outage
from alarms.specs import RuleSpec, Signal, local_day, ms

if TYPE_CHECKING:
    from alarms.engine import Engine


def key_area_work_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    for _zid, key, s, m in e.visits(r, occupants):
        if r.matches(e.subjects.get(s)):
            e.inside(r, s, key, m.visit, m.entered_at, now, m.where, out)
    for akey in e.open_for(r.id):
        if not e.power.get(e.open[akey].subject, (False, 0.0))[0]:
            out.append(e.end(akey, now, {"reason": "machine powered off"}))


def key_area_work_presence(e: Engine, r: RuleSpec, s: int, zone: int | None, permit: int | None) -> bool:
    return e.power.get(s, (False, 0.0))[0]


register(
    RuleType(
        "key_area_work",
        "welder",
        None,
        "alarm",
        "焊机在重点区域作业",
        {"enter_dwell_s": 10.0, "exit_dwell_s": 10.0},
        kinds=("welder",),
        zone_kinds=("key_place",),
        fences="zones",
        on={"tick": key_area_work_tick, "presence": key_area_work_presence},
        cause="a powered machine inside a key place (optionally only in the rule's windows)",
        ending="leaves or powered off",
        evidence=("transition", "fence", "visit", "fix", "entered_at"),
        default_rule={"route_department": "动火作业监管"},
    )
)

register(
    RuleType(
        "temporary_zone_work",
        "welder",
        None,
        "warning",
        "焊机在临时区域作业",
        {"enter_dwell_s": 10.0, "exit_dwell_s": 10.0},
        kinds=("welder",),
        zone_kinds=("temporary",),
        fences="zones",
        on={"tick": key_area_work_tick, "presence": key_area_work_presence},
        cause="seed 003's 临时作业/电子围栏内作业 warning: a powered machine inside a temporary zone (临时区域, an "
        "electronic fence drawn for an event or a works site, in force in its own windows)",
        ending="leaves or powered off",
        evidence=("transition", "fence", "visit", "fix", "entered_at"),
        default_rule={"route_department": "动火作业监管"},
    )
)


KEY_PERIODS = ("key_period", "special_period")  # the calendar's purposes that make a key period (重点时段)


def key_period_work_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    """Every powered machine the rule watches, wherever it is, while a key-period window (重点时段) is on: one
    warning per machine and period, ended when it is powered off or the period is over."""
    periods = [(purpose, inside) for purpose, inside in r.windows.items() if purpose in KEY_PERIODS]
    on = [purpose for purpose, inside in periods if inside(now)]
    keep: set[str] = set()
    if on:
        for s, (powered, heard) in e.power.items():
            if not powered or not r.matches(e.subjects.get(s)):
                continue
            key = AlarmKey.of(r.id, s, on[0], local_day(now))
            keep.add(key)
            if key not in e.open:
                last = e.last.get(s)
                lon, lat = (last[3], last[4]) if last else (None, None)
                ev = {"rule": r.id, "period": on[0], "last_heard": heard}
                e.new(out, r, key, now, subject=s, lon=lon, lat=lat, evidence=ev)
    for key in [k for k in e.open_for(r.id) if k not in keep]:
        out.append(e.end(key, now, {"reason": "powered off" if on else "period over"}))


register(
    RuleType(
        "key_period_work",
        "welder",
        None,
        "warning",
        "重点时段焊机作业",
        kinds=("welder",),
        on={"tick": key_period_work_tick},
        calendar=True,
        cause="seed 003's 重点时段 warning: a powered machine anywhere in the jurisdiction while a key-period window "
        "(time windows of purpose key_period or special_period: 重大活动, 节假日保障) is on; one per machine, "
        "period and day",
        ending="powered off, or the period is over",
        evidence=("period", "last_heard"),
        default_rule={"route_department": "动火作业监管"},
    )
)


def remote_scan_verdict(distance_m: float, machine_acc: float | None, phone_acc: float | None, p: dict) -> dict:
    """Remote when the phone is beyond the limit even at the nearest ends of both accuracy radii; uncertain when
    only the raw distance is beyond it; near otherwise. A radius not reported takes the rule's default."""
    am = p["machine_accuracy_m"] if machine_acc is None or machine_acc != machine_acc else machine_acc
    ap = p["phone_accuracy_m"] if phone_acc is None or phone_acc != phone_acc else phone_acc
    nearest = max(0.0, distance_m - am - ap)
    result = "remote" if nearest > p["distance_m"] else "uncertain" if distance_m > p["distance_m"] else "near"
    return {
        "result": result,
        "distance_m": round(distance_m, 1),
        "nearest_possible_m": round(nearest, 1),
        "machine_accuracy_m": am,
        "phone_accuracy_m": ap,
        "limit_m": p["distance_m"],
    }


def remote_scan(e: Engine, rules: list[RuleSpec], scan, out: list[Signal]) -> None:
    """The phone far from the machine, both in the metric plane of one datum. Each verdict (remote, uncertain,
    near) is kept in `scan_verdicts` for the caller to record on the scan."""
    if scan.machine is None or scan.phone is None:
        return
    for r in rules:
        verdict = remote_scan_verdict(
            math.hypot(scan.machine[0] - scan.phone[0], scan.machine[1] - scan.phone[1]),
            scan.machine_accuracy_m,
            scan.phone_accuracy_m,
            params(r.type, r.params),
        )
        e.scan_verdicts.append((scan.ref, verdict))
        if verdict["result"] == "remote":
            e.new(
                out,
                r,
                AlarmKey.of(r.id, scan.subject, scan.ref),
                scan.t,
                subject=scan.subject,
                lon=scan.phone_lonlat[0],
                lat=scan.phone_lonlat[1],
                evidence={"rule": r.id, **verdict, "scan": scan.ref},
            )


register(
    RuleType(
        "remote_scan",
        "welder",
        None,
        "alarm",
        "异地扫码",
        # Remote only when the phone is beyond `distance_m` of the machine even at the nearest ends of both
        # accuracy radii (a base-station fix is hundreds of metres off); fixes reporting no radius get these.
        {"distance_m": 1000.0, "machine_accuracy_m": 500.0, "phone_accuracy_m": 50.0},
        kinds=("welder",),
        on={"scan": remote_scan},
        cause="the scanning phone (GCJ-02 by default, converted to CGCS2000 at ingest) more than 1 km from the machine "
        "even at the nearest ends of both accuracy radii (the fix's `acc`, else `machine_accuracy_m` 500 m for "
        "base-station fixes; the phone's `acc`, else `phone_accuracy_m` 50 m), compared in the metric plane. "
        "Example: 1,200 m apart, satellite fixes (10 m + 50 m): 1,140 m possible at the nearest, raised; the same "
        "1,200 m from a base-station fix (500 m + 50 m): 650 m possible, recorded on the scan as `uncertain` "
        "(`DeviceEvent.data.remote_scan`, with the radii), not raised; 800 m: `near`",
        ending="handled by a person",
        evidence=(
            "result",
            "distance_m",
            "nearest_possible_m",
            "machine_accuracy_m",
            "phone_accuracy_m",
            "limit_m",
            "scan",
        ),
        default_rule={"route_department": "动火作业监管"},
    )
)


def mobile_welder(e: Engine, rules: list[RuleSpec], scan, out: list[Signal]) -> None:
    """Over the work starts of recent days: far jumps, or work in several districts. Once per machine per window:
    a pattern, not a state, recorded once for a person to look at. Every work start is kept (the type's state:
    machine -> (t, x, y, district) of its recent starts), also while no rule is in force."""
    work: deque = e.state("mobile_welder").setdefault(scan.subject, deque())
    if not work or scan.t > work[-1][0]:
        work.append((scan.t, scan.machine[0], scan.machine[1], scan.district))
    for r in rules:
        p = params(r.type, r.params)
        t, window = scan.t, p["window_days"] * 86400.0
        while work and work[0][0] < t - window:
            work.popleft()
        pts = list(work)
        jumps = [(a, b, math.hypot(b[1] - a[1], b[2] - a[2])) for a, b in itertools.pairwise(pts)]
        far = [(a, b, d) for a, b, d in jumps if d > p["jump_m"]]
        districts = sorted({w[3] for w in pts if w[3]})
        if len(far) < p["jumps"] and len(districts) < p["districts"]:
            continue
        if e.open_for(r.id, subject=scan.subject):
            continue
        mine = f"{r.id}:{scan.subject}:"
        if any(k.startswith(mine) and float(k.rsplit(":", 1)[1]) / 1000 > t - window for k in e.latched):
            continue
        ev = {
            "rule": r.id,
            "params": p,
            "work_starts": [{"t": w[0], "district": w[3]} for w in pts],
            "jumps_m": [round(d, 1) for _, _, d in far],
            "districts": districts,
            "reason": "far_jumps" if len(far) >= p["jumps"] else "districts",
            "classified": "mobile",  # the machine is a 流动焊机 from now on (alarms.store._classify_mobile)
        }
        last = e.last.get(scan.subject)
        key = f"{mine}{ms(pts[0][0])}"
        if e.new(
            out,
            r,
            key,
            t,
            subject=scan.subject,
            lon=last[3] if last else None,
            lat=last[4] if last else None,
            evidence=ev,
        ):
            out.append(e.end(key, t, {"reason": "recorded"}))
            e.latched.add(key)


register(
    RuleType(
        "mobile_welder",
        "welder",
        None,
        "warning",
        "焊机流动作业",
        {"window_days": 15.0, "jump_m": 4000.0, "jumps": 3, "districts": 2},
        kinds=("welder",),
        state=dict,
        on={"work_start": mobile_welder},
        cause="seed 003's 流动焊分析研判: within 15 days of work starts (allowed scans), three jumps of more than "
        "4 km, or work in two districts; once per machine per window, with the work starts as evidence; the machine is "
        "then classified 流动 (`Subject.mobility` set to mobile, which the welder statistics count)",
        ending="recorded (ends at once)",
        evidence=("work_starts", "jumps_m", "districts", "reason"),
        default_rule={"route_department": "动火作业监管"},
    )
)


def welder_silent_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    """Powered machines not heard for `silent_s`. When many fall silent together the silence is the feed's (an
    outage of the broker, the ingest, the network, or this service before its first start): one `feed_outage`
    alarm says how many and since when, and ends when data flows again; machines are then given `silent_s` from
    that moment before a silence counts as their own."""
    p = params(r.type, r.params)
    limit = p["silent_s"]
    watched = [(s, powered, heard) for s, (powered, heard) in e.power.items() if r.matches(e.subjects.get(s))]
    resumed = e.outage_ended.get(r.id, -math.inf)
    silent = [(s, heard) for s, powered, heard in watched if powered and now - max(heard, resumed) > limit]
    lone = [(s, h) for s, h in silent if not e.open_for(r.id, subject=s)]  # not already alarmed on their own
    powered_n = sum(1 for _, powered, _ in watched if powered)
    mass = len(lone) >= max(p["outage_min"], p["outage_share"] * powered_n)
    ev = {"silent": len(lone), "powered": powered_n, "silent_s": limit}
    if outage(
        e, r, now, out, mass, [h for _, h in lone], ev, {"reason": "data flows again", "still_silent": len(lone)}
    ):
        return
    for s, powered, heard in watched:
        silent = powered and now - max(heard, resumed) > limit
        current = e.open_for(r.id, subject=s)
        if silent and not current:
            last = e.last.get(s)
            ev = {"rule": r.id, "last_heard": heard, "silent_s": limit}
            lon, lat = (last[3], last[4]) if last else (None, None)
            e.new(out, r, AlarmKey.of(r.id, s, ms(heard)), now, subject=s, lon=lon, lat=lat, evidence=ev)
        elif not silent:
            for k in current:
                out.append(e.end(k, now, {"reason": "heard again" if powered else "powered off"}))


register(
    RuleType(
        "welder_silent",
        "welder",
        None,
        "warning",
        "焊机通电但失联",
        # Many machines silent together is one outage (broker, ingest, network, the service's own start), not a
        # storm of per-machine alarms: at least `outage_min` machines and `outage_share` of the powered ones.
        {"silent_s": 600.0, "outage_min": 20, "outage_share": 0.1},
        kinds=("welder",),
        on={"tick": welder_silent_tick},
        cause="powered on and nothing heard (position, heartbeat, power, scan) for 600 s, and the silence is the "
        "machine's own (see `feed_outage`)",
        ending="heard again or powered off",
        evidence=("last_heard", "silent_s"),
        safe_bounds={"silent_s": (60.0, 1800.0), "outage_min": (5, 500), "outage_share": (0.02, 0.5)},
        default_rule={"route_department": "动火作业监管"},
    )
)
