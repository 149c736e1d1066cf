from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point

from geo_core.access import create_user
from geo_core.models import ApiToken, Site, Subject, SubjectState, WorkPermit, Zone
from layers.features import forget_extents
from tests.geo_core.conftest import JINSHAN, enterprise, inside, make_enterprise, park, square
from tiles.cache import CACHE

__all__ = ["enterprise", "make_enterprise", "park"]


@pytest.fixture(autouse=True)
def fresh_tile_cache():
    """Each test's scene is rolled back without a NOTIFY (nothing committed): start every test with empty caches."""
    CACHE.clear()
    forget_extents()
    yield
    CACHE.clear()


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}


@pytest.fixture
def scene(make_enterprise):
    a, b = make_enterprise(), make_enterprise()
    lon, lat = inside(JINSHAN)
    for ent, dx in ((a, 0.0), (b, 0.002)):
        Site(enterprise=ent, name="厂区", footprint=square(lon + dx, lat)).save()
        for k in range(3):
            Zone.objects.create(
                name=f"禁区{k}",
                kind="forbidden" if k < 2 else "post",
                enterprise=ent,
                geom=square(lon + dx + 0.0005 * k, lat, 0.0002),
                capacity_min=k,
            )
    Zone.objects.create(name="园区重点场所", kind="key_place", authority="园区", geom=square(lon + 0.005, lat, 0.001))
    now = datetime.now(UTC)
    for k, ent in enumerate((a, b)):
        s = Subject.objects.create(kind="person", external_id=f"P{k}", enterprise=ent, person_type="01")
        SubjectState.objects.create(subject=s, time=now, geom=Point(lon + 0.002 * k, lat, 0, srid=4490), source="demo")
        WorkPermit.objects.create(
            enterprise=ent,
            ticket_no=f"DH-{k}",
            ticket_type="02",
            status=2,
            location=Point(lon + 0.002 * k, lat, srid=4490),
            planned_start=now - timedelta(hours=1),
            planned_end=now + timedelta(hours=k + 1),
        )
    sup = bearer(create_user("sup", "pw-1234567", "supervisor"))
    ent_a = bearer(create_user("ent-a", "pw-1234567", "enterprise", enterprise=a))
    return {"a": a, "b": b, "lon": lon, "lat": lat, "sup": sup, "ent_a": ent_a}
