"""The enterprise report API: the signature contract, refusals without side effects, per-record reports, and each
AQ 3064 feed stored as it should be."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection

from coord_transform import transform
from geo_core.ingest import liveness
from geo_core.ingest.auth import issue, revoke, rotate
from geo_core.ingest.signing import sign, signed_headers, string_to_sign
from geo_core.models import (
    FeedLiveness,
    FeedStateChange,
    PermitAttachment,
    RelayOutbox,
    ReportedAlarm,
    ReportedGathering,
    Site,
    Subject,
    SubjectState,
    TimeWindow,
    WorkPermit,
    Zone,
)
from tests.geo_core.conftest import square

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def cred(enterprise):
    return issue(enterprise)


def post(client, cred, feed, records, *, secret=None, ts=None, nonce=None, body=None, app_id=None):
    path = f"/api/report/v1/{feed}"
    body = body if body is not None else json.dumps({"records": records}, ensure_ascii=False).encode()
    headers = signed_headers(app_id or cred.app_id, secret or cred.app_secret, "POST", path, body, ts, nonce)
    return client.post(path, data=body, content_type="application/json", headers=headers)


def fixes(subject_external_id: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT f.time, ST_X(f.geom), ST_Y(f.geom), f.raw_x, f.raw_y, f.raw_crs, f.source "
            "FROM geo_core_positionfix f JOIN geo_core_subject s ON s.id = f.subject_id "
            "WHERE s.external_id = %s ORDER BY f.time",
            [subject_external_id],
        )
        return cur.fetchall()


def position(person="P1", when=None, lon=121.40, lat=30.78, **extra):
    return {"PERSON_ID": person, "TIME_STAMP": (when or NOW).isoformat(), "LONGITUDE": lon, "LATITUDE": lat, **extra}


# --- the signature contract --------------------------------------------------------------------------------------


def test_worked_example_of_the_signature():
    """The example published in docs/report-api.md; the expected value was computed with OpenSSL (see there)."""
    body = b'{"records":[]}'
    s = string_to_sign("post", "/api/report/v1/positions", "1795000000", "3f2a9c", body)
    assert s == "POST\n/api/report/v1/positions\n1795000000\n3f2a9c\n" + hashlib.sha256(body).hexdigest()
    assert sign("demo-secret", "POST", "/api/report/v1/positions", "1795000000", "3f2a9c", body) == (
        "3fd4adde8677868cf27a3e8f0016b8bf4215eb887d69b769571e528023f9dfa8"
    )


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ({"secret": "wrong"}, "X-Signature does not match"),
        ({"ts": int(time.time()) - 400}, "away from the server's clock"),
        ({"app_id": "ak-nobody"}, "unknown or revoked X-App-Id"),
    ],
)
def test_bad_signatures_are_401_and_store_nothing(client, cred, tamper, message):
    resp = post(client, cred, "positions", [position()], **tamper)
    assert resp.status_code == 401
    assert message in resp.json()["error"]
    assert not Subject.objects.exists()


def test_missing_headers_are_named(client, cred):
    resp = client.post("/api/report/v1/positions", data=b"{}", content_type="application/json")
    assert resp.status_code == 401
    assert resp.json()["error"] == "missing headers: X-App-Id, X-Timestamp, X-Nonce, X-Signature"


def test_a_replayed_request_is_refused(client, cred):
    assert post(client, cred, "positions", [position()], nonce="n-1").status_code == 200
    resp = post(client, cred, "positions", [position(when=NOW + timedelta(seconds=1))], nonce="n-1")
    assert resp.status_code == 401
    assert "replayed" in resp.json()["error"]
    assert len(fixes("P1")) == 1


def test_revoked_and_rotated_credentials(client, cred):
    new = rotate(cred)
    assert post(client, cred, "positions", [position()]).status_code == 401
    assert post(client, new, "positions", [position()]).status_code == 200
    revoke(new)
    assert post(client, new, "positions", [position(when=NOW + timedelta(seconds=1))]).status_code == 401


def test_another_enterprises_data_is_403_with_no_side_effects(client, cred, make_enterprise):
    other = make_enterprise()
    records = [position("P1"), position("P2", COMPANY_CODE=other.company_code)]
    resp = post(client, cred, "positions", records)
    assert resp.status_code == 403
    assert f"record 1: COMPANY_CODE '{other.company_code}'" in resp.json()["error"]
    assert not Subject.objects.exists()


def test_malformed_bodies(client, cred):
    assert post(client, cred, "positions", None, body=b'{"records": [').status_code == 400
    assert (
        post(client, cred, "positions", None, body=b'{"rows": []}').json()["error"] == 'body must be {"records": [...]}'
    )
    assert post(client, cred, "nothing", []).status_code == 404


# --- positions ---------------------------------------------------------------------------------------------------


def test_good_positions_are_stored_and_bad_ones_reported_by_index_and_field(client, cred):
    records = [
        position("P1"),
        position("P2", lon=121.41, CRS="gcj02", FLOOR=2),
        {"PERSON_ID": "P3", "TIME_STAMP": "2026-11-21T09:00:00", "LONGITUDE": 121.4, "LATITUDE": 30.78},
        position("P4", lon=221.0),
        position("P5", CRS="mars"),
        position("P6", lon=2.35, lat=48.85),
        position("P7", when=datetime.now(UTC) + timedelta(minutes=10)),  # NOW is import time: minutes ago by now
        {"PERSON_ID": "P8", "TIME_STAMP": NOW.isoformat(), "LONGITUDE": "abc", "LATITUDE": 30.78},
        {"TIME_STAMP": NOW.isoformat(), "LONGITUDE": 121.4, "LATITUDE": 30.78},
        position("P10", when=None, TIME_STAMP=int(NOW.timestamp() * 1000)),
    ]
    resp = post(client, cred, "positions", records)
    assert resp.status_code == 200
    answer = resp.json()
    assert answer["accepted"] == 3
    got = {r["index"]: (r["field"], r["reason"]) for r in answer["rejected"]}
    assert set(got) == {2, 3, 4, 5, 6, 7, 8}
    assert got[2] == ("TIME_STAMP", "'2026-11-21T09:00:00' has no UTC offset; write e.g. 2026-11-21T09:00:00+08:00")
    assert got[3] == ("LONGITUDE", "longitude 221.0 is out of range [-180, 180]")
    assert got[4][0] == "CRS"
    assert got[5] == ("LONGITUDE", "(2.35, 48.85) in cgcs2000 lies outside China")
    assert got[6][0] == "TIME_STAMP"
    assert "clock skew" in got[6][1]
    assert got[7] == ("LONGITUDE", "'abc' is not a number")
    assert got[8] == ("PERSON_ID", "is required")


def test_gcj02_positions_are_converted_and_the_raw_input_kept(client, cred):
    post(client, cred, "positions", [position("P2", lon=121.41, lat=30.79, CRS="gcj02")])
    ((_, lon, lat, raw_x, raw_y, raw_crs, source),) = fixes("P2")
    expected = transform([121.41], [30.79], "gcj02", "cgcs2000")
    assert (lon, lat) == pytest.approx((expected.x[0], expected.y[0]), abs=1e-9)
    assert (raw_x, raw_y, raw_crs, source) == (121.41, 30.79, "gcj02", "report_api")


def test_a_position_for_an_unregistered_person_is_kept_on_a_provisional_subject(client, cred, enterprise):
    post(client, cred, "positions", [position("NEW-1")])
    s = Subject.objects.get(external_id="NEW-1")
    assert s.provisional
    assert s.enterprise == enterprise
    assert len(fixes("NEW-1")) == 1
    # Registering the person later fills the same subject in.
    post(client, cred, "personnel", [{"ID": "NEW-1", "PERSON_NAME": "张三", "PERSON_TYPE": "02"}])
    s.refresh_from_db()
    assert (s.provisional, s.person_type, s.name) == (False, "02", "张三")


def test_a_batch_sent_twice_is_stored_once(client, cred):
    records = [position("P1", when=NOW + timedelta(seconds=i)) for i in range(5)]
    first = post(client, cred, "positions", records).json()
    again = post(client, cred, "positions", records).json()
    assert (first["accepted"], first["duplicates"]) == (5, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 5)
    assert len(fixes("P1")) == 5


def test_late_fixes_go_to_history_but_not_the_live_state(client, cred):
    post(client, cred, "positions", [position("P1", lon=121.40)])
    late = post(client, cred, "positions", [position("P1", when=NOW - timedelta(minutes=20), lon=121.45)]).json()
    assert late["accepted"] == 1
    assert late["history_only"] == 1
    state = SubjectState.objects.get(subject__external_id="P1")
    assert state.geom.x == pytest.approx(121.40)
    assert len(fixes("P1")) == 2


# --- personnel, zones, alarms, gatherings, permits --------------------------------------------------------------


def test_personnel_upsert_masks_id_numbers_and_reports_bad_types(client, cred):
    records = [
        {
            "ID": "P1",
            "PERSON_NAME": "李四",
            "PERSON_TYPE": "01",
            "IDENTIFY_NUM": "310101199001011234",
            "GENDER": "1",
            "BIRTHDAY": "1990-01-01",
            "POSITION_NAME": "操作工",
            "MOBILE_NUMBER": "13800000000",
            "DELETED": 0,
        },
        {"ID": "P2", "PERSON_NAME": "王五", "PERSON_TYPE": "09"},
        {"ID": "P3", "PERSON_NAME": "赵六", "PERSON_TYPE": "03", "BIRTHDAY": "1990/01/01"},
    ]
    answer = post(client, cred, "personnel", records).json()
    assert answer["accepted"] == 1
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(1, "PERSON_TYPE"), (2, "BIRTHDAY")]
    p = Subject.objects.get(external_id="P1")
    assert p.attributes["identify_masked"] == "3101**********1234"
    assert "310101199001011234" not in json.dumps(p.attributes)
    post(client, cred, "personnel", [{"ID": "P1", "PERSON_NAME": "李四", "PERSON_TYPE": "01", "DELETED": 1}])
    p.refresh_from_db()
    assert not p.active


def test_personnel_name_their_shift_and_an_unknown_shift_is_refused(client, cred):
    start = datetime(2024, 1, 1, 0, tzinfo=UTC)
    day = TimeWindow.objects.create(
        name="白班 08:00-20:00",
        kind="recurring",
        purpose="shift",
        rrule="FREQ=DAILY",
        starts_at=start,
        duration=timedelta(hours=12),
    )
    records = [
        {"ID": "P1", "PERSON_NAME": "李四", "PERSON_TYPE": "01", "SHIFT": "白班 08:00-20:00"},
        {"ID": "P2", "PERSON_NAME": "王五", "PERSON_TYPE": "01", "SHIFT": "中班"},
    ]
    answer = post(client, cred, "personnel", records).json()
    assert answer["accepted"] == 1
    [bad] = answer["rejected"]
    assert (bad["index"], bad["field"]) == (1, "SHIFT")
    assert "白班 08:00-20:00" in bad["reason"]  # the known shifts are named
    assert Subject.objects.get(external_id="P1").shift == day
    post(client, cred, "personnel", [{"ID": "P1", "PERSON_NAME": "李四", "PERSON_TYPE": "01"}])
    assert Subject.objects.get(external_id="P1").shift == day  # absent: kept
    post(client, cred, "personnel", [{"ID": "P1", "PERSON_NAME": "李四", "PERSON_TYPE": "01", "SHIFT": ""}])
    assert Subject.objects.get(external_id="P1").shift is None  # empty: cleared


@pytest.mark.parametrize(
    "geo",
    [
        "POLYGON((121.40 30.78, 121.41 30.78, 121.41 30.79, 121.40 30.78))",
        {"type": "Polygon", "coordinates": [[[121.40, 30.78], [121.41, 30.78], [121.41, 30.79], [121.40, 30.78]]]},
        [[121.40, 30.78], [121.41, 30.78], [121.41, 30.79]],
        "121.40,30.78;121.41,30.78;121.41,30.79",
    ],
)
def test_zone_geometry_in_any_of_the_accepted_forms(client, cred, geo):
    Site(enterprise=cred.enterprise, name="厂区", footprint=square(121.405, 30.785, 0.006)).save()
    answer = post(client, cred, "zones", [{"ID": "Z1", "ZONE_NAME": "罐区", "ZONE_TYPE": "1", "GEO": geo}]).json()
    assert answer["accepted"] == 1, answer
    zone = Zone.objects.get(external_id="Z1")
    assert zone.geom.geom_type == "MultiPolygon"
    assert zone.geom.extent == pytest.approx((121.40, 30.78, 121.41, 30.79))


def test_an_unreadable_zone_geometry_says_what_was_tried(client, cred):
    geos = ["POLYGON((1 2", "121.4,30.78;abc", {"type": "Polygon", "coordinates": "x"}, "POINT(121.4 30.78)"]
    records = [{"ID": f"Z{i}", "ZONE_NAME": "x", "ZONE_TYPE": "1", "GEO": g} for i, g in enumerate(geos)]
    answer = post(client, cred, "zones", records).json()
    assert answer["accepted"] == 0
    assert [(r["index"], r["field"], r["reason"]) for r in answer["rejected"]] == [
        (0, "GEO", "could not be read as WKT"),
        (1, "GEO", "could not be read as coordinate list lon,lat;lon,lat;..."),
        (2, "GEO", "could not be read as GeoJSON"),
        (3, "GEO", "must be a polygon, got Point"),
    ]


def test_enterprise_alarms_and_gatherings_are_stored(client, cred):
    alarms = [
        {
            "ID": "A1",
            "PERSON_ID": "P1",
            "ZONE_ID": "",
            "ALARM_TYPE": "0",
            "ALARM_TIME": NOW.isoformat(),
            "DESCRIBE": "SOS",
        },
        {"ID": "A2", "PERSON_ID": "P1", "ALARM_TYPE": "7", "ALARM_TIME": NOW.isoformat()},
    ]
    answer = post(client, cred, "person-alarms", alarms).json()
    assert answer["accepted"] == 1
    assert answer["rejected"][0]["field"] == "ALARM_TYPE"
    assert ReportedAlarm.objects.get(external_id="A1").subject.external_id == "P1"
    zone_alarm = [{"ID": "ZA1", "ZONE_ID": "Z9", "ALARM_TYPE": "1", "ALARM_TIME": NOW.isoformat()}]
    assert post(client, cred, "zone-alarms", zone_alarm).json()["accepted"] == 1
    gathering = [
        {
            "TIME_STAMP": NOW.isoformat(),
            "ALARM_LAST_TIME": "75",
            "ALARM_AREA": [
                {"NAME": "甲", "PERSONTYPE": "01", "PERSONID": "P1", "X": 121.400, "Y": 30.780},
                {"NAME": "乙", "PERSONTYPE": "02", "PERSONID": "P2", "X": 121.4001, "Y": 30.7801},
                {"NAME": "丙", "PERSONTYPE": "01", "PERSONID": "P3", "X": 121.4002, "Y": 30.7800},
            ],
        }
    ]
    assert post(client, cred, "gatherings", gathering).json()["accepted"] == 1
    g = ReportedGathering.objects.get()
    assert len(g.members) == 3
    assert g.centre.x == pytest.approx(121.4001, abs=1e-6)


def test_permits_with_gas_tests_videos_and_site(client, cred, jinshan_site):
    lon, lat = jinshan_site.footprint.centroid.coords
    ticket = {
        "ID": "DH-001",
        "TICKETTYPE": "02",
        "STATUS": "2",
        "LONGITUDE": lon,
        "LATITUDE": lat,
        "STARTTIME": NOW.isoformat(),
        "ENDTIME": (NOW + timedelta(hours=6)).isoformat(),
        "SUPERVISORNAME": "监护人甲",
        "ISCONTRACTORWORK": 1,
        "GUARDIAN_ID": "P1",
        "WORKER_IDS": ["P2", "P3"],
        "GASNAME": "LEL",
        "GASTIME": (NOW - timedelta(minutes=10)).isoformat(),
        "GASVALUE": 0.2,
        "VIDEOS": [{"URL": "https://video.example/1.m3u8", "NAME": "全程录像"}],
        "ATTACHMENTS": [{"URL": "https://files.example/jsa.pdf", "NAME": "JSA", "SIZE": "2048"}],
    }
    bad = dict(ticket, ID="DH-002", TICKETTYPE="99")
    stranger = dict(ticket, ID="DH-003", WORKER_IDS=["P2", "NOBODY"])
    people = [{"ID": k, "PERSON_NAME": f"人员{k}", "PERSON_TYPE": "01"} for k in ("P1", "P2", "P3")]
    assert post(client, cred, "personnel", people).json()["accepted"] == 3
    refused = post(client, cred, "permits", [stranger]).json()["rejected"]
    assert refused[0]["field"] == "WORKER_IDS"
    assert "NOBODY" in refused[0]["reason"]
    assert not Subject.objects.filter(external_id="NOBODY").exists()  # a permit creates no people
    answer = post(client, cred, "permits", [ticket, bad]).json()
    assert answer["accepted"] == 1
    assert answer["rejected"] == [{"index": 1, "field": "TICKETTYPE", "reason": answer["rejected"][0]["reason"]}]
    p = WorkPermit.objects.get(ticket_no="DH-001")
    assert p.site == jinshan_site
    assert p.operation_type == "hot_work"
    assert p.guardian.external_id == "P1"
    assert sorted(p.workers.values_list("external_id", flat=True)) == ["P2", "P3"]
    assert p.gas_tests.get().gas_name == "LEL"
    assert PermitAttachment.objects.filter(permit=p).count() == 2
    # The same ticket again updates it.
    assert post(client, cred, "permits", [dict(ticket, STATUS="3")]).json()["updated"] == 1
    p.refresh_from_db()
    assert p.status == 3


# --- liveness and relay ------------------------------------------------------------------------------------------


def test_liveness_goes_offline_after_silence_and_recovers(client, cred, enterprise):
    post(client, cred, "positions", [position()])
    live = FeedLiveness.objects.get(enterprise=enterprise, feed="positions")
    assert live.online
    assert liveness.sweep(now=live.last_received_at + timedelta(seconds=10)) == []
    changed = liveness.sweep(now=live.last_received_at + timedelta(seconds=31))
    assert [c.pk for c in changed] == [live.pk]
    live.refresh_from_db()
    assert not live.online
    post(client, cred, "positions", [position(when=NOW + timedelta(seconds=1))])
    live.refresh_from_db()
    assert live.online
    changes = FeedStateChange.objects.filter(liveness=live).order_by("id")
    assert list(changes.values_list("online", flat=True)) == [False, True]
    assert changes[0].silent_seconds == pytest.approx(31.0)


def test_accepted_records_are_queued_for_the_city_bureau_in_the_same_transaction(client, cred, settings):
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, relay_url="http://127.0.0.1:9/relay")
    post(client, cred, "positions", [position("P1"), position("P2")])
    post(client, cred, "personnel", [{"ID": "P1", "PERSON_NAME": "甲", "PERSON_TYPE": "01"}])
    rows = list(RelayOutbox.objects.order_by("id"))
    assert [r.topic for r in rows] == ["positions", "personnel"]
    assert rows[0].payload["count"] == 2
    # A refused request queues nothing.
    post(client, cred, "positions", [position("P3")], secret="wrong")
    assert RelayOutbox.objects.count() == 2


def test_the_park_issues_rotates_and_revokes_credentials_by_command(client, enterprise, capsys):
    import json as _json

    from django.core.management import call_command

    call_command("credentials", "issue", company=enterprise.company_code)
    first = _json.loads(capsys.readouterr().out)
    call_command("credentials", "rotate", company=enterprise.company_code)
    second = _json.loads(capsys.readouterr().out)
    assert first["app_id"] != second["app_id"]
    old = enterprise.credentials.get(app_id=first["app_id"])
    new = enterprise.credentials.get(app_id=second["app_id"])
    assert not old.active
    assert post(client, old, "positions", [position()]).status_code == 401
    assert post(client, new, "positions", [position()]).status_code == 200
    call_command("credentials", "revoke", company=enterprise.company_code)
    new.refresh_from_db()
    assert not new.active
