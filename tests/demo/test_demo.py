"""The demo park: deterministic from its seed, and complete (every kind of thing the service deals with)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from django.db import connection
from django.db.models import F

from demo.loader import load_demo, reset_demo, shanghai_districts
from demo.scene import FENGXIAN, JINSHAN, SceneSize, build_scene
from geo_core.models import Enterprise, Region, Site, SpecialEquipment, Subject, WorkPermit, Zone
from geo_core.partitions import PARK_TZ
from geo_core.permit_codes import TICKET_TYPES
from geo_core.queries import enterprises_per_district

pytestmark = pytest.mark.django_db
ANCHOR = datetime(2026, 11, 21, 10, tzinfo=PARK_TZ)
SMALL = SceneSize(people=200, welders=300, body_cameras=5, extra_permits=5)

DB_FINGERPRINT = """
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT concat_ws(',', company_code, credit_code, name, industry, array_to_string(tags, ';')) AS x
    FROM geo_core_enterprise
  UNION ALL
  SELECT concat_ws(',', e.company_code, s.name, md5(ST_AsBinary(s.footprint)), r.code)
    FROM geo_core_site s
    JOIN geo_core_enterprise e ON e.id = s.enterprise_id
    JOIN geo_core_region r ON r.id = s.district_id
  UNION ALL
  SELECT concat_ws(',', z.name, z.kind, z.authority, md5(ST_AsBinary(z.geom)), z.capacity_max) FROM geo_core_zone z
  UNION ALL
  SELECT concat_ws(',', s.kind, s.external_id, s.name, s.person_type, s.chip_id, ST_AsText(st.geom), st.time)
    FROM geo_core_subject s JOIN geo_core_subjectstate st ON st.subject_id = s.id
  UNION ALL
  SELECT concat_ws(',', p.ticket_no, p.ticket_type, p.status, p.planned_start, ST_AsText(p.location),
                   (SELECT string_agg(s.external_id, ';' ORDER BY s.external_id) FROM geo_core_workpermit_workers w
                      JOIN geo_core_subject s ON s.id = w.subject_id WHERE w.workpermit_id = p.id))
    FROM geo_core_workpermit p
) t
"""


def db_fingerprint() -> str:
    with connection.cursor() as cur:
        cur.execute(DB_FINGERPRINT)
        return cur.fetchone()[0]


def test_same_seed_same_scene_other_seed_other_scene():
    districts = shanghai_districts()
    a = build_scene(7, ANCHOR, districts, SMALL).fingerprint()
    assert a == build_scene(7, ANCHOR, districts, SMALL).fingerprint()
    assert a != build_scene(8, ANCHOR, districts, SMALL).fingerprint()


def test_loading_the_same_seed_twice_gives_the_same_database():
    load_demo(7, ANCHOR, SMALL, progress=False)
    first = db_fingerprint()
    from alarms.models import Alarm  # the alarms room forgets the demo's alarms when it is reset

    ent = Enterprise.objects.first()
    Alarm.objects.create(
        key="demo", type="sos", category="person", severity="critical", enterprise=ent, raised_at=ANCHOR
    )
    reset_demo()
    assert not Alarm.objects.filter(key="demo").exists()
    assert Enterprise.objects.count() == 0
    assert Subject.objects.count() == 0
    load_demo(7, ANCHOR, SMALL, progress=False)
    assert db_fingerprint() == first
    reset_demo()
    load_demo(8, ANCHOR, SMALL, progress=False)
    assert db_fingerprint() != first


def test_full_demo_park_has_everything_the_service_deals_with():
    load_demo(20261121, ANCHOR, progress=False)
    assert Enterprise.objects.filter(major_hazard=True).count() == 29
    assert Subject.objects.filter(kind="person").count() == 2000
    assert Subject.objects.filter(kind="welder").count() == 20000
    assert Subject.objects.filter(kind="body_camera").exists()
    assert set(Subject.objects.filter(kind="person").values_list("person_type", flat=True)) == {"01", "02", "03"}
    assert set(Subject.objects.filter(kind="welder").values_list("mobility", flat=True)) == {"fixed", "mobile"}
    welder_districts = {
        a["district"] for a in Subject.objects.filter(kind="welder").values_list("attributes", flat=True)
    }
    assert len(welder_districts) == 16

    # Permits of all 15 ticket types (the 8 GB 30871 operations with their levels), each in every status.
    combos = set(WorkPermit.objects.values_list("ticket_type", "status"))
    assert combos >= {(t, s) for t in TICKET_TYPES for s in range(7)}
    hot = WorkPermit.objects.filter(ticket_type__in=["01", "02", "03", "70"])
    assert all(p.gas_tests.exists() for p in hot)
    assert not WorkPermit.objects.exclude(site__enterprise=F("enterprise")).exists()

    assert set(Zone.objects.values_list("kind", flat=True)) == {k for k, _ in Zone.Kind.choices}
    # Cameras (issue 26): every forbidden zone and key place watched by a fixed camera that sees into it; every body
    # camera has its channel.
    from video.models import VideoChannel

    watched = Zone.objects.filter(kind__in=("forbidden", "key_place"))
    for z in watched:
        cam = VideoChannel.objects.get(attributes__zone=z.id)
        assert cam.fov.intersects(z.geom.point_on_surface), z.name
    assert VideoChannel.objects.filter(kind="body_camera").count() == Subject.objects.filter(kind="body_camera").count()
    assert Zone.objects.filter(floor__isnull=False, height_min__isnull=False).exists()  # 3D fences
    assert Zone.objects.filter(time_windows__isnull=False).exists()
    # Special equipment inside the sites, some of it failing (a faults choropleth has something to show).
    assert SpecialEquipment.objects.count() >= Site.objects.count()
    assert {"online", "fault"} <= set(SpecialEquipment.objects.values_list("monitoring", flat=True))
    assert not SpecialEquipment.objects.exclude(enterprise__sites__footprint__contains=F("location")).exists()

    # One licence, many sites; one site across the district line; counted once per district.
    multi = Enterprise.objects.filter(sites__district__code=JINSHAN).filter(sites__district__code=FENGXIAN)
    assert multi.distinct().exists()
    js, fx = (Region.objects.get(code=c).geom for c in (JINSHAN, FENGXIAN))
    shares = {s: (s.footprint.intersection(js).area, s.footprint.intersection(fx).area) for s in Site.objects.all()}
    straddling = {s: (j, f) for s, (j, f) in shares.items() if min(j, f) > 0.05 * s.footprint.area}
    assert straddling
    for s, (j, f) in straddling.items():
        assert s.district.code == (JINSHAN if j > f else FENGXIAN)
    counts = {r["code"]: r["enterprises"] for r in enterprises_per_district(code_prefix="31")}
    pairs = set(Site.objects.values_list("district__code", "enterprise_id"))
    assert counts == dict(Counter(code for code, _ in pairs))
    assert counts[JINSHAN] + counts[FENGXIAN] > 29  # some enterprises are in both


@pytest.mark.django_db
def test_tests_and_benchmarks_never_write_the_running_demos_files():
    from pathlib import Path

    from django.conf import settings

    from demo.loader import demo_credentials, demo_dir

    running = Path(settings.BASE_DIR) / ".var" / "demo"
    assert demo_dir() != running
    assert demo_dir().parent == running / "other"
    before = (running / "credentials.json").read_bytes() if (running / "credentials.json").exists() else None
    written = demo_credentials()
    assert written.parent == demo_dir()
    after = (running / "credentials.json").read_bytes() if (running / "credentials.json").exists() else None
    assert after == before


@pytest.mark.django_db
def test_most_open_permits_were_approved_with_the_approver_at_the_work():
    load_demo(7, ANCHOR, SMALL, progress=False)
    with connection.cursor() as cur:
        cur.execute(
            """SELECT count(*), count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM geo_core_positionfix f WHERE f.subject_id = p.approver_id
                 AND f.time BETWEEN p.approved_at - interval '5 minutes' AND p.approved_at + interval '5 minutes'
                 AND ST_DWithin(f.geom::geography, p.location::geography, 50)))
               FROM geo_core_workpermit p WHERE p.status IN (1, 2, 6) AND p.approved_at IS NOT NULL"""
        )
        total, in_order = cur.fetchone()
    assert total > 0
    assert 0.8 <= in_order / total < 1.0  # most, not all: the demo keeps a few to find
