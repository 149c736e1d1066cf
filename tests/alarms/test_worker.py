"""The alarm worker over real PostGIS: the live feed of committed batches in, alarms with evidence, lifecycle rows
and push events out; restarts; late batches; rule changes without a restart; suppression; device events."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson

from alarms.models import Alarm, AlarmAction, AlarmEvent, AlarmRule, Suppression
from alarms.scene import subjects_by_id
from alarms.worker import AlarmWorker
from coord_transform.gcj02 import wgs84_to_gcj02
from geo_core.ingest.devices import process
from geo_core.models import TimeWindow
from tests.alarms.conftest import T0


def walk(worker, scene, subject, t0, easts, now_lag=0.0):
    """One fix per second along `easts` (metres east of the forbidden square's centre), a worker step after each."""
    for k, e in enumerate(easts):
        t = t0 + k
        note = scene.write(subject, t, e).notified
        worker.step(t + now_lag, [note] if note else [])


def started(now=T0 - 10) -> AlarmWorker:
    w = AlarmWorker()
    w.start(now=now)
    return w


def test_contractor_in_forbidden_zone_raised_confirmed_ended_with_evidence(scene):
    w = started()
    path = list(range(-120, -20, 2)) + [0] * 40 + list(range(0, 130, 3))
    walk(w, scene, scene.people["C1"], T0, path)
    a = Alarm.objects.get(type="out_of_bounds")
    assert (a.code, a.category, a.subject.external_id, a.zone_id) == ("1", "person", "C1", scene.forbidden.id)
    assert a.company_code == scene.enterprise.company_code
    assert a.severity == "alarm"
    assert a.ended_at is not None
    assert a.evidence["params"]["confirm_after_s"] == 30.0
    assert a.evidence["fix"]["depth_m"] > 0
    assert [x.action for x in a.actions.all()] == ["raised", "updated", "ended"]
    assert list(AlarmEvent.objects.filter(alarm=a).values_list("kind", flat=True)) == ["raised", "updated", "ended"]
    # An employee (01) on the same walk raises nothing: the default rule is for contractors and visitors.
    walk(w, scene, scene.people["E1"], T0 + 1000, path)
    assert Alarm.objects.filter(type="out_of_bounds").count() == 1


def test_restart_mid_visit_neither_repeats_nor_loses(scene):
    # Times from the test's own start, not the module's import: catching up reads the hour before the saved state,
    # and a suite that runs longer than a minute before this test would otherwise age the fixes out of it.
    t0 = float(int(time.time()) - 300)
    w = started(now=t0 - 10)
    walk(w, scene, scene.people["C1"], t0, list(range(-60, 10, 3)))
    assert Alarm.objects.filter(type="out_of_bounds").count() == 1
    w.save()
    # Fixes committed while the worker is down: still inside, then out.
    for k, e in enumerate([10] * 5 + list(range(10, 140, 10))):
        scene.write(scene.people["C1"], t0 + 100 + k, e)
    w2 = AlarmWorker()
    w2.start(now=t0 + 130)
    a = Alarm.objects.get(type="out_of_bounds")
    assert a.ended_at is not None
    assert Alarm.objects.filter(type="out_of_bounds").count() == 1
    assert a.actions.filter(action="raised").count() == 1


def test_late_batch_after_reconnecting_raises_nothing(scene):
    w = started()
    walk(w, scene, scene.people["C2"], T0 + 3600, [-200, -199])
    walk(w, scene, scene.people["C2"], T0, [0] * 60, now_lag=3600)  # an hour-old visit, uploaded late
    assert not Alarm.objects.exists()


def test_a_new_rule_applies_within_a_tick_without_restart(scene):
    w = started()
    walk(w, scene, scene.people["E1"], T0, list(range(-40, 20, 4)))
    assert not Alarm.objects.exists()
    rule = AlarmRule.objects.create(name="员工禁区", type="out_of_bounds", person_types=["01"])
    rule.zones.set([scene.forbidden])
    rule.save()
    walk(w, scene, scene.people["E1"], T0 + 20, [20] * 3)
    a = Alarm.objects.get()
    assert a.rule_id == rule.id
    assert a.subject.external_id == "E1"


def test_suppression_window_records_what_it_suppressed(scene):
    sup = Suppression.objects.create(
        name="消防演练",
        types=["out_of_bounds"],
        zone=scene.forbidden,
        starts_at=datetime.fromtimestamp(T0 - 60, UTC),
        ends_at=datetime.fromtimestamp(T0 + 600, UTC),
    )
    w = started()
    walk(w, scene, scene.people["V1"], T0, list(range(-60, 10, 3)))
    a = Alarm.objects.get()
    assert a.status == "suppressed"
    assert a.suppressed_by == sup
    assert not AlarmEvent.objects.exists()  # not pushed
    assert AlarmAction.objects.get(alarm=a).action == "suppressed"


def _scan_message(chip, t, lon, lat, crs="gcj02"):
    return (
        f"welder/{chip}/scan",
        orjson.dumps(
            {
                "ts": int(t * 1000),
                "operator_id": "W-01",
                "decision": "allow",
                "phone": {"lon": lon, "lat": lat, "crs": crs},
            }
        ),
    )


def test_remote_scan_with_a_gcj02_phone_800_m_and_1200_m_away(scene):
    from geo_core.models import DeviceEvent

    w = started()
    scene.write(scene.welder, T0, 0, accuracy_m=10.0)  # a satellite fix of the machine
    for k, east in enumerate((800.0, 1200.0)):
        lon, lat = scene.at(east)
        glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))  # the phone reports GCJ-02 (~500 m shifted)
        result = process([_scan_message("CHIP-1", T0 + 10 + k, float(glon[0]), float(glat[0]))])
        assert result.events == 1
        w.step(T0 + 11 + k, [], events=True)
    a = Alarm.objects.get(type="remote_scan")
    assert 1150 < a.evidence["distance_m"] < 1250
    assert a.evidence["nearest_possible_m"] > 1000  # beyond the limit even 10 m + 50 m closer
    assert a.category == "welder"
    verdicts = [e.data["remote_scan"]["result"] for e in DeviceEvent.objects.filter(kind="scan").order_by("id")]
    assert verdicts == ["near", "remote"]


