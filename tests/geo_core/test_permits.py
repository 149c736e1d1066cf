"""Special-operation permits: AQ 3064.2 codes and the rules the database enforces."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction

from geo_core.models import Site, WorkPermit
from geo_core.partitions import PARK_TZ
from tests.geo_core.conftest import inside, square

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 21, 9, tzinfo=PARK_TZ)


def permit(enterprise, site, **kw) -> WorkPermit:
    values = {
        "enterprise": enterprise,
        "site": site,
        "ticket_no": "DH-1",
        "ticket_type": "02",
        "status": 2,
        "location": Point(*site.footprint.centroid.coords, srid=4490),
        "planned_start": START,
        "planned_end": START + timedelta(hours=8),
    }
    return WorkPermit(**(values | kw))


def test_a_valid_permit_is_stored_with_its_operation_type(enterprise, jinshan_site):
    p = permit(enterprise, jinshan_site)
    p.full_clean()
    p.save()
    assert p.operation_type == "hot_work"
    assert p.get_ticket_type_display() == "动火作业(一级)"
    assert p.get_status_display() == "作业中"


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"ticket_type": "99"}, "permit_ticket_type"),
        ({"status": 7}, "permit_status_code"),
        ({"planned_end": START - timedelta(hours=1)}, "permit_planned_order"),
    ],
)
def test_permit_constraints(enterprise, jinshan_site, fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        permit(enterprise, jinshan_site, **fields).save()


def test_a_permits_site_must_belong_to_its_enterprise(make_enterprise, enterprise, jinshan_site):
    other = make_enterprise()
    foreign = Site(enterprise=other, name="别家厂区", footprint=square(*inside("310116"), half=0.001))
    foreign.save()
    with pytest.raises(IntegrityError, match="permit_site_of_enterprise"):
        save_checking_deferred_keys(permit(enterprise, foreign))


def save_checking_deferred_keys(obj) -> None:
    """Foreign keys are checked at commit; ask for the check at once, inside a savepoint."""
    with transaction.atomic(), connection.cursor() as cur:
        obj.save()
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
