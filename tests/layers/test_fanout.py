"""The live feed computed once (issue 16, part 1): however many streams and server processes listen, one change set per
tick; each stream takes only its view's, kinds' and scope's part of the batch, and the in-memory scope is the SQL one.
A state committed late (written before a later one that committed first) is not left behind the feed's cursor."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import numpy as np
import orjson
import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from geo_core.access import access_for, create_user
from geo_core.db import conninfo
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import ApiToken, Enterprise, Park, Region, Subject, SubjectState
from geo_core.scope import EVERYTHING, Scope
from geo_core.streams import released
from layers import fanout, live
from layers.fanout import Feed
from tests.conftest import start_server, until
from tests.geo_core.conftest import FENGXIAN, JINSHAN, credit_code, inside
from tests.sse import SSE

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
        wb = Subject.objects.create(
            kind="welder", external_id="FAN-W", enterprise=b, chip_id="FANCHIP", qr_code="FANQR", mobility="mobile"
        )
        officer = create_user("fan-officer", "pw-1234567", "district", district=Region.objects.get(code=FENGXIAN))
        supervisor = create_user("fan-supervisor", "pw-1234567", "supervisor")
        yield {
            "a": a,
            "b": b,
            "pa": pa,
            "pb": pb,
            "wb": wb,
            "js": inside(JINSHAN),
            "fx": inside(FENGXIAN),
            "officer": access_for(officer).scope,
            "token": ApiToken.issue(supervisor)[1],
        }
        ids = [pa.id, pb.id, wb.id]
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id = ANY(%s)", [ids])
        Subject.objects.filter(id__in=ids).delete()
        a.delete()
        b.delete()
        park.delete()
        officer.delete()
        supervisor.delete()


def fixes(points: dict[Subject, tuple[float, float]]) -> None:
    subjects = list(points)
    lon = np.array([points[s][0] for s in subjects])
    lat = np.array([points[s][1] for s in subjects])
    write_fixes(
        FixBatch(
            subject_id=np.array([s.id for s in subjects]),
            time=[datetime.now(UTC)] * len(subjects),
            lon=lon,
            lat=lat,
            source="simulator",
            raw_x=lon,
            raw_y=lat,
            raw_crs=["cgcs2000"] * len(subjects),
        )
    )


def committed(points: dict[Subject, tuple[float, float]]) -> None:
    """`fixes`, committed: on a thread of its own (its own connection, outside the test's transaction)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(released(fixes), points).result()


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
    assert queries <= ticks  # at most one change set a tick, for sixty streams (another process may make some)
    assert queries <= 6
    pa, pb, wb = s["pa"].id, s["pb"].id, s["wb"].id
    assert all(p == ({pa}, {pb}) for p in parts[:20])  # the supervisor's Jinshan view; B's person elsewhere: gone
    assert all(p == ({pa}, set()) for p in parts[20:40])  # enterprise A: its own person only, wherever the view
    assert all(p == ({pb, wb}, set()) for p in parts[40:])  # Fengxian's officer: what is in Fengxian, both kinds


def test_the_scope_in_memory_selects_what_the_sql_selects(two_sides):
    s = two_sides
    (jx, jy), (fx, fy) = s["js"], s["fx"]
    fixes({s["pa"]: (jx, jy), s["pb"]: (fx, fy), s["wb"]: (fx + 0.001, fy)})
    rows = list(
        SubjectState.objects.filter(subject__external_id__startswith="FAN-").values_list(
            "subject_id", "subject__enterprise_id", "geom"
        )
    )
    ents = np.array([r[1] for r in rows], dtype=object)
    lon, lat = np.array([r[2].x for r in rows]), np.array([r[2].y for r in rows])
    for scope in (EVERYTHING, Scope(enterprises=frozenset({s["a"].id})), s["officer"]):
        sql, params = scope.where("s.enterprise_id", "st.geom")
        with connection.cursor() as cur:
            cur.execute(
                "SELECT st.subject_id FROM geo_core_subjectstate st JOIN geo_core_subject s ON s.id = "
                f"st.subject_id WHERE s.external_id LIKE 'FAN-%%' AND {sql}",
                params,
            )
            by_sql = {r[0] for r in cur.fetchall()}
        by_mask = {rows[i][0] for i in np.flatnonzero(scope.mask(ents, lon, lat))}
        assert by_mask == by_sql, scope


def test_a_state_committed_late_is_not_left_behind_the_cursor(two_sides):
    """Two writers: A writes first and commits last. Its row carries A's start time as updated_at, older than B's: a
    feed that moved its cursor past B's would never send A's. The batch ends short of A until A commits."""
    s = two_sides
    (jx, jy) = s["js"]
    committed({s["pa"]: (jx, jy), s["pb"]: (jx, jy)})
    advance = released(fanout._advance)
    with ThreadPoolExecutor(1) as pool:
        _, cursor, _, _ = pool.submit(advance, None, 0.01).result()
        with psycopg.connect(conninfo()) as a:  # writer A: a transaction that has written and not committed
            a.execute(
                "UPDATE geo_core_subjectstate SET geom = ST_SetSRID(ST_MakePoint(%s, %s, 0), 4490), "
                "updated_at = now() WHERE subject_id = %s",
                [jx + 0.002, jy, s["pa"].id],
            )
            time.sleep(0.05)
            committed({s["pb"]: (jx + 0.003, jy)})  # writer B, later, commits first
            first, cursor, _, _ = pool.submit(advance, cursor, 0.01).result()
            a.commit()
        time.sleep(0.02)  # the next tick due
        second, cursor, _, _ = pool.submit(advance, cursor, 0.01).result()
    ids = lambda batches: {r[0] for b in batches for r in b[2]}  # noqa: E731
    assert s["pa"].id not in ids(first)
    assert s["pb"].id not in ids(first)  # committed after A began writing: held back with it
    assert {s["pa"].id, s["pb"].id} <= ids(second)
    assert second[0][0] == first[-1][1]  # chained


def _metric(base: str, name: str) -> float:
    req = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = urllib.request.urlopen(req, timeout=10).read().decode()
    return next(m.samples[0].value for m in text_string_to_metric_families(text) if m.name == name)


METRICS_TOKEN = "fanout-test-metrics-token"


def test_server_processes_share_one_change_set_a_tick_and_one_goes_on_when_the_other_dies(two_sides):
    s = two_sides
    jx, jy = s["js"]
    d = connection.settings_dict
    env = {
        "DATABASE_URL": f"postgis://{d['USER']}@{d['HOST']}:{d['PORT']}/{d['NAME']}",
        "GEO_METRICS_TOKEN": METRICS_TOKEN,
    }
    servers = [start_server(env), start_server(env)]
    received: list[list[tuple[float, dict]]] = [[], []]

    def listen(i: int, base: str) -> None:
        bbox = f"{jx - 0.05},{jy - 0.05},{jx + 0.05},{jy + 0.05}"
        stream = SSE(base, f"/api/live/stream?layers=people&bbox={bbox}", s["token"], timeout=60)
        try:
            while True:
                ev = stream.next_event()
                received[i].append((time.monotonic(), orjson.loads(ev["data"])))
        except OSError:  # the server was killed, or the test closed it
            pass

    def where(i: int) -> float | None:
        """The last longitude of the person A stream i was told."""
        lon = None
        for _, body in received[i]:
            for r in body.get("rows", []) + body.get("upsert", []) + body.get("moved", []):
                if r[0] == s["pa"].id:
                    lon = r[1] if len(r) == 4 else r[2]
        return lon

    try:
        for i, (_, base) in enumerate(servers):
            threading.Thread(target=listen, args=(i, base), daemon=True).start()
        assert until(lambda: all(received), 15)  # both snapshots
        made0 = [_metric(b, "geoservice_live_feed_queries") for _, b in servers]
        taken0 = [_metric(b, "geoservice_live_feed_batches") for _, b in servers]
        lon = jx
        for _ in range(16):  # 8 s of moves
            lon += 0.0005
            committed({s["pa"]: (lon, jy)})
            time.sleep(0.5)
        assert until(lambda: where(0) == pytest.approx(lon) and where(1) == pytest.approx(lon), 5)
        made = [_metric(b, "geoservice_live_feed_queries") - m for (_, b), m in zip(servers, made0, strict=True)]
        taken = [_metric(b, "geoservice_live_feed_batches") - t for (_, b), t in zip(servers, taken0, strict=True)]
        assert min(taken) >= 3  # each process took a batch every 2 s ...
        assert sum(made) <= max(taken) + 1  # ... and between them they made one a tick, not one each

        # The process that made most of them dies; the other goes on making them and its stream hears every move.
        maker = 0 if made[0] >= made[1] else 1
        survivor = 1 - maker
        servers[maker][0].send_signal(signal.SIGKILL)
        servers[maker][0].wait(10)
        made_before = _metric(servers[survivor][1], "geoservice_live_feed_queries")
        for _ in range(8):
            lon += 0.0005
            committed({s["pa"]: (lon, jy)})
            time.sleep(0.5)
        t = time.monotonic()
        assert until(lambda: where(survivor) == pytest.approx(lon), 6)
        assert time.monotonic() - t < 5.0
        assert _metric(servers[survivor][1], "geoservice_live_feed_queries") > made_before
    finally:
        for proc, _ in servers:  # killed: a server with open streams would wait for them to end
            proc.kill()
            proc.wait(10)
