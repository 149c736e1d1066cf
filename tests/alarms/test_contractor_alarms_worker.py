"""Seed 002's contractor alarm end to end over PostGIS: a contractor's staff member filed for enterprise A, positioned
on enterprise B's site, raised for B with a work order at once; A's name is shown to the park, not to B."""

from __future__ import annotations

from datetime import date

import pytest

from alarms.models import Alarm, AlarmRule, WorkOrder
from geo_core.access import create_user
from geo_core.models import Contractor, ContractorStaff, Qualification, StaffFiling, Training, Zone
from tests.alarms.conftest import T0
from tests.alarms.test_api import bearer
from tests.alarms.test_worker import started, walk
from tests.geo_core.conftest import credit_code

ID_HASH = "ab" * 32


@pytest.fixture
def filed_elsewhere(scene, make_enterprise):
    """Enterprise A engages the unit and files C1 for itself; the scene's enterprise is B, whose site C1 works on."""
    a = make_enterprise()
    Zone.objects.create(name="乙企业厂界", kind="site_boundary", enterprise=scene.enterprise, geom=scene.site.footprint)
    c1 = scene.people["C1"]
    c1.attributes = {"identify_sha256": ID_HASH}
    c1.save()
    unit = Contractor.objects.create(credit_code=credit_code(org="MA1CT0009"), name="沪安机电")
    unit.enterprises.add(a)
    staff = ContractorStaff.objects.create(contractor=unit, name="张三", identify_sha256=ID_HASH)
    for q in (dict(staff=None, number="U-1"), dict(staff=staff, number="S-1")):
        Qualification.objects.create(
            contractor=unit,
            kind=Qualification.PARK,
            valid_from=date(2026, 1, 1),
            valid_until=date(2099, 1, 1),
            park_certified=True,
            **q,
        )
    Training.objects.create(
        staff=staff, course="入园三级安全教育", completed_on=date(2026, 1, 1), valid_until=date(2099, 1, 1)
    )
    filing = StaffFiling.objects.create(
        enterprise=a, contractor=unit, project="检修", valid_from=date(2026, 1, 1), valid_until=date(2099, 1, 1)
    )
    filing.staff.add(staff)
    AlarmRule.objects.filter(
        type__in=["contractor_elsewhere", "contractor_unqualified", "contractor_staff_unqualified"]
    ).update(params={"dwell_s": 20.0})
    return a


def test_staff_filed_for_a_on_bs_site_is_one_dispatched_alarm_and_b_does_not_see_a(client, scene, filed_elsewhere):
    w = started()
    walk(w, scene, scene.people["C1"], T0, [-100.0] * 40)  # on B's site, outside the forbidden square
    a = Alarm.objects.get(type="contractor_elsewhere")
    assert (a.enterprise_id, a.subject_id, a.category) == (scene.enterprise.id, scene.people["C1"].id, "contractor")
    assert a.evidence["filed_for"] == [filed_elsewhere.id]
    assert a.status == "dispatched"
    wo = WorkOrder.objects.get(alarm=a)
    assert (wo.department, wo.enterprise_id) == ("承包商管理", scene.enterprise.id)
    assert [x.action for x in a.actions.all()] == ["raised", "dispatched"]
    # Certified and trained: no qualification alarm besides.
    assert not Alarm.objects.filter(type__in=["contractor_unqualified", "contractor_staff_unqualified"]).exists()
    # B's officer sees the alarm and its work order, not whom the person is filed for; the park sees it.
    b_user = bearer(create_user("b", "pw-1234567", "enterprise", enterprise=scene.enterprise))
    seen = client.get("/api/alarms/?type=contractor_elsewhere", **b_user).json()["results"][0]
    assert "filed_for" not in seen["evidence"]
    assert seen["evidence"]["filed_for_count"] == 1
    assert seen["work_order"]["department"] == "承包商管理"
    park = bearer(create_user("sup", "pw-1234567", "supervisor"))
    seen = client.get("/api/alarms/?type=contractor_elsewhere", **park).json()["results"][0]
    assert seen["evidence"]["filed_for"] == [filed_elsewhere.id]


def test_the_parks_certification_lapsing_raises_for_staff_on_site(scene, filed_elsewhere):
    StaffFiling.objects.get().delete()
    Qualification.objects.filter(number="S-1").update(valid_until=date(2026, 1, 31))
    w = started()
    walk(w, scene, scene.people["C1"], T0, [-100.0] * 40)
    a = Alarm.objects.get(type="contractor_staff_unqualified")  # the person's certification, not the unit's
    assert a.evidence["problem"] == "park certification expired 2026-01-31"
    assert not Alarm.objects.filter(type="contractor_unqualified").exists()
    assert a.status == "dispatched"
