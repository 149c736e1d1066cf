"""Reminders of special equipment's upkeep (seed 001: 维保逾期预警, 超期未检, 维保合同到期预警, 资质到期预警)
through the pure engine: one warning per device and state while the state holds, none twice, ended when the state is
no longer listed (a maintenance record, a passed inspection), and an enterprise's own rule sees only its own devices."""

from __future__ import annotations

from alarms.engine import RuleSpec
from geo_core.equipment_upkeep import Concern
from tests.alarms.scenes import engine, kinds

INFO = {"registry_code": "31103101012026000020", "name": "2号客梯", "maintenance_unit": "测试维保"}
MAINTENANCE = RuleSpec(1, "equipment_maintenance_overdue")
INSPECTION = RuleSpec(2, "equipment_inspection_overdue")
LICENCE = RuleSpec(3, "maintenance_licence_expiring")


def concern(state: str, equipment: int = 7, enterprise: int | None = 5) -> Concern:
    return Concern(equipment, state, 900.0, enterprise, 121.4, 30.8, INFO)


def test_a_reminder_is_raised_once_while_its_state_holds_and_ended_when_it_no_longer_does():
    e = engine([MAINTENANCE, INSPECTION, LICENCE])
    sig = e.upkeep([concern("maintenance_overdue"), concern("qualification_expiring")], 1000.0)
    assert sorted(kinds(sig)) == [("raise", "equipment_maintenance_overdue"), ("raise", "maintenance_licence_expiring")]
    raised = {s.type: s for s in sig}
    assert raised["equipment_maintenance_overdue"].severity == "yellow"
    assert raised["equipment_maintenance_overdue"].evidence["equipment"]["name"] == "2号客梯"
    assert raised["equipment_maintenance_overdue"].evidence["since"] == 900.0
    assert raised["equipment_maintenance_overdue"].enterprise == 5
    assert e.upkeep([concern("maintenance_overdue"), concern("qualification_expiring")], 1060.0) == []
    done = e.upkeep([concern("qualification_expiring")], 1120.0)  # maintenance recorded
    assert kinds(done) == [("end", "equipment_maintenance_overdue")]
    assert "maintenance record" in done[0].evidence["ended_by"]
    assert kinds(e.upkeep([concern("inspection_overdue", equipment=8)], 1180.0)) == [
        ("raise", "equipment_inspection_overdue"),
        ("end", "maintenance_licence_expiring"),
    ]


def test_an_enterprises_own_rule_reminds_of_its_own_devices_only():
    own = RuleSpec(4, "equipment_maintenance_overdue", enterprise_id=5)
    e = engine([own])
    assert e.upkeep([concern("maintenance_overdue", equipment=9, enterprise=6)], 1000.0) == []
    assert kinds(e.upkeep([concern("maintenance_overdue", enterprise=5)], 1000.0)) == [
        ("raise", "equipment_maintenance_overdue")
    ]
