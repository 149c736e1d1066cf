"""The contractor feeds and filings of the report API: stored as reported, refused record by record with the
field and the reason, and never letting an enterprise write what is not its own (another enterprise's filings, the
park's certification)."""

from __future__ import annotations

from datetime import date

import pytest

from geo_core.ingest.auth import issue
from geo_core.models import (
    Contractor,
    ContractorStaff,
    ContractorVehicle,
    DailyFiling,
    Qualification,
    StaffFiling,
    Training,
    WorkPermit,
)
from tests.geo_core.conftest import credit_code
from tests.geo_core.test_report_api import NOW, post

pytestmark = pytest.mark.django_db
UNIT = credit_code(org="MA1CT0001")
OTHER_UNIT = credit_code(org="MA1CT0002")
ID_A, ID_B = "310101199001011234", "310101199202022345"


@pytest.fixture
def cred(enterprise):
    return issue(enterprise)


@pytest.fixture
def unit(client, cred):
    r = post(client, cred, "contractors", [{"CONTRACTOR_CODE": UNIT, "CONTRACTOR_NAME": "沪安机电安装有限公司"}])
    assert r.json()["accepted"] == 1
    r = post(
        client,
        cred,
        "contractor-staff",
        [
            {"CONTRACTOR_CODE": UNIT, "PERSON_NAME": "张三", "IDENTIFY_NUM": ID_A, "TRADE": "焊工"},
            {"CONTRACTOR_CODE": UNIT, "PERSON_NAME": "李四", "IDENTIFY_NUM": ID_B},
        ],
    )
    assert r.json()["accepted"] == 2
    return Contractor.objects.get(credit_code=UNIT)


def test_units_and_staff_are_stored_with_the_id_number_hashed_and_masked(unit, enterprise):
    assert unit.name == "沪安机电安装有限公司"
    assert list(unit.enterprises.all()) == [enterprise]
    zhang = ContractorStaff.objects.get(name="张三")
    assert zhang.identify_masked == "3101**********1234"
    assert ID_A not in str(ContractorStaff.objects.values())  # the number itself is kept nowhere


def test_bad_records_are_refused_alone_with_field_and_reason(client, cred, unit):
    r = post(
        client,
        cred,
        "contractors",
        [
            {"CONTRACTOR_CODE": "91310116MA1CT0001X", "CONTRACTOR_NAME": "错码"},
            {"CONTRACTOR_CODE": OTHER_UNIT, "CONTRACTOR_NAME": "好的单位"},
            {"CONTRACTOR_NAME": "无码"},
        ],
    )
    body = r.json()
    assert body["accepted"] == 1
    assert [(x["index"], x["field"]) for x in body["rejected"]] == [(0, "CONTRACTOR_CODE"), (2, "CONTRACTOR_CODE")]
    assert "check character" in body["rejected"][0]["reason"]
    r = post(
        client,
        cred,
        "contractor-trainings",
        [
            {
                "CONTRACTOR_CODE": UNIT,
                "IDENTIFY_NUM": ID_A,
                "COURSE": "动火作业安全",
                "COMPLETED_ON": "2026-03-01",
                "VALID_UNTIL": "2027-02-28",
            },
            {
                "CONTRACTOR_CODE": UNIT,
                "IDENTIFY_NUM": "999",
                "COURSE": "x",
                "COMPLETED_ON": "2026-03-01",
                "VALID_UNTIL": "2027-02-28",
            },
            {
                "CONTRACTOR_CODE": UNIT,
                "IDENTIFY_NUM": ID_B,
                "COURSE": "x",
                "COMPLETED_ON": "2026-03-01",
                "VALID_UNTIL": "2025-02-28",
            },
        ],
    )
    body = r.json()
    assert body["accepted"] == 1
    assert [(x["index"], x["field"]) for x in body["rejected"]] == [(1, "IDENTIFY_NUM"), (2, "VALID_UNTIL")]
    assert Training.objects.get().valid_until == date(2027, 2, 28)


def test_the_parks_certification_is_never_taken_from_a_report(client, cred, unit):
    r = post(
        client,
        cred,
        "contractor-qualifications",
        [
            {
                "CONTRACTOR_CODE": UNIT,
                "KIND": "园区准入认证",
                "NUMBER": "Y-1",
                "VALID_FROM": "2026-01-01",
                "VALID_UNTIL": "2027-01-01",
            },
            {
                "CONTRACTOR_CODE": UNIT,
                "KIND": "安全生产许可证",
                "NUMBER": "(沪)JZ安许证字[2026]0001",
                "VALID_FROM": "2026-01-01",
                "VALID_UNTIL": "2029-01-01",
            },
            {
                "CONTRACTOR_CODE": UNIT,
                "IDENTIFY_NUM": ID_A,
                "KIND": "特种作业操作证",
                "NUMBER": "T310101",
                "VALID_FROM": "2024-01-01",
                "VALID_UNTIL": "2030-01-01",
            },
        ],
    )
    body = r.json()
    assert body["accepted"] == 2
    assert body["rejected"][0]["field"] == "KIND"
    assert not Qualification.objects.filter(park_certified=True).exists()
    assert Qualification.objects.get(number="T310101").staff.name == "张三"
    # The park certifies in the admin; a later report of the same certificate cannot change it.
    Qualification.objects.filter(number="T310101").update(park_certified=True)
    r = post(
        client,
        cred,
        "contractor-qualifications",
        [
            {
                "CONTRACTOR_CODE": UNIT,
                "IDENTIFY_NUM": ID_A,
                "KIND": "特种作业操作证",
                "NUMBER": "T310101",
                "VALID_FROM": "2024-01-01",
                "VALID_UNTIL": "2099-01-01",
            }
        ],
    )
    assert r.json()["rejected"][0]["field"] == "NUMBER"
    assert Qualification.objects.get(number="T310101").valid_until == date(2030, 1, 1)


