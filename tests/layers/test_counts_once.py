"""Counts per region computed once for every caller (issue 16): each scope's counts, summed from the rows
`layers_region_counts` keeps (by enterprise and by district), are what a spatial count in that scope gives; an alarm
raised or ended counts at once, a machine moved within the counts' age."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from alarms.models import Alarm
from geo_core.access import access_for, create_user
from geo_core.models import Region, Site, SpecialEquipment, Subject, SubjectState
from geo_core.scope import EVERYTHING, Scope
from layers import registry
from layers.queries import COUNTS, region_counts
from tests.geo_core.conftest import FENGXIAN, JINSHAN, inside, square

# The definition the stored rows must agree with: a spatial count per region, in the caller's scope.
SPATIAL = """
SELECT r.code,
       (SELECT count(DISTINCT s.enterprise_id) FROM geo_core_site s WHERE s.district_id = r.id AND {site}),
       (SELECT count(*) FROM geo_core_subjectstate st JOIN geo_core_subject sb ON sb.id = st.subject_id
        WHERE sb.kind = 'welder' AND sb.active AND ST_Intersects(r.geom, st.geom) AND {welder}),
       (SELECT count(*) FROM geo_core_subjectstate st JOIN geo_core_subject sb ON sb.id = st.subject_id
        WHERE sb.kind = 'welder' AND sb.active AND st.live->>'power' = 'on' AND ST_Intersects(r.geom, st.geom)
          AND {welder}),
       (SELECT count(*) FROM alarms_alarm al WHERE al.status IN ('raised', 'acknowledged', 'dispatched')
          AND ST_Intersects(r.geom, al.location) AND {alarm}),
       (SELECT count(*) FROM geo_core_specialequipment eq WHERE ST_Intersects(r.geom, eq.location) AND {eq}),
       (SELECT count(*) FROM geo_core_specialequipment eq WHERE eq.monitoring IN ('fault', 'alarm')
          AND ST_Intersects(r.geom, eq.location) AND {eq})
FROM geo_core_region r WHERE r.level = 'district' AND r.code IN (%(js)s, %(fx)s) ORDER BY r.code
"""
FIELDS = ["code", "enterprises", "welders", "powered", "open_alarms", "equipment", "equipment_faults"]


def spatial(scope: Scope) -> list[dict]:
    sql = SPATIAL.format(
        site=Scope.sql("s.enterprise_id", "s.footprint"),
        welder=Scope.sql("sb.enterprise_id", "st.geom"),
        alarm=Scope.sql("al.enterprise_id", "al.location"),
        eq=Scope.sql("eq.enterprise_id", "eq.location"),
    )
    with connection.cursor() as cur:
        cur.execute(sql, {**scope.params(), "js": JINSHAN, "fx": FENGXIAN})
        rows = [dict(zip(FIELDS, r, strict=True)) for r in cur.fetchall()]
    return [r for r in rows if any(r[f] for f in FIELDS[1:])]


def stored(scope: Scope) -> list[dict]:
    COUNTS.clear()
    return [{f: r[f] for f in FIELDS} for r in region_counts(scope, "district") if r["code"] in (JINSHAN, FENGXIAN)]


@pytest.fixture
def two_districts(make_enterprise):
    """A in Jinshan, B in Fengxian; welders of A and B in Jinshan (B's is mobile, working there), one of no
    enterprise in Fengxian; equipment of each side; an open alarm of A in Jinshan."""
    (jx, jy), (fx, fy) = inside(JINSHAN), inside(FENGXIAN)
    a, b = make_enterprise(), make_enterprise()
    Site(enterprise=a, name="甲厂", footprint=square(jx, jy)).save()
    Site(enterprise=b, name="乙厂", footprint=square(fx, fy)).save()
    now = datetime.now(UTC)
    welders = []
    for k, (ent, x, y, power) in enumerate(
        ((a, jx, jy, "on"), (a, jx + 0.001, jy, "off"), (b, jx + 0.002, jy, "on"), (None, fx, fy, "on"))
    ):
        w = Subject.objects.create(
            kind="welder", external_id=f"CW{k}", enterprise=ent, chip_id=f"CC{k}", qr_code=f"CQ{k}", mobility="mobile"
        )
        SubjectState.objects.create(subject=w, time=now, geom=Point(x, y, 0, srid=4490), live={"power": power})
        welders.append(w)
    for code, ent, x, y, status in (
        ("CE1", a, jx, jy, "fault"),
        ("CE2", b, fx, fy, "online"),
        ("CE3", b, fx + 0.001, fy, "alarm"),
    ):
        SpecialEquipment.objects.create(
            registry_code=code,
            kind="elevator",
            using_unit="某单位",
            monitoring=status,
            enterprise=ent,
            location=Point(x, y, srid=4490),
        )
    alarm = Alarm.objects.create(
        key="counts:1",
        type="out_of_bounds",
        category="person",
        code="1",
        severity="alarm",
        enterprise=a,
        location=Point(jx, jy, srid=4490),
        raised_at=now,
    )
    officer = create_user("counts-officer", "pw-1234567", "district", district=Region.objects.get(code=JINSHAN))
    scopes = {
        "all": EVERYTHING,
        "a": Scope(enterprises=frozenset({a.id})),
        "b": Scope(enterprises=frozenset({b.id})),
        "jinshan": access_for(officer).scope,
    }
    return {"a": a, "b": b, "welders": welders, "alarm": alarm, "scopes": scopes, "fengxian": (fx, fy)}


def test_every_scope_sums_to_its_spatial_count(two_districts):
    for name, scope in two_districts["scopes"].items():
        want = spatial(scope)
        assert want, name  # each scope sees something here
        assert stored(scope) == want, name
    everything = {r["code"]: r for r in stored(EVERYTHING)}
    assert everything[JINSHAN]["welders"] == 3
    assert everything[JINSHAN]["powered"] == 2
    assert {r["code"]: r["welders"] for r in stored(two_districts["scopes"]["jinshan"])} == {JINSHAN: 3}


def test_an_alarm_counts_at_once_and_a_moved_machine_within_the_counts_age(two_districts):
    scope = two_districts["scopes"]["a"]
    assert stored(scope)[0]["open_alarms"] == 1
    Alarm.objects.filter(pk=two_districts["alarm"].pk).update(status="closed")  # a counted column: counted again
    assert stored(scope)[0]["open_alarms"] == 0
    # A machine moving is not a counted change: its old place is kept until the counts are COUNTS_MAX_AGE_S old.
    fx, fy = two_districts["fengxian"]
    SubjectState.objects.filter(subject=two_districts["welders"][0]).update(geom=Point(fx, fy, 0, srid=4490))
    assert stored(scope)[0]["welders"] == 2
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE layers_regioncount_made SET made_at = made_at - make_interval(secs => %s)",
            [registry.COUNTS_MAX_AGE_S + 1],
        )
    assert {r["code"]: r["welders"] for r in stored(scope)} == {JINSHAN: 1, FENGXIAN: 1}
