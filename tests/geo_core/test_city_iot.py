"""The city IoT platform's readings pulled by the contract (docs/city-iot.md) from a real local stand-in over HTTP
(demo/city_iot.py): signed pulls, the readings stored on the one device path, the cursor kept so a second turn
fetches nothing again and a replay from the start changes nothing; a device of another platform refused, an
unknown one recorded, a malformed item and a bad field quarantined with their reasons; a wrong secret stores
nothing and says why."""

from __future__ import annotations

import dataclasses
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point

from demo.city_iot import Platform
from geo_core.ingest import city_iot, vendors
from geo_core.models import EquipmentFault, EquipmentState, Quarantine, SpecialEquipment, SyncCursor, UnknownDevice

pytestmark = pytest.mark.django_db
KEY, SECRET = "geo-service", "city-secret-0123456789"


@pytest.fixture
def platform(monkeypatch):
    p = Platform(KEY, SECRET)
    url = p.start()
    cfg = django_settings.CONFIG
    monkeypatch.setattr(
        django_settings,
        "CONFIG",
        dataclasses.replace(cfg, city_iot_url=url, city_iot_key=KEY, city_iot_secret=SECRET, city_iot_vendor="city"),
    )
    yield p
    p.stop()


def lift(code: str, vendor=None) -> SpecialEquipment:
    return SpecialEquipment.objects.create(
        registry_code=code,
        kind="elevator",
        using_unit="城市物业",
        vendor=vendor,
        location=Point(121.4, 30.8, srid=4490),
    )


def item(code: str, t: float, **reading) -> dict:
    return {"registry_code": code, "ts": int(t * 1000), "reading": reading}


def test_readings_are_pulled_once_by_cursor_and_a_replay_changes_nothing(platform):
    city, _ = vendors.issue("city", "城市物联感知平台")
    other, _ = vendors.issue("chips", "别家芯片平台")
    mine, theirs = lift("3110CITY0001", city), lift("3110CITY0002", other)
    t0 = time.time() - 800  # a reading a second, up to 100 s ago (a reading from the future is refused)
    platform.add(
        [item(mine.registry_code, t0 + k, floor=k % 30 + 1, direction="up") for k in range(700)]  # two pages of 500
        + [
            item(mine.registry_code, t0 + 701, floor=3, faults=["trapped"]),
            item(theirs.registry_code, t0, floor=2),
            item("3110NOBODY", t0, floor=1),
            {"registry_code": "a/b", "ts": 1, "reading": {}},
            item(mine.registry_code, t0 + 702, floor=99_999),
        ]
    )
    r = city_iot.pull()
    assert r.errors == []
    assert (r.pages, r.items) == (2, 705)
    assert (r.readings, r.refused, r.unknown) == (701, 1, 1)
    assert r.quarantined == 2  # the malformed item and the floor out of range, each with its reason
    reasons = list(Quarantine.objects.filter(source="city_iot").values_list("reason", flat=True))
    assert any("registry_code" in x for x in reasons)
    assert any("floor" in x for x in reasons)
    assert EquipmentState.objects.get(equipment=mine).live["floor"] == 3
    assert EquipmentFault.objects.get(equipment=mine).code == "trapped"
    assert not EquipmentState.objects.filter(equipment=theirs).exists()  # another platform's device
    assert UnknownDevice.objects.filter(identifier="3110NOBODY").exists()
    assert SyncCursor.objects.get(name="city_iot").cursor == "705"

    again = city_iot.pull()  # nothing new since the cursor
    assert (again.items, again.readings) == (0, 0)
    SyncCursor.objects.filter(name="city_iot").update(cursor="")  # a replay of everything
    replay = city_iot.pull()
    assert (replay.items, replay.readings, replay.duplicates) == (705, 0, 701)
    assert EquipmentFault.objects.filter(equipment=mine).count() == 1


def test_a_wrong_secret_stores_nothing_and_says_why(platform, monkeypatch):
    city, _ = vendors.issue("city", "城市物联感知平台")
    mine = lift("3110CITY0003", city)
    platform.add([item(mine.registry_code, time.time(), floor=5)])
    cfg = django_settings.CONFIG
    monkeypatch.setattr(django_settings, "CONFIG", dataclasses.replace(cfg, city_iot_secret="wrong"))
    r = city_iot.pull()
    assert r.errors == ["the platform answered 401"]
    assert platform.refused == 1
    assert not EquipmentState.objects.filter(equipment=mine).exists()
    assert SyncCursor.objects.get(name="city_iot").last_error == "the platform answered 401"
