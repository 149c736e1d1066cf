"""What special equipment's IoT monitors report (seed 001: 楼层, 上下行, 运行时间, 运行次数, 故障; boilers' and vessels'
pressure and temperature), and the faults they name: the common elevator IoT fault set (GB/T 24476-2017's events: 困人,
运行中开门, 超速, 冲顶, 蹲底, 门区外停梯 ...) and the limit breaches the service derives for pressure equipment.

One table, read by the ingest (which codes a reading may name), the alarms (each fault's severity, and how long it may
stay unhandled before 故障处置逾期), the vocabulary (labels and colours on the pages) and the docs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    code: str
    zh: str
    en: str
    severity: str  # an alarms severity (alarms.catalogue.SEVERITIES)
    handle_within_s: int  # unhandled (still reported) longer than this: 故障处置逾期
    kinds: tuple[str, ...]  # the equipment kinds that report it


# The kinds the special-equipment law lists (SpecialEquipment.Kind's codes; the model's check constraint reads this).
KINDS = (
    "elevator",
    "boiler",
    "pressure_vessel",
    "pressure_piping",
    "crane",
    "ropeway",
    "amusement_ride",
    "plant_vehicle",
)
LIFTS = ("elevator",)
PRESSURE = ("boiler", "pressure_vessel", "pressure_piping")
ALL = KINDS

FAULTS: dict[str, Fault] = {
    f.code: f
    for f in (
        # Trapped passengers: TSG T5002 asks the rescue to arrive within 30 minutes.
        Fault("trapped", "困人", "Passengers trapped", "critical", 1800, LIFTS),
        Fault("door_open_moving", "运行中开门", "Door open while moving", "red", 1800, LIFTS),
        Fault("overspeed", "超速", "Overspeed", "red", 1800, LIFTS),
        Fault("top_overrun", "冲顶", "Overrun at the top", "red", 1800, LIFTS),
        Fault("bottom_overrun", "蹲底", "Overrun at the bottom", "red", 1800, LIFTS),
        Fault("unintended_movement", "轿厢意外移动", "Unintended car movement", "red", 1800, LIFTS),
        Fault("stop_out_of_zone", "门区外停梯", "Stopped outside the door zone", "orange", 3600, LIFTS),
        Fault("safety_circuit", "安全回路断路", "Safety circuit open", "orange", 3600, LIFTS),
        Fault("door_lock", "门锁回路异常", "Door lock circuit fault", "orange", 3600, LIFTS),
        Fault("power_loss", "停电", "Power lost", "orange", 3600, ALL),
        Fault("overpressure", "超压", "Pressure above its limit", "red", 900, PRESSURE),
        Fault("overtemperature", "超温", "Temperature above its limit", "red", 900, PRESSURE),
        Fault("low_water", "缺水", "Low water level", "red", 900, ("boiler",)),
        Fault("overload", "超载", "Overload", "orange", 3600, ("crane", "elevator")),
        Fault("other", "其他故障", "Other fault", "yellow", 7200, ALL),
    )
}
MAX_FAULTS = 8  # faults one reading may name
DIRECTIONS = ("up", "down", "stop")
DOORS = ("open", "closed")
# A monitor silent this long is offline (seed 001: 在线/离线); readings come every few seconds to a minute.
OFFLINE_AFTER_S = 300


@dataclass(frozen=True)
class Upkeep:
    """An upkeep state of a device (seed 001: 维保逾期, 超期未检, 应检设备（下个月超期）, 检验不合格, 维保合同到期,
    资质到期), worst first in `UPKEEP`: the map rings a device by its worst, a list filters by any, and those with an
    `alarm` raise a reminder (alarms.rules.upkeep) while they hold."""

    code: str
    zh: str
    en: str
    colour: str
    alarm: str | None = None  # the reminder's alarm type, when it raises one


UPKEEP_STATES: tuple[Upkeep, ...] = (
    Upkeep("inspection_overdue", "超期未检", "Inspection overdue", "#b31d28", "equipment_inspection_overdue"),
    Upkeep("inspection_failed", "检验不合格", "Failed inspection", "#d73a49", "equipment_inspection_failed"),
    Upkeep("maintenance_overdue", "维保逾期", "Maintenance overdue", "#f66a0a", "equipment_maintenance_overdue"),
    Upkeep(
        "contract_expiring", "维保合同到期", "Maintenance contract expiring", "#e36209", "equipment_contract_expiring"
    ),
    Upkeep(
        "qualification_expiring", "维保资质到期", "Unit's licence expiring", "#e36209", "maintenance_licence_expiring"
    ),
    Upkeep("inspection_due", "下月应检", "Inspection due by next month's end", "#dbab09"),
    Upkeep("maintenance_due", "维保临期", "Maintenance due within 3 days", "#dbab09"),
    Upkeep("ok", "正常", "In order", "#ffffff"),
)
UPKEEP = tuple(u.code for u in UPKEEP_STATES)
# Thresholds (seed 001's reminders): maintenance due this close is 维保临期; a contract or a unit's licence this close
# to its end is reminded; an inspection due before the end of next month is 下月应检.
MAINTENANCE_DUE_DAYS = 3
EXPIRY_WARNING_DAYS = 30
