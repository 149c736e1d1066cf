"""Which officer carries which body camera (seed 004): changed on the camera's card through the API, within the
caller's scope, audited with what it replaced."""

from __future__ import annotations

import json

import pytest

from geo_core.access import create_user
from geo_core.models import ApiToken, AuditEvent, Enterprise, Subject
from tests.geo_core.conftest import credit_code
from video.models import VideoChannel

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(db):
    a = Enterprise.objects.create(company_code="BDA", name="绑定甲", credit_code=credit_code(org="MA1BD0001"))
    b = Enterprise.objects.create(company_code="BDB", name="绑定乙", credit_code=credit_code(org="MA1BD0002"))
    cam = Subject.objects.create(
        kind="body_camera", external_id="BD-BC1", enterprise=a, attributes={"holder": "张三", "phone": "13800000001"}
    )
    VideoChannel.objects.create(code="31011600001380000401", name="执法记录仪BD1", kind="body_camera", subject=cam)
    other = Subject.objects.create(kind="body_camera", external_id="BD-BC2", enterprise=b)
    auth = {
        k: {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(u)[1]}"}
        for k, u in {
            "a": create_user("bd-a", "pw-1234567", "enterprise", enterprise=a),
            "b": create_user("bd-b", "pw-1234567", "enterprise", enterprise=b),
        }.items()
    }
    return {"cam": cam, "other": other, "auth": auth}


def put(client, sid, body, auth):
    return client.put(f"/api/video/holders/{sid}", json.dumps(body), content_type="application/json", **auth)


def test_a_body_camera_is_bound_to_another_officer_and_the_change_is_audited(client, scene):
    cam = scene["cam"]
    r = put(client, cam.id, {"holder": "李四", "unit": "金山区应急管理局"}, scene["auth"]["a"])
    assert r.status_code == 200, r.content
    assert r.json() == {
        "subject": cam.id,
        "external_id": "BD-BC1",
        "holder": "李四",
        "unit": "金山区应急管理局",
        "phone": "13800000001",  # not sent: kept
        "channels": ["31011600001380000401"],
    }
    cam.refresh_from_db()
    assert cam.attributes["holder"] == "李四"
    event = AuditEvent.objects.get(action="bodycam.bind", target_id=str(cam.id))
    assert event.detail["before"]["holder"] == "张三"
    assert event.detail["after"]["holder"] == "李四"
    # Unbinding: an empty name.
    assert put(client, cam.id, {"holder": ""}, scene["auth"]["a"]).json()["holder"] is None


@pytest.mark.parametrize(
    ("who", "target", "body", "status"),
    [
        ("a", "other", {"holder": "王五"}, 404),  # another enterprise's camera
        ("b", "cam", {"holder": "王五"}, 404),
        ("a", "cam", {}, 400),  # no holder given
        ("a", "cam", {"holder": 5}, 400),
        ("a", "cam", {"holder": "x" * 65}, 400),
        ("a", "cam", {"holder": "王五", "rank": "一级"}, 400),
    ],
)
def test_a_binding_outside_ones_scope_or_malformed_is_refused_and_nothing_changes(
    client, scene, who, target, body, status
):
    r = put(client, scene[target].id, body, scene["auth"][who])
    assert r.status_code == status, r.content
    scene["cam"].refresh_from_db()
    assert scene["cam"].attributes["holder"] == "张三"
    assert not AuditEvent.objects.filter(action="bodycam.bind", target_id=str(scene["cam"].id)).exists()
