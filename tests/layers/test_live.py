"""The live stream over real HTTP: a snapshot of the view on connect, then deltas within seconds of a committed
fix (moved in the view, moved out of it), as compact arrays; resumable."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import orjson
import pytest
from django.db import connection

from geo_core.access import create_user
from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import ApiToken, Enterprise, Park, Subject
from tests.geo_core.conftest import JINSHAN, credit_code, inside
from tests.sse import SSE


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    assert connection.settings_dict["NAME"].startswith("test_"), "needs a database test in the same run"
    with django_db_blocker.unblock():
        park = Park.objects.create(code="LIVE-PARK", name="LIVE")
        ent = Enterprise.objects.create(
            credit_code=credit_code(org="MA1LE0001"), name="实时化工", company_code="LIVE1", park=park
        )
        person = Subject.objects.create(kind="person", external_id="LV1", enterprise=ent, person_type="01")
        user = create_user("live-sup", "pw-1234567", "supervisor")
        yield {"person": person, "token": ApiToken.issue(user)[1], "centre": inside(JINSHAN)}
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id = %s", [person.id])
        person.delete()
        ent.delete()
        park.delete()
        user.delete()


def _fix(person, lon, lat):
    write_fixes(
        FixBatch(
            subject_id=np.array([person.id]),
            time=[datetime.now(UTC)],
            lon=np.array([lon]),
            lat=np.array([lat]),
            source="simulator",
            raw_x=np.array([lon]),
            raw_y=np.array([lat]),
            raw_crs=["cgcs2000"],
        )
    )


def test_snapshot_then_deltas_in_and_out_of_the_view(live_service, committed, django_db_blocker):
    lon, lat = committed["centre"]
    bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    with django_db_blocker.unblock():
        _fix(committed["person"], lon, lat)
    s = SSE(live_service, f"/api/live/stream?layers=people&bbox={bbox}", committed["token"])
    snap = s.next_event()
    body = orjson.loads(snap["data"])
    assert snap["event"] == "snapshot"
    assert body["fields"][:4] == ["id", "kind", "lon", "lat"]
    assert [r[0] for r in body["rows"]] == [committed["person"].id]
    time.sleep(1.1)
    with django_db_blocker.unblock():
        t0 = time.monotonic()
        _fix(committed["person"], lon + 0.001, lat)
    ev = s.next_event()
    assert time.monotonic() - t0 < 5.0
    delta = orjson.loads(ev["data"])
    assert ev["event"] == "delta"
    assert delta["upsert"] == []
    assert delta["gone"] == []
    assert delta["moved_fields"] == ["id", "lon", "lat", "time"]
    assert delta["moved"][0][0] == committed["person"].id
    assert delta["moved"][0][1] == pytest.approx(lon + 0.001)
    time.sleep(1.1)
    with django_db_blocker.unblock():
        _fix(committed["person"], lon + 0.1, lat)  # out of the view
    out = orjson.loads(s.next_event()["data"])
    assert out["upsert"] == []
    assert out["moved"] == []
    assert out["gone"] == [committed["person"].id]
    last = int(ev["id"])
    s.close()
    # Resuming from the first delta: the move out of the view comes again.
    s = SSE(live_service, f"/api/live/stream?layers=people&bbox={bbox}", committed["token"], last_id=last)
    again = orjson.loads(s.next_event()["data"])
    s.close()
    assert again["gone"] == [committed["person"].id]


@pytest.mark.django_db
def test_live_stream_needs_a_view(client):
    create_user("v", "pw-1234567", "supervisor")
    client.login(username="v", password="pw-1234567")
    assert client.get("/api/live/stream?layers=people").status_code == 400
