"""Subjects: kind-specific fields are enforced by the database, external ids are unique per owner."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from geo_core.models import Certificate, Subject

pytestmark = pytest.mark.django_db


def test_people_need_an_aq3064_person_type(enterprise):
    with pytest.raises(IntegrityError, match="subject_person_type_for_people"), transaction.atomic():
        Subject.objects.create(kind="person", external_id="P1", enterprise=enterprise)
    with pytest.raises(IntegrityError, match="subject_person_type_for_people"), transaction.atomic():
        Subject.objects.create(kind="person", external_id="P1", enterprise=enterprise, person_type="09")
    Subject.objects.create(kind="person", external_id="P1", enterprise=enterprise, person_type="02")


def test_welding_machines_need_chip_qr_and_mobility():
    with pytest.raises(IntegrityError, match="subject_welder_fields"), transaction.atomic():
        Subject.objects.create(kind="welder", external_id="W1", qr_code="Q1", mobility="fixed")
    w = Subject.objects.create(kind="welder", external_id="W1", chip_id="C1", qr_code="Q1", mobility="mobile")
    with pytest.raises(IntegrityError, match="chip_id"), transaction.atomic():
        Subject.objects.create(kind="welder", external_id="W2", chip_id=w.chip_id, qr_code="Q2", mobility="fixed")


def test_only_welders_carry_chips():
    with pytest.raises(IntegrityError, match="subject_welder_fields"), transaction.atomic():
        Subject.objects.create(kind="body_camera", external_id="B1", chip_id="C9")


def test_external_id_is_unique_per_owner_including_authority_owned_devices(make_enterprise):
    a, b = make_enterprise(), make_enterprise()
    Subject.objects.create(kind="person", external_id="P1", enterprise=a, person_type="01")
    Subject.objects.create(kind="person", external_id="P1", enterprise=b, person_type="01")
    with pytest.raises(IntegrityError, match="subject_external_id_per_owner"), transaction.atomic():
        Subject.objects.create(kind="person", external_id="P1", enterprise=a, person_type="03")
    Subject.objects.create(kind="body_camera", external_id="BC1")
    with pytest.raises(IntegrityError, match="subject_external_id_per_owner"), transaction.atomic():
        Subject.objects.create(kind="body_camera", external_id="BC1")


def test_certificate_validity_must_not_end_before_issue(enterprise):
    p = Subject.objects.create(kind="person", external_id="P1", enterprise=enterprise, person_type="02")
    with pytest.raises(IntegrityError, match="certificate_validity_order"), transaction.atomic():
        Certificate.objects.create(
            subject=p, category="焊接与热切割作业", number="T1", issued_on="2026-01-02", valid_until="2026-01-01"
        )
