"""No input of any shape answers 500: schemathesis generates requests from every OpenAPI document the service publishes
(`/api/openapi.json`, `/ogc/api`), valid and invalid ones, and sends them as a supervisor (who reaches every branch)
to the application in process, over a small real scene in PostGIS."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime

import psycopg
import pytest
import schemathesis
from django.contrib.gis.geos import Point
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from alarms.models import Alarm, AlarmRule
from geo_core.access import create_user
from geo_core.models import ApiToken, Site, Subject, SubjectState, Zone
from geo_core.openapi import document as service_document
from layers.openapi import document as ogc_document
from tests.geo_core.conftest import JINSHAN, inside, square

pytestmark = pytest.mark.django_db
# Derandomized: CI sees the same cases each run. FUZZ_EXAMPLES=300 FUZZ_RANDOM=1 searches further by hand.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "12")),
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture(autouse=True)
def one_connection():
    """As Django's test client does: requests in this process keep the test's connection (and its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(make_enterprise) -> str:
    ent = make_enterprise()
    lon, lat = inside(JINSHAN)
    Site(enterprise=ent, name="厂区", footprint=square(lon, lat)).save()
    zone = Zone.objects.create(name="禁区", kind="forbidden", enterprise=ent, geom=square(lon, lat, 0.0005))
    person = Subject.objects.create(kind="person", external_id="P1", enterprise=ent, person_type="01")
    SubjectState.objects.create(
        subject=person, time=datetime.now(UTC), geom=Point(lon, lat, 0, srid=4490), source="demo"
    )
    Alarm.objects.create(
        key="fuzz",
        type="out_of_bounds",
        category="person",
        severity="alarm",
        subject=person,
        zone=zone,
        enterprise=ent,
        company_code=ent.company_code,
        location=Point(lon, lat, srid=4490),
        raised_at=datetime.now(UTC),
    )
    AlarmRule.objects.create(name="规则", type="overstay", enterprise=ent)
    return ApiToken.issue(create_user("fuzz", "Pw-strong-123!", "supervisor"))[1]


# The documents are built from the registries (no database needed), so the schemas are ready at collection; requests
# go to the WSGI application in this process, inside each test's transaction. (schemathesis' lazy fixture loader does
# not run under pytest 9.)
service = schemathesis.openapi.from_dict(service_document("http://testserver"))
ogc = schemathesis.openapi.from_dict(ogc_document("http://testserver"))


@functools.cache
def application():
    """One WSGI application for the run: building one indexes every static file (WhiteNoise walks Cesium's thousands),
    which per request was over half of this module's time."""
    return get_wsgi_application()


def check(case, token: str) -> None:
    # Each request in a savepoint: a statement the database refuses (answered 400) leaves a served request's own
    # transaction aborted; with autocommit, as served, the next request never sees it; here the test's would.
    sid = transaction.savepoint()
    response = case.call(app=application(), headers={"Authorization": f"Bearer {token}"})
    if connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
        transaction.savepoint_rollback(sid)
    else:
        transaction.savepoint_commit(sid)
    assert response.status_code < 500, (
        case.method,
        case.path,
        case.path_parameters,
        case.query,
        case.body,
        response.text[:500],
    )


@service.parametrize()
@FUZZ
def test_the_service_api_never_answers_500(case, token):
    check(case, token)


@ogc.parametrize()
@FUZZ
def test_the_ogc_api_never_answers_500(case, token):
    check(case, token)


def test_both_documents_are_valid_openapi(client):
    for path in ("/api/openapi.json", "/ogc/api"):
        validate(client.get(path).json())
