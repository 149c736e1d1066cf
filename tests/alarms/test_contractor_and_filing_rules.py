"""Seed 002's permit and contractor alarms on the pure engine: who is filed where, who is certified, whether the
day's commitment was filed, whether a permit has its video and was closed in time."""

from __future__ import annotations

import shapely

from alarms.engine import Paperwork, PermitSpec, RuleSpec, ZoneSpec
from alarms.specs import ContractorInfo, StaffInfo, day_span, local_day
from tests.alarms.scenes import engine, kinds, line, run, track, zones

DAY = 86400.0
T0 = day_span("2026-11-26", "2026-11-26")[0] + 10 * 3600.0  # 10:00 in Shanghai
TODAY = local_day(T0)
ALWAYS = ((0.0, 4e9),)
SITE_B = shapely.box(2000, -500, 3000, 500)


def site_zones() -> list[ZoneSpec]:
    return [*zones(), ZoneSpec(5, "乙企业厂区", "site_boundary", SITE_B, enterprise_id=2)]


def staff(filed_for=(1,), certified=ALWAYS, trained=ALWAYS) -> StaffInfo:
    return StaffInfo(7, "张三", "91310000MA1K35XX0X", certified, trained, tuple((e, 0.0, 4e9) for e in filed_for))


def papers(s: StaffInfo | None = None, unit_certified=ALWAYS, daily=None) -> Paperwork:
    units = {"91310000MA1K35XX0X": ContractorInfo("91310000MA1K35XX0X", "某安装公司", unit_certified)}
    return Paperwork({3: s} if s else {}, units, daily if daily is not None else {})


def test_staff_filed_for_a_working_on_bs_site_raises_after_the_dwell_and_ends_when_filed():
    e = engine([RuleSpec(50, "contractor_elsewhere", zones=frozenset({4, 5}))], site_zones())
    e.configure(site_zones(), [], list(e.rules.values()), paperwork=papers(staff(filed_for=(1,))), now=T0)
    # On A's own site for ten minutes: filed there, nothing.
    assert run(e, track(3, T0, [(0.0, -300.0)] * 600)) == []
    # Walks to B's site and stays: raised after 300 s, for B, with A shown as the filing.
    out = run(e, track(3, T0 + 600, line((0, -300), (2500, 0), 60) + [(2500.0, 0.0)] * 400))
    raised = [s for s in out if s.action == "raise"]
    assert [s.type for s in raised] == ["contractor_elsewhere"]
    assert raised[0].enterprise == 2
    assert raised[0].evidence["filed_for"] == [1]
    assert raised[0].t - (T0 + 600) >= 300
    # B files the person: the alarm ends at the next tick.
    e.configure(site_zones(), [], list(e.rules.values()), paperwork=papers(staff(filed_for=(1, 2))), now=T0 + 1100)
    assert kinds(e.tick(T0 + 1101)) == [("end", "contractor_elsewhere")]


def test_a_passer_by_and_a_person_who_is_not_contractor_staff_raise_nothing():
    e = engine([RuleSpec(50, "contractor_elsewhere", zones=frozenset({5}))], site_zones())
    e.configure(site_zones(), [], list(e.rules.values()), paperwork=papers(staff(filed_for=())), now=T0)
    # Through B's site in two minutes: shorter than the dwell.
    assert run(e, track(3, T0, line((1900, 0), (3100, 0), 120))) == []
    # Someone not on any contractor's staff stays on B's site: not this rule's business.
    assert run(e, track(4, T0, [(2500.0, 0.0)] * 400)) == []


def _permit(**kw) -> PermitSpec:
    base = dict(
        id=9,
        ticket_no="DH-9",
        ticket_type="02",
        status=2,
        enterprise_id=1,
        x=50.0,
        y=-300.0,
        lon=121.3,
        lat=30.7,
        guardian=3,
        authorised=frozenset({3}),
        planned_end=T0 + 8 * 3600,
        actual_start=T0 - 3600,
        contractor_code="91310000MA1K35XX0X",
    )
    return PermitSpec(**{**base, **kw})


