"""Special-work permit alarms (AQ 3064.2, GB 30871-2022): where, who is on site, how long, when."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from alarms.catalogue import UPGRADE_CODES, RuleType, params, register
from alarms.keys import AlarmKey, FenceKey
from alarms.specs import PermitSpec, RuleSpec, day_span, local_day, ms

if TYPE_CHECKING:
    from alarms.engine import Engine


def permit_raise(e: Engine, out, r: RuleSpec, key: str, p: PermitSpec, now: float, ev: dict, code=None) -> None:
    e.new(
        out,
        r,
        key,
        now,
        code=code,
        permit=p.id,
        enterprise=p.enterprise_id,
        lon=p.lon,
        lat=p.lat,
        evidence={"rule": r.id, "ticket_no": p.ticket_no, "ticket_type": p.ticket_type, "status": p.status, **ev},
    )


def permit_end(e: Engine, out, r: RuleSpec, now: float, keep: set[str], reason: str) -> None:
    """End the rule's open alarms not in `keep`: their condition no longer holds."""
    for k in [k for k in e.open_for(r.id) if k not in keep]:
        out.append(e.end(k, now, {"reason": reason}))


PERMIT_EVIDENCE = ("ticket_no", "ticket_type", "status")
# Seed 002: every special-work alarm goes to the work-order system, to the department and the enterprise, at once.
AUTO = {"auto_dispatch": True}


def location_outside_site_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    keep = set()
    for p in e.permits.values():
        if p.outside_site and p.status in (1, 2, 6) and r.in_force(now):
            key = AlarmKey.of(r.id, FenceKey.permit(p.id))
            keep.add(key)
            permit_raise(e, out, r, key, p, now, {"location": [p.lon, p.lat]})
    permit_end(e, out, r, now, keep, "permit closed or moved onto its site")


register(
    RuleType(
        "location_outside_site",
        "permit",
        None,
        "alarm",
        "作业地点不在本企业厂区内",
        on={"tick": location_outside_site_tick},
        cause="the permit's location is in none of its enterprise's own sites",
        ending="corrected or closed",
        evidence=(*PERMIT_EVIDENCE, "location"),
        default_rule=AUTO,
    )
)


def guardian_away_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    pr = params(r.type, r.params)
    keep = set()
    for p in e.permits.values():
        if not p.active or p.ticket_type not in pr["ticket_types"] or p.guardian is None:
            continue
        last = e.last.get(p.guardian)
        d = math.inf if last is None else math.hypot(last[1] - p.x, last[2] - p.y)
        name = AlarmKey.of(r.id, FenceKey.permit(p.id))
        began = e.hold(name, d > pr["distance_m"], now, pr["grace_s"])
        current = e.open_for(r.id, permit=p.id)
        keep.update(current)
        if began is not None and not current:
            key = AlarmKey.of(name, ms(began))
            keep.add(key)
            permit_raise(
                e,
                out,
                r,
                key,
                p,
                now,
                {
                    "guardian": p.guardian,
                    "distance_m": None if math.isinf(d) else round(d, 1),
                    "limit_m": pr["distance_m"],
                    "away_since": began,
                    "no_position": last is None,
                },
            )
        elif d <= pr["distance_m"]:
            for k in current:
                keep.discard(k)
    permit_end(e, out, r, now, keep, "guardian back, or permit no longer in progress")


register(
    RuleType(
        "guardian_away",
        "permit",
        "31",
        "alarm",
        "监护人离开作业现场",
        {"distance_m": 10.0, "grace_s": 60.0, "ticket_types": ["01", "02", "03", "70"]},
        on={"tick": guardian_away_tick},
        cause="hot work or confined space in progress and the guardian more than 10 m away (or without a position) "
        "for 60 s",
        ending="guardian back",
        evidence=(*PERMIT_EVIDENCE, "guardian", "distance_m", "limit_m", "away_since", "no_position"),
        default_rule=AUTO,
    )
)


def approver_not_on_site_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    limit = params(r.type, r.params)["distance_m"]
    for p in e.permits.values():
        d = p.approver_distance_m
        if d is not None and d > limit:
            ev = {
                "approver_distance_m": None if math.isinf(d) else round(d, 1),
                "limit_m": limit,
                "no_position": math.isinf(d),
            }
            permit_raise(e, out, r, f"{r.id}:p{p.id}", p, now, ev)