def test_an_enterprise_files_only_for_itself_and_only_units_it_engages(client, cred, unit, make_enterprise):
    filing = {
        "CONTRACTOR_CODE": UNIT,
        "PROJECT": "储罐检修",
        "IDENTIFY_NUMS": [ID_A, ID_B],
        "VALID_FROM": "2026-11-01",
        "VALID_UNTIL": "2026-12-31",
    }
    assert post(client, cred, "staff-filings", [filing]).json()["accepted"] == 1
    f = StaffFiling.objects.get()
    assert f.enterprise == cred.enterprise
    assert f.staff.count() == 2
    # Another enterprise's company code in a record: refused as a whole, nothing stored.
    other = make_enterprise()
    r = post(client, cred, "staff-filings", [{**filing, "COMPANY_CODE": other.company_code, "PROJECT": "x"}])
    assert r.status_code == 403
    # Another enterprise that does not engage the unit cannot file its staff, nor report its vehicles.
    cred_b = issue(other)
    r = post(client, cred_b, "staff-filings", [filing]).json()
    assert r["accepted"] == 0
    assert "not engaged" in r["rejected"][0]["reason"]
    # An unknown person in the list is named by position.
    r = post(client, cred, "staff-filings", [{**filing, "IDENTIFY_NUMS": [ID_A, "310101199909099999"]}]).json()
    assert r["rejected"][0]["field"] == "IDENTIFY_NUMS[1]"


def test_vehicles_are_confirmed_by_the_reporting_enterprise_and_belong_to_one_unit(client, cred, unit):
    post(client, cred, "contractors", [{"CONTRACTOR_CODE": OTHER_UNIT, "CONTRACTOR_NAME": "另一单位"}])
    assert (
        post(client, cred, "contractor-vehicles", [{"CONTRACTOR_CODE": UNIT, "PLATE": "沪a12345"}]).json()["accepted"]
        == 1
    )
    v = ContractorVehicle.objects.get()
    assert (v.plate, v.confirmed_by) == ("沪A12345", cred.enterprise)
    r = post(client, cred, "contractor-vehicles", [{"CONTRACTOR_CODE": OTHER_UNIT, "PLATE": "沪A12345"}]).json()
    assert r["rejected"][0]["field"] == "PLATE"


def test_daily_filings_declare_special_work_by_ticket_type(client, cred):
    good = {
        "DAY": "2026-11-26",
        "SPECIAL_WORK": {"02": 2, "70": 1},
        "PERSON_IN_CHARGE": "王五",
        "COMMITMENT": "今日我公司共有特殊作业3项，风险可控",
    }
    r = post(
        client,
        cred,
        "daily-filings",
        [
            good,
            {"DAY": "2026-11-27", "SPECIAL_WORK": {"99": 1}},
            {"DAY": "2026-11-28", "SPECIAL_WORK": {"02": -1}},
            {"DAY": "26/11/2026"},
            {"DAY": "2026-11-29", "SPECIAL_WORK": [1, 2]},
        ],
    ).json()
    assert r["accepted"] == 1
    assert [x["field"] for x in r["rejected"]] == ["SPECIAL_WORK.99", "SPECIAL_WORK.02", "DAY", "SPECIAL_WORK"]
    d = DailyFiling.objects.get()
    assert d.special_work == {"02": 2, "70": 1}
    assert d.enterprise == cred.enterprise


def test_a_permit_names_its_unit(client, cred, unit):
    end = "2099-01-01T00:00:00+08:00"
    permit = {
        "ID": "DH-1",
        "TICKETTYPE": "02",
        "STATUS": "2",
        "LONGITUDE": 121.3,
        "LATITUDE": 30.7,
        "STARTTIME": NOW.isoformat(),
        "ENDTIME": end,
        "CONTRACTOR_CODE": UNIT,
        "UPGRADED": 1,
    }
    assert post(client, cred, "permits", [permit]).json()["accepted"] == 1
    p = WorkPermit.objects.get()
    assert (p.contractor, p.is_contractor_work, p.attributes["upgraded"]) == (unit, True, True)
    r = post(client, cred, "permits", [{**permit, "ID": "DH-2", "CONTRACTOR_CODE": "X"}]).json()
    assert r["rejected"][0]["field"] == "CONTRACTOR_CODE"
