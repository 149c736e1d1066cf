"""Reminders of special equipment's upkeep (seed 001: "展示单位、人员资质到期预警,维保逾期预警,…维保合同到期预警";
"电梯维保逾期信息的查询查看,对逾期进行提醒"; 超期未检): one warning per device and state while the state holds.

The states and their thresholds are `geo_core.equipment_upkeep`'s (the same the map rings a device by); the worker
hands over every (device, state) that holds now (`Concern`s, at most once a minute), and each type raises for the
new ones and ends those no longer listed: a maintenance record ends 维保逾期, a passed inspection 超期未检."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alarms.catalogue import RuleType, register
from alarms.keys import AlarmKey
from geo_core.equipment_codes import UPKEEP_STATES

if TYPE_CHECKING:
    from alarms.engine import Engine
    from alarms.specs import RuleSpec, Signal

ENDING = {
    "inspection_overdue": "an inspection recorded with its next due day",
    "inspection_failed": "a passed inspection (复检合格)",
    "maintenance_overdue": "a maintenance record (the one-click check-in at the device, the report API or an import)",
    "contract_expiring": "the contract's new end is recorded (more than 30 days away)",
    "qualification_expiring": "the unit's licence's new end is recorded (more than 30 days away)",
}
CAUSE = {
    "inspection_overdue": "the device's next inspection day (下次检验日期) has passed (超期未检)",
    "inspection_failed": "the device's last inspection failed (检验不合格)",
    "maintenance_overdue": "no maintenance within the device's interval (维保周期: 15 days for an elevator, TSG T5002)",
    "contract_expiring": "the maintenance contract ends within 30 days, or has ended (维保合同到期)",
    "qualification_expiring": "the maintenance unit's licence ends within 30 days, or has ended (资质到期)",
}


def _handler(state: str):
    def on_upkeep(e: Engine, rules: list[RuleSpec], concerns, now: float, out: list[Signal]) -> None:
        held = [c for c in concerns if c.state == state]
        for r in rules:
            if not r.in_force(now):
                continue
            present = set()
            for c in held:
                if r.enterprise_id not in (None, c.enterprise):
                    continue
                key = AlarmKey.of(r.id, "upkeep", c.equipment, state)
                present.add(key)
                evidence = {"rule": r.id, "state": state, "since": c.since, "equipment": c.info}
                e.new(out, r, key, now, enterprise=c.enterprise, lon=c.lon, lat=c.lat, evidence=evidence)
            for key in [k for k in e.open_for(r.id) if k not in present]:
                out.append(e.end(key, now, {"ended_by": ENDING[state]}))

    return on_upkeep


for u in UPKEEP_STATES:
    if u.alarm:
        register(
            RuleType(
                u.alarm,
                "equipment",
                None,
                "yellow",
                f"{u.zh}预警",
                kinds=(),
                on={"upkeep": _handler(u.code)},
                cause=CAUSE[u.code] + "; checked every minute",
                ending=ENDING[u.code],
                evidence=("state", "since", "equipment"),
            )
        )
