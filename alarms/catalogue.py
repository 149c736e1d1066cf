"""Every alarm type: its category, the standards' code, default severity and default thresholds.

Codes: AQ 3064.3-2025 B.3 (person: 0 SOS, 1 out of bounds, 2 overstay, 3 stationary, 4 leaving) and B.4 (zone:
1 over capacity, 2 under-staffed, 3 absent from post); AQ 3064.2-2025 alarm types for permits (10 expired, 30 approver
not on site, 31 guardian away, 40-43 hot work not upgraded). Types without a code in the standards have none.
Every default here can be overridden per rule (`AlarmRule.params`) and per zone (`Zone.attributes["alarm"]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AlarmType:
    name: str
    category: str  # person, zone, permit, welder, feed
    code: str | None
    severity: str
    label: str
    defaults: dict = field(default_factory=dict)
    # Which subjects the type is about by default (rule filters narrow it).
    kinds: tuple[str, ...] = ("person",)
    # Zone kinds a rule of this type watches when it names no zones.
    zone_kinds: tuple[str, ...] = ()


TYPES: dict[str, AlarmType] = {
    t.name: t
    for t in [
        AlarmType("sos", "person", "0", "critical", "SOS 求救"),
        AlarmType(
            "out_of_bounds",
            "person",
            "1",
            "warning",
            "越界 / 闯入禁区",
            # Warn at once, upgrade to an alarm when not cleared (AQ 3064.3: within 5 s / 30 s).
            # Hysteresis: 6 m past the edge (beyond the +-5 m dynamic accuracy of AQ 3064.3) counts at once, a
            # walker is 6 m in within 5 s; otherwise 10 s on one side of the edge.
            {
                "confirm_after_s": 30.0,
                "enter_dwell_s": 10.0,
                "exit_dwell_s": 10.0,
                "enter_margin_m": 6.0,
                "exit_margin_m": 6.0,
            },
            zone_kinds=("forbidden", "temporary"),
        ),
        AlarmType("overstay", "person", "2", "alarm", "滞留超时", {"limit_s": 1800.0}, zone_kinds=("key_place",)),
        AlarmType(
            "stationary",
            "person",
            "3",
            "alarm",
            "静止 (疑似倒地)",
            {"radius_m": 3.0, "limit_s": 300.0},
            zone_kinds=("key_place", "work_area"),
        ),
        AlarmType("leaving", "person", "4", "warning", "离场", {}, zone_kinds=("site_boundary",)),
        AlarmType("unauthorized_person", "person", None, "alarm", "非授权人员进入作业区域"),
        AlarmType("over_capacity", "zone", "1", "alarm", "超员", {"grace_s": 10.0}, zone_kinds=("key_place",)),
        AlarmType("under_staffed", "zone", "2", "warning", "缺员", {"grace_s": 60.0}, zone_kinds=("key_place", "post")),
        AlarmType("absent_from_post", "zone", "3", "warning", "缺岗", {"grace_s": 300.0}, zone_kinds=("post",)),
        AlarmType(
            "gathering",
            "zone",
            None,
            "yellow",
            "人员聚集",
            # >= 3 people within 15 m for > 1 min: 3 yellow, 4-6 orange, > 6 red (AQ 3064.3).
            # A permit's crew at its work (within crew_exempt_m of it) is not a gathering; 0 counts them too.
            {
                "crew_exempt_m": 30.0,
                "radius_m": 15.0,
                "min_people": 3,
                "min_duration_s": 60.0,
                "orange_from": 4,
                "red_from": 7,
                "fresh_s": 60.0,
                "interval_s": 1.0,
            },
        ),
        AlarmType("location_outside_site", "permit", None, "alarm", "作业地点不在本企业厂区内"),
        AlarmType(
            "guardian_away",
            "permit",
            "31",
            "alarm",
            "监护人离开作业现场",
            {"distance_m": 10.0, "grace_s": 60.0, "ticket_types": ["01", "02", "03", "70"]},
        ),
        AlarmType("approver_not_on_site", "permit", "30", "alarm", "审批人未到现场审批", {"distance_m": 50.0}),
        AlarmType("permit_expired", "permit", "10", "alarm", "作业票超期"),
        AlarmType("hot_work_not_upgraded", "permit", "40", "alarm", "动火作业未升级管理"),
        AlarmType(
            "key_area_work",
            "welder",
            None,
            "alarm",
            "焊机在重点区域作业",
            {"enter_dwell_s": 10.0, "exit_dwell_s": 10.0},
            kinds=("welder",),
            zone_kinds=("key_place",),
        ),
        # Remote only when the phone is beyond `distance_m` of the machine even at the nearest ends of both accuracy
        # radii (a base-station fix is hundreds of metres off); fixes that report no radius get these defaults.
        AlarmType(
            "remote_scan",
            "welder",
            None,
            "alarm",
            "远距离扫码作业",
            {"distance_m": 1000.0, "machine_accuracy_m": 500.0, "phone_accuracy_m": 50.0},
            kinds=("welder",),
        ),
        AlarmType(
            "mobile_welder",
            "welder",
            None,
            "warning",
            "移动焊机异常流动",
            {"window_days": 15.0, "jump_m": 4000.0, "jumps": 3, "districts": 2},
            kinds=("welder",),
        ),
        # Many machines silent together is one outage (broker, ingest, network, the service's own start), not a
        # storm of per-machine alarms: at least `outage_min` machines and `outage_share` of the powered ones.
        AlarmType(
            "welder_silent",
            "welder",
            None,
            "warning",
            "焊机通电但失联",
            {"silent_s": 600.0, "outage_min": 20, "outage_share": 0.1},
            kinds=("welder",),
        ),
        # Raised by the welder_silent rule when the silence is a feed's, not a machine's (see above).
        AlarmType("feed_outage", "feed", None, "alarm", "大面积失联 (数据中断)", {}, kinds=("welder",)),
        AlarmType(
            "feed_offline",
            "feed",
            None,
            "warning",
            "企业数据中断",
            {"outage_min": 5, "outage_share": 0.5, "grace_s": 120.0},
            kinds=(),
        ),
        # A fence redrawn over people: one record of how many it put inside or outside (raised and ended at once).
        AlarmType("fence_edited", "zone", None, "info", "围栏调整致人员进出", {}, kinds=()),
        # An input (an SOS, a scan, a report) the worker could not evaluate after retries: the service's own alarm.
        AlarmType("input_unevaluated", "system", None, "alarm", "报警输入无法评估", {}, kinds=()),
    ]
}

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

SEVERITIES = ("info", "warning", "alarm", "critical", "yellow", "orange", "red")


def params(type_name: str, *overrides: dict | None) -> dict:
    """The thresholds in force: the type's defaults, then each override in order (rule, then zone)."""
    out = dict(TYPES[type_name].defaults)
    for o in overrides:
        if o:
            out.update(o)
    return out