def test_remote_scan_of_a_machine_located_by_base_station_is_uncertain_not_an_alarm(scene):
    """Seed 000: machines locate themselves by base station, hundreds of metres off; an honest scan 1.2 km from such
    a fix may be next to the machine, so it is recorded as uncertain with the evidence, not raised."""
    from geo_core.models import DeviceEvent

    w = started()
    scene.write(scene.welder, T0, 0, accuracy_m=400.0)
    lon, lat = scene.at(1200.0)
    process([_scan_message("CHIP-1", T0 + 10, lon, lat, crs="cgcs2000")])
    w.step(T0 + 11, [], events=True)
    assert not Alarm.objects.filter(type="remote_scan").exists()
    verdict = DeviceEvent.objects.get(kind="scan").data["remote_scan"]
    assert verdict["result"] == "uncertain"
    assert verdict["machine_accuracy_m"] == 400.0


def test_sos_from_a_body_camera_is_raised_at_once(scene):
    w = started()
    process([("camera/BC1/sos", orjson.dumps({"ts": int(T0 * 1000), "lon": 121.3, "lat": 30.75}))])
    w.step(T0 + 0.1, [], events=True, tick=False)
    a = Alarm.objects.get(type="sos")
    assert a.code == "0"
    assert a.severity == "critical"
    assert a.location.x == 121.3
    assert AlarmEvent.objects.filter(alarm=a, kind="raised").exists()


def test_sos_reported_by_an_enterprise_b3_type_0(scene):
    from geo_core.ingest.feeds import handle_person_alarms

    w = started(now=datetime.now(UTC).timestamp())
    t = datetime.now(UTC) - timedelta(seconds=2)
    handle_person_alarms(
        scene.enterprise, [{"ID": "A1", "PERSON_ID": "C1", "ALARM_TYPE": "0", "ALARM_TIME": t.isoformat()}]
    )
    w.step(datetime.now(UTC).timestamp(), [], events=True, tick=False)
    a = Alarm.objects.get(type="sos")
    assert a.subject.external_id == "C1"
    assert a.evidence["source"].startswith("reported:")


