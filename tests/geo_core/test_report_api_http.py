"""The report API through the real server (uvicorn, real HTTP), with the Python signing client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from geo_core.ingest.auth import issue
from geo_core.ingest.signing import ReportClient
from geo_core.models import Enterprise, Park
from tests.geo_core.conftest import credit_code


@pytest.fixture(scope="module")
def committed_enterprise(django_db_setup, django_db_blocker):
    """An enterprise and credential the server process can see (committed), removed again afterwards."""
    with django_db_blocker.unblock():
        park = Park.objects.create(code="HTTP-PARK", name="HTTP 测试园区")
        e = Enterprise.objects.create(
            credit_code=credit_code(org="MA1HTTP01"), name="HTTP测试化工", company_code="HTTP1", park=park
        )
        cred = issue(e)
        yield e, cred
        with connection.cursor() as cur:
            cur.execute(
                "DELETE FROM geo_core_positionfix WHERE subject_id IN "
                "(SELECT id FROM geo_core_subject WHERE enterprise_id = %s)",
                [e.id],
            )
        e.subjects.all().delete()
        e.delete()
        park.delete()


def test_signed_positions_over_real_http(live_service, committed_enterprise):
    e, cred = committed_enterprise
    client = ReportClient(live_service, cred.app_id, cred.app_secret)
    now = datetime.now(UTC).isoformat()
    status, answer = client.post(
        "positions",
        [
            {"PERSON_ID": "H1", "TIME_STAMP": now, "LONGITUDE": 121.40, "LATITUDE": 30.78},
            {"PERSON_ID": "H2", "TIME_STAMP": now, "LONGITUDE": 121.40, "LATITUDE": 95.0},
        ],
    )
    assert status == 200
    assert answer["accepted"] == 1
    assert answer["rejected"] == [
        {"index": 1, "field": "LATITUDE", "reason": "latitude 95.0 is out of range [-90, 90]"}
    ]
    assert e.subjects.filter(external_id="H1", provisional=True).exists()
    wrong = ReportClient(live_service, cred.app_id, "not-the-secret")
    status, answer = wrong.post(
        "positions", [{"PERSON_ID": "H3", "TIME_STAMP": now, "LONGITUDE": 121.4, "LATITUDE": 30.78}]
    )
    assert status == 401
    assert not e.subjects.filter(external_id="H3").exists()
