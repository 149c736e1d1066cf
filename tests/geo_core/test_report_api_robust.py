"""ING-5 and SEC-1 on the report API: a bad record is rejected alone (field and reason) and never costs the good records
of its request; an enterprise writes fences only of its own kinds on its own ground."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_core.ingest.auth import issue
from geo_core.ingest.feeds import handle_positions
from geo_core.ingest.signing import signed_headers
from geo_core.models import PositionFix, Site, Subject, WorkPermit, Zone
from tests.geo_core.conftest import square

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def cred(enterprise):
    Site(enterprise=enterprise, name="厂区", footprint=square(121.405, 30.785, 0.006)).save()
    return issue(enterprise)


def post(client, cred, feed, records=None, body=None, headers=None):
    path = f"/api/report/v1/{feed}"
    body = body if body is not None else json.dumps({"records": records}, ensure_ascii=False).encode()
    h = signed_headers(cred.app_id, cred.app_secret, "POST", path, body) | (headers or {})
    return client.post(path, data=body, content_type="application/json", headers=h)


def good_position(person: str) -> dict:
    return {"PERSON_ID": person, "TIME_STAMP": NOW.isoformat(), "LONGITUDE": 121.405, "LATITUDE": 30.785}


NESTED = "@nested@"  # replaced in the body by a value nested 1,000 deep (Python's json cannot write it)


BAD_POSITIONS = {
    "superscript time": ("TIME_STAMP", {"TIME_STAMP": "²"}),
    "time 1e300": ("TIME_STAMP", {"TIME_STAMP": 1e300}),
    "year 1": ("TIME_STAMP", {"TIME_STAMP": "0001-01-01T00:00:00+08:00"}),
    "NUL in id": ("PERSON_ID", {"PERSON_ID": "P\x00"}),
    "NUL elsewhere": ("NOTE", {"NOTE": "a\x00b"}),
    "superscript EPSG": ("CRS", {"CRS": "EPSG:²"}),
    "over-long id": ("PERSON_ID", {"PERSON_ID": "P" * 500}),
    "boolean id": ("PERSON_ID", {"PERSON_ID": True}),
    "nested 1000 deep": ("EXTRA", {"EXTRA": NESTED}),
    "longitude 500": ("LONGITUDE", {"LONGITUDE": 500}),
    "infinite latitude": ("LATITUDE", {"LATITUDE": "inf"}),
}


@pytest.mark.parametrize("case", sorted(BAD_POSITIONS))
def test_a_malformed_position_is_rejected_alone(client, cred, case):
    field, change = BAD_POSITIONS[case]
    bad = good_position("BAD") | change
    body = json.dumps({"records": [good_position("G1"), bad, good_position("G2")]}, ensure_ascii=False)
    body = body.replace(f'"{NESTED}"', '{"a": ' * 1000 + "1" + "}" * 1000)
    answer = post(client, cred, "positions", body=body.encode())
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["accepted"] == 2, body
    assert [r["index"] for r in body["rejected"]] == [1]
    assert body["rejected"][0]["field"].split(".")[0] == field
    assert body["rejected"][0]["reason"]
    assert PositionFix.objects.filter(subject__external_id__in=["G1", "G2"]).count() == 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    junk=st.lists(
        st.dictionaries(
            st.sampled_from(["PERSON_ID", "TIME_STAMP", "LONGITUDE", "LATITUDE", "CRS", "FLOOR", "ACCURACY", "X"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                max_leaves=8,
            ),
        )
        | st.integers()
        | st.text(max_size=10),
        max_size=6,
    ),
    good=st.integers(min_value=1, max_value=5),
    data=st.data(),
)
def test_good_positions_are_stored_whatever_comes_beside_them(enterprise, junk, good, data):
    tag = uuid.uuid4().hex[:8]
    goods = [good_position(f"H{tag}-{k}") for k in range(good)]
    records = list(junk)
    for g in goods:
        records.insert(data.draw(st.integers(min_value=0, max_value=len(records))), g)
    report = handle_positions(enterprise, records)
    stored = PositionFix.objects.filter(subject__external_id__startswith=f"H{tag}-").count()
    assert stored == good
    assert report.accepted >= good
    assert report.accepted + len(report.rejected) + report.duplicates >= len(records) - 0  # every record answered
    assert all(r.field is not None and r.reason for r in report.rejected)


def test_a_forged_timestamp_header_is_401_not_500(client, cred):
    answer = post(client, cred, "positions", [good_position("P1")], headers={"X-Timestamp": "²"})
    assert answer.status_code == 401


def fence(fid: str, lon: float, lat: float, half: float = 0.001, kind: str | None = None) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return {"ID": fid, "ZONE_NAME": f"围栏{fid}", "ZONE_TYPE": "1", "GEO": ring} | ({"ZONE_KIND": kind} if kind else {})


def test_an_enterprise_fences_only_its_own_ground_with_its_own_kinds(client, cred, make_enterprise):
    other = make_enterprise()
    Site(enterprise=other, name="乙厂区", footprint=square(121.45, 30.80, 0.004)).save()
    records = [
        fence("OWN", 121.405, 30.785, kind="forbidden"),
        fence("OVER-B", 121.45, 30.80, kind="forbidden"),  # over the other enterprise's contractor
        fence("FAR", 121.70, 30.90),  # a key place 30 km away
        fence("KEY", 121.405, 30.785, kind="key_place"),  # the park's kind
        fence("LON500", 500, 30.785),
        fence("LAT100", 121.405, 100),
        {"ID": "EMPTY", "ZONE_NAME": "x", "ZONE_TYPE": "1", "GEO": "POLYGON EMPTY"},
        {"ID": "BIG", "ZONE_NAME": "x", "ZONE_TYPE": "1", "GEO": [[121.4 + k * 1e-7, 30.78] for k in range(200_000)]},
        {
            "ID": "3D",
            "ZONE_NAME": "罐区3D",
            "ZONE_TYPE": "1",
            "GEO": "POLYGON Z((121.404 30.784 5, 121.406 30.784 5, 121.406 30.786 5, 121.404 30.784 5))",
        },
    ]
    answer = post(client, cred, "zones", records)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    rejected = {records[r["index"]]["ID"]: (r["field"], r["reason"]) for r in body["rejected"]}
    assert set(rejected) == {"OVER-B", "FAR", "KEY", "LON500", "LAT100", "EMPTY", "BIG"}, rejected
    assert rejected["KEY"][0] == "ZONE_KIND"
    assert rejected["OVER-B"][0] == "GEO"
    assert "own sites" in rejected["OVER-B"][1]
    assert body["accepted"] == 2
    assert set(Zone.objects.values_list("external_id", flat=True)) == {"OWN", "3D"}
    assert not Zone.objects.get(external_id="3D").geom.hasz


def test_worker_ids_are_ids_and_withdrawn_permits_are_not_served(client, cred):
    base = {
        "TICKETTYPE": "02",
        "STATUS": "2",
        "LONGITUDE": 121.405,
        "LATITUDE": 30.785,
        "STARTTIME": NOW.isoformat(),
        "ENDTIME": (NOW + timedelta(hours=2)).isoformat(),
    }
    records = [
        base | {"ID": "T1", "WORKER_IDS": "abc"},
        base | {"ID": "T2", "WORKER_IDS": 5},
        base | {"ID": "T3", "WORKER_IDS": "W1,W2", "DELETED": 1},
        base | {"ID": "T4", "WORKER_IDS": "a,b,c"},  # people nobody registered: refused, none created
    ]
    people = [{"ID": k, "PERSON_NAME": k, "PERSON_TYPE": "01"} for k in ("abc", "W1", "W2")]
    assert post(client, cred, "personnel", people).json()["accepted"] == 3
    body = post(client, cred, "permits", records).json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(1, "WORKER_IDS"), (3, "WORKER_IDS")]
    assert list(WorkPermit.objects.get(ticket_no="T1").workers.values_list("external_id", flat=True)) == ["abc"]
    assert not Subject.objects.filter(external_id__in=["a", "b", "c"]).exists()
    assert WorkPermit.objects.get(ticket_no="T3").deleted
    from geo_core.scope import EVERYTHING
    from layers import features, registry

    feats, _ = features.fetch(registry.get("permits"), features.Query(limit=100), EVERYTHING)
    assert {f["properties"]["ticket_no"] for f in feats} == {"T1"}


def test_heights_and_floors_are_refused_out_of_range_or_fractional(client, cred, enterprise):
    """Issue 24 (11): HEIGHT 1e308 and FLOOR 1.5 are no height and no floor."""
    base = {"TIME_STAMP": NOW.isoformat(), "LONGITUDE": 121.405, "LATITUDE": 30.785}
    body = post(
        client,
        cred,
        "positions",
        [
            base | {"PERSON_ID": "H1", "HEIGHT": 1e308},
            base | {"PERSON_ID": "H2", "FLOOR": 1.5},
            base | {"PERSON_ID": "H3", "HEIGHT": 12.5, "FLOOR": 3},
        ],
    ).json()
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(0, "HEIGHT"), (1, "FLOOR")]
    assert body["accepted"] == 1
    body = post(client, cred, "zones", [fence("F15", 121.405, 30.785, kind="forbidden") | {"FLOOR": 1.5}]).json()
    assert [r["field"] for r in body["rejected"]] == ["FLOOR"]


def test_the_zones_api_refuses_heights_past_any_building(client, enterprise):
    from geo_core.access import create_user
    from geo_core.models import ApiToken

    sup = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(create_user('zh', 'Pw-strong-123!', 'supervisor'))[1]}"}
    ring = [[121.40, 30.78], [121.401, 30.78], [121.401, 30.781], [121.40, 30.78]]
    zone = {
        "name": "高区",
        "kind": "forbidden",
        "authority": "园区",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    for bad in ({"height_max": 1e308}, {"height_min": -1e9}, {"floor": 1.5}, {"floor": 5000}):
        r = client.post("/api/zones", zone | bad, content_type="application/json", **sup)
        assert r.status_code == 400, (bad, r.content)
    assert (
        client.post(
            "/api/zones", zone | {"height_max": 30.0, "floor": 2}, content_type="application/json", **sup
        ).status_code
        == 201
    )


def test_video_and_attachment_links_are_http_or_a_video_stream_never_script_or_files(client, cred):
    """Issue 24 (11): javascript:, data: and file: URLs are refused with the record, naming the link."""
    base = {
        "TICKETTYPE": "02",
        "STATUS": "2",
        "LONGITUDE": 121.405,
        "LATITUDE": 30.785,
        "STARTTIME": NOW.isoformat(),
        "ENDTIME": (NOW + timedelta(hours=2)).isoformat(),
    }
    bad = [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>x</script>",
        "file:///etc/passwd",
        "https://",
        "http://x y",
        " JAVASCRIPT:alert(1)",
    ]
    records = [base | {"ID": f"V{k}", "VIDEOS": [{"URL": u}]} for k, u in enumerate(bad)]
    records.append(base | {"ID": "A1", "ATTACHMENTS": [{"URL": "rtsp://cam.example/1"}]})  # a file is no stream
    records.append(
        base | {"ID": "OK", "VIDEOS": [{"URL": "rtsp://10.0.0.8:554/ch1"}, {"URL": "https://v.example/1.m3u8"}]}
    )
    body = post(client, cred, "permits", records).json()
    assert body["accepted"] == 1
    assert [r["field"] for r in body["rejected"]] == [*(["VIDEOS[0].URL"] * len(bad)), "ATTACHMENTS[0].URL"]
    assert WorkPermit.objects.get(ticket_no="OK").video_url == "rtsp://10.0.0.8:554/ch1"


def test_one_unpaired_surrogate_refuses_its_record_not_the_batch(client, cred):
    """Issue 24 (11): "\\ud800" in one record's name; the good positions beside it are kept."""
    good = {"TIME_STAMP": NOW.isoformat(), "LONGITUDE": 121.405, "LATITUDE": 30.785}
    body = (
        '{"records": ['
        + json.dumps(good | {"PERSON_ID": "S1"})
        + ", "
        + json.dumps(good | {"PERSON_ID": "S2", "NOTE": "x"}).replace('"x"', '"a\\ud800b"')
        + ", "
        + json.dumps(good | {"PERSON_ID": "S3"})
        + "]}"
    ).encode()
    answer = post(client, cred, "positions", body=body)
    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [(1, "NOTE")]
