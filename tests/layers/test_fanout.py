"""The live feed computed once per process (issue 16, part 1): however many streams listen, one query per tick; each
stream takes only its view's, kinds' and scope's part of the batch, and the in-memory scope is the SQL one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import numpy as np
import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from geo_core.access import access_for, create_user
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import Enterprise, Park, Region, Subject, SubjectState
from geo_core.scope import EVERYTHING, Scope
from geo_core.streams import released
from layers import fanout, live
from layers.fanout import Feed
from tests.geo_core.conftest import FENGXIAN, JINSHAN, credit_code, inside

pytestmark = pytest.mark.django_db  # the run sets up the test database; the scene below is committed for the feed


@pytest.fixture(scope="module")
def two_sides(django_db_setup, django_db_blocker):
    assert connection.settings_dict["NAME"].startswith("test_")
    with django_db_blocker.unblock():
        park = Park.objects.create(code="FAN-PARK", name="FAN")
        a = Enterprise.objects.create(
            credit_code=credit_code(org="MA1FA0001"), name="甲", company_code="FANA", park=park
        )
        b = Enterprise.objects.create(
            credit_code=credit_code(org="MA1FA0002"), name="乙", company_code="FANB", park=park
        )
        pa = Subject.objects.create(kind="person", external_id="FAN-A", enterprise=a, person_type="01")
        pb = Subject.objects.create(kind="person", external_id="FAN-B", enterprise=b, person_type="01")
        wb = Subject.objects.create(kind="welder", external_id="FAN-W", enterprise=b, chip_id="FANCHIP",
                                    qr_code="FANQR", mobility="mobile")  # fmt: skip
        officer = create_user("fan-officer", "pw-1234567", "district", district=Region.objects.get(code=FENGXIAN))
        yield {"a": a, "b": b, "pa": pa, "pb": pb, "wb": wb, "js": inside(JINSHAN), "fx": inside(FENGXIAN),
               "officer": access_for(officer).scope}  # fmt: skip
        ids = [pa.id, pb.id, wb.id]
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id = ANY(%s)", [ids])
        Subject.objects.filter(id__in=ids).delete()
        a.delete()
        b.delete()
        park.delete()
        officer.delete()


def fixes(points: dict[Subject, tuple[float, float]]) -> None:
    subjects = list(points)
    lon = np.array([points[s][0] for s in subjects])
    lat = np.array([points[s][1] for s in subjects])
    write_fixes(FixBatch(subject_id=np.array([s.id for s in subjects]), time=[datetime.now(UTC)] * len(subjects),
                         lon=lon, lat=lat, source="simulator", raw_x=lon, raw_y=lat,
                         raw_crs=["cgcs2000"] * len(subjects)))  # fmt: skip


def box(lon: float, lat: float, d: float = 0.02) -> dict:
    return {"x0": lon - d, "y0": lat - d, "x1": lon + d, "y1": lat + d}


def test_one_query_per_tick_for_any_number_of_streams_each_with_its_part(two_sides):
    s = two_sides
    (jx, jy), (fx, fy) = s["js"], s["fx"]
    views = [  # (kinds, scope, view) of 60 streams: the supervisor, enterprise A's users, Fengxian's officer
        *[(["person"], EVERYTHING, box(jx, jy)) for _ in range(20)],
        *[(["person"], Scope(enterprises=frozenset({s["a"].id})), box(fx, fy, 1.0)) for _ in range(20)],
        *[(["person", "welder"], s["officer"], box(fx, fy, 1.0)) for _ in range(20)],
    ]

    async def run() -> tuple[list, int]:
        feed = Feed(interval=0.2)
        seqs = [feed.join() for _ in views]
        await sync_to_async(released(fixes))({s["pa"]: (jx, jy), s["pb"]: (fx, fy), s["wb"]: (fx + 0.001, fy)})
        await asyncio.sleep(0.5)
        parts = []
        for seq, (kinds, scope, view) in zip(seqs, views, strict=True):
            batches = await feed.after(seq, 5.0)
            assert batches, "a batch within 5 s"
            rows, outside = [], []
            for b in batches:
                r, o = b.part(kinds, scope, view)
                rows += [x[0] for x in r]
                outside += o
            parts.append((set(rows), set(outside)))
            # what the stream does with them on the event loop, its codes' time to live long past: no database call
            fanout._codes = (0.0, fanout._codes[1])
            live._from_batches(batches, {"kinds": kinds, "scope": scope, "bbox": view})
        for _ in views:
            feed.leave()
        return parts, feed.queries, feed.seq

    s["officer"].prepare()  # as the stream does before it listens: no database call on the event loop
    parts, queries, ticks = asyncio.run(run())
    assert queries == ticks  # one query a tick, for sixty streams
    assert queries <= 6
    pa, pb, wb = s["pa"].id, s["pb"].id, s["wb"].id
    assert all(p == ({pa}, {pb}) for p in parts[:20])  # the supervisor's Jinshan view; B's person elsewhere: gone
    assert all(p == ({pa}, set()) for p in parts[20:40])  # enterprise A: its own person only, wherever the view
    assert all(p == ({pb, wb}, set()) for p in parts[40:])  # Fengxian's officer: what is in Fengxian, both kinds


def test_the_scope_in_memory_selects_what_the_sql_selects(two_sides):
    s = two_sides
    (jx, jy), (fx, fy) = s["js"], s["fx"]
    fixes({s["pa"]: (jx, jy), s["pb"]: (fx, fy), s["wb"]: (fx + 0.001, fy)})
    rows = list(SubjectState.objects.filter(subject__external_id__startswith="FAN-").values_list(
        "subject_id", "subject__enterprise_id", "geom"))  # fmt: skip
    ents = np.array([r[1] for r in rows], dtype=object)
    lon, lat = np.array([r[2].x for r in rows]), np.array([r[2].y for r in rows])
    for scope in (EVERYTHING, Scope(enterprises=frozenset({s["a"].id})), s["officer"]):
        sql, params = scope.where("s.enterprise_id", "st.geom")
        with connection.cursor() as cur:
            cur.execute("SELECT st.subject_id FROM geo_core_subjectstate st JOIN geo_core_subject s ON s.id = "
                        f"st.subject_id WHERE s.external_id LIKE 'FAN-%%' AND {sql}", params)  # fmt: skip
            by_sql = {r[0] for r in cur.fetchall()}
        by_mask = {rows[i][0] for i in np.flatnonzero(scope.mask(ents, lon, lat))}
        assert by_mask == by_sql, scope
