"""Issue 24 (10): the rules every park must have (SOS, man down, feed outages) cannot be deleted, switched off,
narrowed or suppressed, through the API, the ORM or SQL; their thresholds change within safe bounds, audited; and an
SOS still raises after every attempt."""

from __future__ import annotations

import orjson
import pytest
from django.db import IntegrityError, connection, transaction

from alarms.catalogue import TYPES
from alarms.models import Alarm, AlarmRule, ProtectedRuleError
from geo_core.ingest.devices import process
from geo_core.models import AuditEvent
from tests.alarms.conftest import T0
from tests.alarms.test_api import supervisor
from tests.alarms.test_worker import started

__all__ = ["supervisor"]
LIFE_SAFETY = ("sos", "stationary", "feed_offline", "welder_silent")


def rule_of(type_: str) -> AlarmRule:
    return AlarmRule.objects.get(type=type_, life_safety=True)


def test_every_life_safety_type_has_its_one_marked_rule(db):
    assert {t for t in TYPES if TYPES[t].life_safety} >= set(LIFE_SAFETY)
    for t in LIFE_SAFETY:
        assert rule_of(t).active


@pytest.mark.parametrize("type_", LIFE_SAFETY)
def test_the_api_cannot_delete_switch_off_or_narrow_a_life_safety_rule(client, supervisor, type_):
    rule = rule_of(type_)
    url = f"/api/alarm-rules/{rule.id}"
    assert client.delete(url, **supervisor).status_code == 409
    for change in (
        {"active": False},
        {"type": "out_of_bounds"},
        {"subject_kinds": ["welder"]},
        {"person_types": ["02"]},
        {"window_mode": "inside"},
        {"zone_kinds": ["post"]},
        {"zones": [1]},
        {"enterprise": "X"},
        {"params": {"enter_dwell_s": 100000}},
    ):
        r = client.patch(url, change, content_type="application/json", **supervisor)
        assert r.status_code in (400, 409), (change, r.content)
    rule.refresh_from_db()
    assert rule.active
    assert rule.type == type_


def test_thresholds_change_within_safe_bounds_only_and_are_audited(client, supervisor):
    rule = rule_of("stationary")
    url = f"/api/alarm-rules/{rule.id}"
    r = client.patch(url, {"params": {"limit_s": 120}}, content_type="application/json", **supervisor)
    assert r.status_code == 200, r.content
    assert rule_of("stationary").params == {"limit_s": 120}
    r = client.patch(url, {"params": {"limit_s": 86400}}, content_type="application/json", **supervisor)
    assert r.status_code == 400
    assert "safe bounds" in str(r.json()), r.json()
    assert AuditEvent.objects.filter(action="changed", target_type="alarms.alarmrule", target_id=str(rule.id)).exists()


def test_the_database_refuses_too(db):
    rule = rule_of("sos")
    with pytest.raises(ProtectedRuleError):
        rule.delete()
    for sql in (
        "DELETE FROM alarms_alarmrule WHERE id = %s",
        "UPDATE alarms_alarmrule SET active = false WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [rule.id])
    assert AlarmRule.objects.filter(pk=rule.pk, active=True).exists()


def test_life_safety_alarms_are_never_suppressed(client, supervisor, scene):
    for types in ([], ["sos"], ["feed_outage", "out_of_bounds"]):
        r = client.post(
            "/api/alarm-suppressions/",
            {"name": "演练", "types": types, "reason": "drill"},
            content_type="application/json",
            **supervisor,
        )
        assert r.status_code == 400, (types, r.content)
    from alarms.models import Suppression

    Suppression.objects.create(
        name="old row: everything", types=[], reason="from before"
    )  # as an old database may hold
    w = started()
    process([("camera/BC1/sos", orjson.dumps({"ts": int(T0 * 1000), "lon": 121.3, "lat": 30.75}))])
    w.step(T0 + 0.1, [], events=True, tick=False)
    a = Alarm.objects.get(type="sos")
    assert a.suppressed_by is None
    assert a.status != "suppressed"