register(
    RuleType(
        "approver_not_on_site",
        "permit",
        "30",
        "alarm",
        "审批人未到现场审批",
        {"distance_m": 50.0},
        on={"tick": approver_not_on_site_tick},
        cause="the approver's fix nearest the approval time (±5 min) is more than 50 m from the work location, or "
        "missing",
        ending="handled by a person",
        evidence=(*PERMIT_EVIDENCE, "approver_distance_m", "limit_m", "no_position"),
        default_rule=AUTO,
    )
)


def permit_overtime_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    """Seed 002's one overtime alarm (作业许可超时报警: "超时未及时关闭验收或者停止作业"): work still in progress
    past its planned end or past the GB 30871 maximum for its type, at once; a permit issued or paused and still
    not closed `grace_s` after its planned end. One alarm per permit, which lasts until the permit is closed or its
    end is moved past now: pausing the late work does not end it and start another."""
    grace = params(r.type, r.params)["grace_s"]
    keep = set()
    for p in e.permits.values():  # the scene holds the permits not closed: issued, in progress, paused
        key = AlarmKey.of(r.id, FenceKey.permit(p.id))
        past_end = now > p.planned_end
        too_long = (
            p.max_validity_s is not None and p.actual_start is not None and now - p.actual_start > p.max_validity_s
        )
        late = (p.active and (past_end or too_long)) or (not p.active and now > p.planned_end + grace)
        if key in e.open and (past_end or too_long):
            keep.add(key)  # still late and not closed: the same alarm
        elif late and r.in_force(now):
            keep.add(key)
            ev = {
                "planned_end": p.planned_end,
                "overdue_s": round(now - p.planned_end),
                "past_planned_end": past_end,
                "past_max_validity": too_long,
                "max_validity_s": p.max_validity_s,
                "grace_s": grace,
                "work_stopped": not p.active,
            }
            permit_raise(e, out, r, key, p, now, ev)
    permit_end(e, out, r, now, keep, "closed (accepted, voided or revoked), or its end moved")


register(
    RuleType(
        "permit_expired",
        "permit",
        "10",
        "alarm",
        "作业票超时未关闭验收或停止作业",
        {"grace_s": 1800.0},
        on={"tick": permit_overtime_tick},
        cause="seed 002's overtime alarm (作业许可超时报警, GB 30871): in progress past its planned end or past the "
        "GB 30871 maximum for its type, at once; issued or paused and not closed by acceptance (验收), voiding or "
        "revocation `grace_s` (1,800 s) after its planned end; one alarm per late permit",
        ending="closed, or its planned end moved past now",
        evidence=(
            *PERMIT_EVIDENCE,
            "planned_end",
            "overdue_s",
            "past_planned_end",
            "past_max_validity",
            "max_validity_s",
            "grace_s",
            "work_stopped",
        ),
        default_rule=AUTO,
    )
)

HOT_WORK_UPGRADED_BY_CALENDAR = ("02", "03")  # 一级, 二级 hot work: one level up on holidays, rest days, at night


def work_not_upgraded_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    """Seed 002's level alarm (作业许可等级报警: "对于白天进行的特殊作业，夜间没有关闭还在继续作业但是并未进行等级
    升级"): every special work begun by day and still in progress at night (42); and 一级/二级 hot work in progress in a
    holiday (40), rest day (41), night (42) or key period (43) window (GB 30871 5.x). Not when the permit carries
    `attributes.upgraded`."""
    keep = set()
    for p in e.permits.values():
        if not p.active or p.upgraded:
            continue
        for purpose, inside in r.windows.items():
            code = UPGRADE_CODES.get(purpose)
            if not code or not inside(now):
                continue
            by_day = code == "42" and not inside(p.started)
            if p.ticket_type in HOT_WORK_UPGRADED_BY_CALENDAR or by_day:
                key = AlarmKey.of(r.id, FenceKey.permit(p.id), code)
                keep.add(key)
                ev = {"window": purpose, "begun_by_day": by_day, "started": p.started}
                permit_raise(e, out, r, key, p, now, ev, code=code)
    permit_end(e, out, r, now, keep, "outside the window, upgraded or finished")