def test_permit_of_an_uncertified_unit_or_with_untrained_staff_raises_two_types_and_ends_when_renewed():
    """Seed 002's two contractor alarms: the unit's (资质) and its staff's (员工), each its own type."""
    rules = [RuleSpec(51, "contractor_unqualified"), RuleSpec(56, "contractor_staff_unqualified")]
    e = engine(rules, site_zones(), [_permit()])
    expired = (day_span("2025-11-25", "2026-11-24"),)  # certified for a year, not renewed
    e.configure(site_zones(), [_permit()], rules, paperwork=papers(staff(), unit_certified=expired), now=T0)
    out = e.tick(T0)
    assert kinds(out) == [("raise", "contractor_unqualified")]
    assert out[0].evidence["contractor_problem"].startswith("park certification expired 2026-11-24")
    assert out[0].permit == 9
    # Renewed (续证): ended.
    e.configure(site_zones(), [_permit()], rules, paperwork=papers(staff()), now=T0 + 10)
    assert kinds(e.tick(T0 + 10)) == [("end", "contractor_unqualified")]
    # Staff member's training lapsed: the staff type, naming the person; the unit is in order.
    e.configure(site_zones(), [_permit()], rules, paperwork=papers(staff(trained=())), now=T0 + 20)
    out = e.tick(T0 + 20)
    assert kinds(out) == [("raise", "contractor_staff_unqualified")]
    assert [p["problem"] for p in out[0].evidence["staff"]] == ["safety training none"]
    # A unit the park has never certified nor heard of.
    e2 = engine(rules, site_zones(), [_permit(contractor_code="91310000MA1K35YY0Y")])
    e2.configure(site_zones(), e2.permits.values(), rules, paperwork=papers(), now=T0)
    assert e2.tick(T0)[0].evidence["contractor_problem"] == "unknown to the park"


def test_uncertified_staff_on_a_site_raises_without_a_permit():
    rules = [RuleSpec(51, "contractor_unqualified", zones=frozenset({4}))]
    rules.append(RuleSpec(56, "contractor_staff_unqualified", zones=frozenset({4})))
    e = engine(rules)
    e.configure(zones(), [], rules, paperwork=papers(staff(certified=())), now=T0)
    out = run(e, track(3, T0, [(0.0, -300.0)] * 400))
    assert kinds(out) == [("raise", "contractor_staff_unqualified")]
    assert out[0].evidence["problem"] == "park certification none"


def test_special_work_without_todays_filing_raises_one_alarm_per_enterprise_and_ends_when_filed():
    rule = RuleSpec(52, "unfiled_special_work")
    permits = [_permit(), _permit(id=10, ticket_no="SX-10", ticket_type="70")]
    e = engine([rule], zones(), permits)
    e.configure(zones(), permits, [rule], paperwork=papers(), now=T0)
    out = e.tick(T0)
    assert kinds(out) == [("raise", "unfiled_special_work")]
    assert out[0].evidence["day"] == TODAY
    assert {p["ticket_no"] for p in out[0].evidence["permits"]} == {"DH-9", "SX-10"}
    # Filed, but only hot work declared: the confined-space work is still unfiled (the same alarm stays).
    e.configure(zones(), permits, [rule], paperwork=papers(daily={(1, TODAY): {"02": 1}}), now=T0 + 1)
    assert e.tick(T0 + 1) == []
    # Both declared: ended.
    e.configure(zones(), permits, [rule], paperwork=papers(daily={(1, TODAY): {"02": 1, "70": 1}}), now=T0 + 2)
    assert kinds(e.tick(T0 + 2)) == [("end", "unfiled_special_work")]