def test_an_sos_right_after_registration_and_one_from_a_never_seen_id_both_raise(scene):
    """ALM-1: the worker knows the scene as it was a moment ago; an SOS must not wait for it, nor be skipped."""
    from geo_core.ingest.feeds import handle_person_alarms, handle_personnel

    w = started(now=datetime.now(UTC).timestamp())
    t = datetime.now(UTC) - timedelta(seconds=1)
    handle_personnel(scene.enterprise, [{"ID": "N1", "PERSON_NAME": "新员工", "PERSON_TYPE": "01"}])
    handle_person_alarms(
        scene.enterprise,
        [
            {"ID": "S1", "PERSON_ID": "N1", "ALARM_TYPE": "0", "ALARM_TIME": t.isoformat()},
            {"ID": "S2", "PERSON_ID": "NEVER-SEEN", "ALARM_TYPE": "0", "ALARM_TIME": t.isoformat(), "DESCRIBE": "救命"},
        ],
    )
    w.step(datetime.now(UTC).timestamp(), [], events=True, tick=False)  # no tick: the scene is not re-read
    raised = {a.subject.external_id: a for a in Alarm.objects.filter(type="sos")}
    assert set(raised) == {"N1", "NEVER-SEEN"}
    assert "provisional_subject" not in raised["N1"].evidence
    unknown = raised["NEVER-SEEN"]
    assert unknown.evidence["provisional_subject"] is True
    assert unknown.evidence["reporter"] == scene.enterprise.company_code
    assert unknown.evidence["raw"]["DESCRIBE"] == "救命"
    assert unknown.enterprise_id == scene.enterprise.id
    assert unknown.severity == "critical"


def test_an_input_that_fails_is_retried_and_one_that_keeps_failing_is_itself_an_alarm(scene, monkeypatch):
    from geo_core.ingest.feeds import handle_person_alarms

    w = started(now=datetime.now(UTC).timestamp())
    real_sos = w.engine.sos
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # the first two evaluations fail (a database hiccup, a bug on one path)
        calls["n"] += 1
        if calls["n"] <= 2:
            raise RuntimeError("transient")
        return real_sos(*args, **kwargs)

    monkeypatch.setattr(w.engine, "sos", flaky)
    t = datetime.now(UTC) - timedelta(seconds=1)
    handle_person_alarms(
        scene.enterprise, [{"ID": "R1", "PERSON_ID": "C1", "ALARM_TYPE": "0", "ALARM_TIME": t.isoformat()}]
    )
    for _ in range(3):
        w.step(datetime.now(UTC).timestamp(), [], events=True, tick=False)
    assert Alarm.objects.filter(type="sos", subject__external_id="C1").count() == 1

    def broken(*args, **kwargs):
        raise RuntimeError("always")

    monkeypatch.setattr(w.engine, "sos", broken)
    handle_person_alarms(
        scene.enterprise, [{"ID": "R2", "PERSON_ID": "C2", "ALARM_TYPE": "0", "ALARM_TIME": t.isoformat()}]
    )
    for _ in range(2):
        w.step(datetime.now(UTC).timestamp(), [], events=True, tick=False)
    assert not Alarm.objects.filter(type="input_unevaluated").exists()  # still being retried
    w.step(datetime.now(UTC).timestamp(), [], events=True, tick=False)
    lost = Alarm.objects.get(type="input_unevaluated")
    assert lost.evidence["input"].startswith("reported:")
    assert lost.evidence["attempts"] == 3
    assert "always" in lost.evidence["error"]
    assert lost.subject.external_id == "C2"
    assert lost.severity == "alarm"


