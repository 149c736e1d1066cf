"""One error boundary (issue 25): every refusal has the same body (`error`, `field`, `reason`), OGC API's `code` and
`description` around it under /ogc/; a missing thing is a NotFoundError, and a LookupError from a bug is a fault,
never passed off as a 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import ObjectDoesNotExist

from geo_core.access import create_user
from geo_core.boundary import answer_for
from geo_core.errors import BadRequestError, NotFoundError, body
from geo_core.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def sup(db) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(create_user('eb', 'Pw-strong-123!', 'supervisor'))[1]}"}


def test_a_bad_parameter_names_its_field_and_reason(client, sup):
    r = client.get("/api/nearby/people?lon=121.4&lat=30.8&k=0", **sup)
    assert r.status_code == 400
    got = r.json()
    assert got["field"] == "k"
    assert "outside [1, 1000]" in got["reason"]
    assert got["error"] == f"k: {got['reason']}"


def test_under_ogc_the_body_is_ogc_exception_with_the_same_members(client, sup):
    r = client.get("/ogc/collections/zones/items?limit=-5", **sup)
    assert r.status_code == 400
    got = r.json()
    assert got["code"] == "InvalidParameterValue"
    assert got["description"] == got["error"]
    assert got["field"] == "limit"
    missing = client.get("/ogc/collections/nope", **sup)
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFound"
    assert "nope" in missing.json()["description"]


def test_outside_ogc_a_missing_layer_is_404_in_the_one_body(client, sup):
    r = client.get("/tiles/nope/1/1/1.pbf", **sup)
    assert r.status_code == 404
    assert set(r.json()) == {"error", "field", "reason"}
    assert "nope" in r.json()["error"]


def test_a_method_a_route_does_not_take_is_405_with_allow(client, sup):
    r = client.post("/ogc/collections", **sup)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"
    assert r.json()["field"] == "method"
    d = client.get("/api/devices/v1/messages")
    assert d.status_code == 405
    assert d.headers["Allow"] == "POST"


def test_a_device_call_without_a_vendor_token_is_401_in_the_one_body(client):
    r = client.post("/api/devices/v1/messages", b"{}", content_type="application/json")
    assert r.status_code == 401
    assert r.json()["field"] == "Authorization"


def test_a_lookup_error_from_a_bug_is_a_fault_not_a_404():
    assert answer_for(KeyError("x")) is None  # Django logs it and answers 500
    assert answer_for(LookupError("x")) is None
    assert answer_for(NotFoundError("no layer 'x'")).status_code == 404
    assert answer_for(ObjectDoesNotExist("Alarm matching query does not exist.")).status_code == 404


def test_the_body_splits_field_and_reason_only_when_the_message_names_one():
    assert body("bbox: min must be below max") == {
        "error": "bbox: min must be below max",
        "field": "bbox",
        "reason": "min must be below max",
    }
    assert body("body must be a JSON object")["field"] is None
    assert answer_for(BadRequestError("body is not JSON: x")).status_code == 400


def test_ids_that_are_not_ids_are_refused_by_field(client, sup):
    r = client.get(f"/ogc/collections/zones/items/{10**30}", **sup)
    assert r.status_code == 400, r.content[:300]
    assert r.json()["field"] == "featureId"