register(
    RuleType(
        "work_not_upgraded",
        "permit",
        "40",
        "alarm",
        "特殊作业未升级管理",
        on={"tick": work_not_upgraded_tick},
        calendar=True,
        cause="seed 002's level alarm (作业许可等级报警): any special work begun by day and still in progress in the "
        "night window (42), and 一级/二级 hot work in progress in a holiday (40), rest day (41), night (42) or key "
        "period (43) window, unless the permit carries `attributes.upgraded`; the windows are the calendar's "
        "(time windows by purpose)",
        ending="window over, upgraded or finished",
        evidence=(*PERMIT_EVIDENCE, "window", "begun_by_day", "started"),
        default_rule=AUTO,
    )
)


def permit_without_video_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    pr = params(r.type, r.params)
    types = pr["ticket_types"]
    keep = set()
    for p in e.permits.values():
        if p.active and not p.video and (not types or p.ticket_type in types) and now - p.started >= pr["grace_s"]:
            key = AlarmKey.of(r.id, FenceKey.permit(p.id))
            keep.add(key)
            permit_raise(e, out, r, key, p, now, {"started": p.started, "grace_s": pr["grace_s"]})
    permit_end(e, out, r, now, keep, "video linked, or the work ended")


register(
    RuleType(
        "permit_without_video",
        "permit",
        None,
        "alarm",
        "作业票未关联现场视频",
        {"grace_s": 600.0, "ticket_types": []},
        on={"tick": permit_without_video_tick},
        cause="in progress `grace_s` (600 s) after its start with no on-site video linked (the permit feed's VIDEOS), "
        "for every ticket type unless `ticket_types` names some (GB 30871; the 2025 digitalisation plan)",
        ending="a video is linked, or the work ends",
        evidence=(*PERMIT_EVIDENCE, "started", "grace_s"),
        default_rule=AUTO,
    )
)


def unfiled_special_work_tick(e: Engine, r: RuleSpec, now: float, occupants, out) -> None:
    """Special work in progress today (Asia/Shanghai) for an enterprise that filed no commitment for today, or
    of a type today's filing did not declare. Work carried over from yesterday is judged once today's filing is
    due (`deadline_h`). One alarm per enterprise and day."""
    if e.paperwork is None:
        return
    day = local_day(now)
    midnight = day_span(day, day)[0]
    due = now >= midnight + params(r.type, r.params)["deadline_h"] * 3600.0
    found: dict[int, list] = {}
    for p in e.permits.values():
        if not p.active or not r.in_force(now) or (p.started < midnight and not due):
            continue
        declared = e.paperwork.daily.get((p.enterprise_id, day))
        if declared is None or (declared and not declared.get(p.ticket_type)):
            found.setdefault(p.enterprise_id, []).append((p, declared))
    keep = set()
    for ent, items in found.items():
        key = AlarmKey.of(r.id, f"e{ent}", day)
        keep.add(key)
        declared = items[0][1]
        permits = [{"ticket_no": p.ticket_no, "ticket_type": p.ticket_type} for p, _ in items]
        ev = {"rule": r.id, "day": day, "filed": declared is not None, "declared": declared, "permits": permits}
        e.new(out, r, key, now, enterprise=ent, lon=items[0][0].lon, lat=items[0][0].lat, evidence=ev)
    permit_end(e, out, r, now, keep, "filed, or the work ended")


register(
    RuleType(
        "unfiled_special_work",
        "permit",
        None,
        "alarm",
        "未报备特殊作业",
        {"deadline_h": 9.0},
        on={"tick": unfiled_special_work_tick},
        cause="special work in progress today (Asia/Shanghai) for an enterprise that filed no daily commitment for "
        "today (每日承诺公告, the daily-filings feed), or of a ticket type today's filing declared none of; work "
        "carried over from yesterday counts from `deadline_h` (09:00); one alarm per enterprise and day, listing "
        "the permits",
        ending="the filing arrives, or the work ends",
        evidence=("day", "filed", "declared", "permits"),
        default_rule=AUTO,
    )
)