def test_a_first_start_takes_everyones_live_state_as_their_first_fix(scene):
    """The first start over a park already reporting: each subject's live position (with its accuracy) is where
    the engine begins, and a person already standing in the forbidden zone is seen there."""
    scene.write(scene.people["V1"], T0 - 30, 0.0, accuracy_m=2.0)
    w = started(now=T0 - 10)
    assert w.engine.last_fix(scene.people["V1"].id)[0] == T0 - 30
    walk(w, scene, scene.people["V1"], T0, [0.0] * 15)
    assert Alarm.objects.filter(type="out_of_bounds", subject=scene.people["V1"]).exists()


def test_a_persons_shift_from_the_database_decides_when_they_are_on_duty(scene):
    start = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    day = TimeWindow.objects.create(
        name="白班",
        kind="recurring",
        purpose="shift",
        rrule="FREQ=DAILY",
        starts_at=start,
        duration=timedelta(hours=12),
    )
    person = scene.people["E1"]
    person.shift = day
    person.save()
    info = subjects_by_id({person.id, scene.people["C1"].id})
    noon = datetime(2026, 11, 26, 4, 0, tzinfo=UTC).timestamp()  # 12:00 in Shanghai
    night = datetime(2026, 11, 26, 14, 0, tzinfo=UTC).timestamp()  # 22:00
    assert info[person.id].on_duty(noon)
    assert not info[person.id].on_duty(night)
    other = info[scene.people["C1"].id]
    assert other.on_duty(noon)
    assert other.on_duty(night)


def test_a_warning_that_ends_by_itself_unhandled_leaves_the_inbox_and_an_alarm_waits(scene):
    """The inbox policy (alarms.catalogue.SELF_CLOSING): a 预警 whose condition is over before anyone acted is closed
    with the reason and stays in the record; one confirmed as an 报警 waits for a person; an acknowledged 预警 is the
    person's. (A forbidden zone's visit is a 预警 until it lasts `confirm_after_s`, 30 s.)"""
    w = started()
    brief = list(range(-120, -20, 2)) + [0] * 3 + list(range(0, 130, 6))
    walk(w, scene, scene.people["C1"], T0, brief)
    a = Alarm.objects.get(type="out_of_bounds")
    assert (a.severity, a.status) == ("warning", "closed")
    assert a.ended_at is not None
    closed = a.actions.get(action="closed")
    assert (closed.by_name, closed.data["reason"]) == ("engine", "预警已自行解除, 无需处置")
    assert list(AlarmEvent.objects.filter(alarm=a).values_list("payload__status", flat=True))[-1] == "closed"
    # A visit long enough to be confirmed: an 报警, still raised when it ends.
    walk(w, scene, scene.people["C2"], T0 + 1000, list(range(-120, -20, 2)) + [0] * 40 + list(range(0, 130, 6)))
    b = Alarm.objects.exclude(id=a.id).get(type="out_of_bounds")
    assert (b.severity, b.status) == ("alarm", "raised")
    assert b.ended_at is not None
    # Acknowledged while it lasted: the person who took it closes it.
    walk(w, scene, scene.people["C1"], T0 + 2000, brief[:52])
    c = Alarm.objects.exclude(id__in=[a.id, b.id]).get(type="out_of_bounds")
    Alarm.objects.filter(id=c.id).update(status="acknowledged")
    walk(w, scene, scene.people["C1"], T0 + 2052, brief[52:])
    c.refresh_from_db()
    assert (c.severity, c.status) == ("warning", "acknowledged")
    assert c.ended_at is not None


def test_the_mobile_machine_verdict_classifies_the_machine_mobile(scene):
    """Seed 003: the system judges a machine 流动 (mobility set) when the mobile-machine rule raises on it."""
    from alarms.engine import Signal
    from alarms.store import Writer

    rule = AlarmRule.objects.get(type="mobile_welder")
    assert scene.welder.mobility == "fixed"
    sig = Signal("raise", f"{rule.id}:{scene.welder.id}:1", rule.id, "mobile_welder", T0, "warning")
    sig.subject, sig.evidence = scene.welder.id, {"rule": rule.id, "reason": "districts", "classified": "mobile"}
    Writer().apply([sig])
    scene.welder.refresh_from_db()
    assert scene.welder.mobility == "mobile"
    assert Alarm.objects.get(type="mobile_welder").subject_id == scene.welder.id
