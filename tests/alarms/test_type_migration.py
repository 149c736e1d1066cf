"""The alarm types as the seeds name them (migration alarms 0011): alarms raised under the old types stay readable
under the new ones, and the new types get their default rules."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE, AFTER = [("alarms", "0010_equipment_upkeep_types")], [("alarms", "0011_seed_alarm_types")]
NEW = ["contractor_staff_unqualified", "temporary_zone_work", "key_period_work", "work_not_upgraded"]


def _migrate(target):
    with connection.cursor() as cur:  # inside the test's transaction: the deferred FK checks first, then DDL
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db
def test_old_alarms_take_the_seeds_types_and_new_types_get_rules():
    from alarms.models import AlarmRule

    AlarmRule.objects.filter(type__in=NEW).delete()  # what 0010's constraint allows
    apps = _migrate(BEFORE)
    rule_model, alarm_model = apps.get_model("alarms", "AlarmRule"), apps.get_model("alarms", "Alarm")
    rules = {t: rule_model.objects.filter(type=t).first() for t in ("permit_overdue", "permit_expired")}
    if rules["permit_overdue"] is None:
        rules["permit_overdue"] = rule_model.objects.create(name="作业票超时未关闭 (default)", type="permit_overdue")
    hot = rule_model.objects.filter(type="hot_work_not_upgraded").first() or rule_model.objects.create(
        name="动火作业未升级管理 (default)", type="hot_work_not_upgraded"
    )
    now = timezone.now()

    def alarm(key, type_, **kw):
        return alarm_model.objects.create(key=key, type=type_, category="permit", severity="alarm", raised_at=now, **kw)

    overdue = alarm("m:1", "permit_overdue", rule=rules["permit_overdue"], evidence={"overdue_s": 2000})
    night = alarm("m:2", "hot_work_not_upgraded", rule=hot, code="42")
    staff = alarm("m:3", "contractor_unqualified", evidence={"contractor_problem": None, "staff": [{"staff": "张三"}]})
    unit = alarm("m:4", "contractor_unqualified", evidence={"contractor_problem": "blacklisted", "staff": []})
    trained = alarm("m:5", "contractor_unqualified", evidence={"problem": "safety training none"})

    apps = _migrate(AFTER)
    alarm_model, rule_model = apps.get_model("alarms", "Alarm"), apps.get_model("alarms", "AlarmRule")
    got = dict(alarm_model.objects.filter(key__startswith="m:").values_list("key", "type"))
    assert got == {
        overdue.key: "permit_expired",
        night.key: "work_not_upgraded",
        staff.key: "contractor_staff_unqualified",
        unit.key: "contractor_unqualified",
        trained.key: "contractor_staff_unqualified",
    }
    moved = alarm_model.objects.get(key="m:1")
    assert (moved.code, moved.rule_id) == ("10", rules["permit_expired"].id)
    assert alarm_model.objects.get(key="m:2").code == "42"
    assert not rule_model.objects.filter(type__in=["permit_overdue", "hot_work_not_upgraded"]).exists()
    assert set(NEW) <= set(rule_model.objects.values_list("type", flat=True))
    assert rule_model.objects.get(id=hot.id).name == "特殊作业未升级管理 (default)"
