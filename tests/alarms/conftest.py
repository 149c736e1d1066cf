"""A small real scene in PostGIS for the alarm worker: one enterprise, its site, a forbidden square, people and a
welding machine; positions go through the real write path (geo_core.ingest.writer)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pytest
from pyproj import Geod

from geo_core.ingest.writer import FixBatch, write_fixes
from geo_core.models import Subject, Zone
from tests.geo_core.conftest import JINSHAN, enterprise, inside, jinshan_site, make_enterprise, park, square

__all__ = ["enterprise", "jinshan_site", "make_enterprise", "park"]
GEOD = Geod(ellps="GRS80")
# An hour ago, whole seconds: inside the day partitions migrate keeps ready (a rolled-back test cannot keep new ones).
T0 = float(int(time.time()) // 60 * 60 - 3600)


def offset(lon: float, lat: float, east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    lon2, lat2, _ = GEOD.fwd(lon, lat, 90.0, east_m)
    lon3, lat3, _ = GEOD.fwd(lon2, lat2, 0.0, north_m)
    return lon3, lat3


class Scene:
    def __init__(self, enterprise, site):
        self.enterprise, self.site = enterprise, site
        self.centre = inside(JINSHAN)
        # A 100 m square forbidden zone centred on the site's centre.
        lon, lat = self.centre
        half = 50.0 / 111_000
        self.forbidden = Zone.objects.create(
            name="罐区禁区", kind="forbidden", enterprise=enterprise, geom=square(lon, lat, half)
        )
        self.people = {
            name: Subject.objects.create(kind="person", external_id=name, enterprise=enterprise, person_type=ptype)
            for name, ptype in (("C1", "02"), ("C2", "02"), ("E1", "01"), ("V1", "03"))
        }
        self.welder = Subject.objects.create(
            kind="welder", external_id="WM1", enterprise=enterprise, chip_id="CHIP-1", qr_code="QR-1", mobility="fixed"
        )
        self.camera = Subject.objects.create(kind="body_camera", external_id="BC1", enterprise=None)

    def at(self, east_m: float, north_m: float = 0.0) -> tuple[float, float]:
        """A point east/north of the forbidden square's centre (the square spans -50..50 m)."""
        return offset(*self.centre, east_m, north_m)

    def write(self, subject: Subject, t: float, east_m: float, north_m: float = 0.0, accuracy_m: float = np.nan):
        lon, lat = self.at(east_m, north_m)
        return write_fixes(
            FixBatch(
                subject_id=np.array([subject.id]),
                time=[datetime.fromtimestamp(t, UTC)],
                lon=np.array([lon]),
                lat=np.array([lat]),
                source="simulator",
                raw_x=np.array([lon]),
                raw_y=np.array([lat]),
                raw_crs=["cgcs2000"],
                accuracy_m=np.array([accuracy_m]),
            )
        )


@pytest.fixture
def scene(jinshan_site) -> Scene:
    return Scene(jinshan_site.enterprise, jinshan_site)