def test_work_carried_over_from_yesterday_is_judged_from_the_filing_deadline():
    rule = RuleSpec(52, "unfiled_special_work")
    night = T0 - 10 * 3600 + 2 * 3600  # 02:00, the permit started yesterday evening
    permits = [_permit(actual_start=night - 5 * 3600)]
    e = engine([rule], zones(), permits)
    e.configure(zones(), permits, [rule], paperwork=papers(daily={(1, local_day(night - DAY)): {}}), now=night)
    assert e.tick(night) == []
    assert kinds(e.tick(night + 7 * 3600 + 1)) == [("raise", "unfiled_special_work")]  # 09:00 passed


def test_a_permit_without_video_raises_after_the_grace_and_ends_when_linked():
    rule = RuleSpec(53, "permit_without_video")
    p = _permit(video=False, actual_start=T0)
    e = engine([rule], zones(), [p])
    assert e.tick(T0 + 599) == []
    assert kinds(e.tick(T0 + 600)) == [("raise", "permit_without_video")]
    e.configure(zones(), [_permit(actual_start=T0)], [rule], now=T0 + 700)
    assert kinds(e.tick(T0 + 700)) == [("end", "permit_without_video")]


def test_one_overtime_alarm_per_late_permit_at_once_in_progress_after_the_grace_when_stopped():
    """Seed 002's 作业许可超时报警 is one alarm: work going on past its end at once; a paused permit not closed after
    the grace; pausing the late work keeps the same alarm; closing ends it."""
    rules = [RuleSpec(55, "permit_expired")]
    in_progress = _permit(planned_end=T0)
    stopped = _permit(id=11, ticket_no="GC-11", status=6, planned_end=T0)  # paused, never closed
    e = engine(rules, zones(), [in_progress, stopped])
    first = e.tick(T0 + 1)
    assert kinds(first) == [("raise", "permit_expired")]  # at once, the work going on past its end
    assert (first[0].permit, first[0].code, first[0].evidence["work_stopped"]) == (9, "10", False)
    later = e.tick(T0 + 1801)
    assert [(s.action, s.permit, s.evidence["work_stopped"]) for s in later] == [("raise", 11, True)]
    # The late work paused: still the one alarm, nothing new, nothing ended.
    e.configure(zones(), [_permit(planned_end=T0, status=6), stopped], rules, now=T0 + 1850)
    assert e.tick(T0 + 1860) == []
    # Closed (accepted): it leaves the scene and its alarm ends; the other's end moved: it ends too.
    out = e.configure(
        zones(), [_permit(id=11, ticket_no="GC-11", status=6, planned_end=T0 + 9000)], rules, now=T0 + 1900
    )
    out += e.tick(T0 + 1900)
    assert sorted((s.action, s.permit) for s in out) == [("end", 9), ("end", 11)]


def test_level_alarm_for_any_special_work_begun_by_day_and_running_at_night():
    """Seed 002's 作业许可等级报警: confined-space work begun by day still running at night (42); begun at night it
    was planned for the night; 一级 hot work at night whatever its start; upgraded work never."""
    night = {"night": lambda t: t >= T0}
    rules = [RuleSpec(57, "work_not_upgraded", windows=night)]
    by_day = _permit(id=20, ticket_no="SX-20", ticket_type="70", actual_start=T0 - 3600)
    at_night = _permit(id=21, ticket_no="SX-21", ticket_type="70", actual_start=T0 + 60)
    hot_at_night = _permit(id=22, ticket_no="DH-22", ticket_type="02", actual_start=T0 + 60)
    upgraded = _permit(id=23, ticket_no="SX-23", ticket_type="70", actual_start=T0 - 3600, upgraded=True)
    e = engine(rules, zones(), [by_day, at_night, hot_at_night, upgraded])
    out = e.tick(T0 + 120)
    assert sorted((s.permit, s.code, s.evidence["begun_by_day"]) for s in out) == [(20, "42", True), (22, "42", False)]
