"""Shanghai 2000 calibrations stored per park: versioned, one active, refused fits store nothing."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from coord_transform import CalibrationError, transform
from geo_core.calibrations import activate_calibration, active_calibration, create_calibration
from geo_core.models import Park, ShanghaiCalibration

pytestmark = pytest.mark.django_db
RNG = np.random.default_rng(9)


def control_points(n=8, shift=(1.5, -0.7), noise=0.0, heights=False):
    lon, lat = RNG.uniform(121.38, 121.49, n), RNG.uniform(30.74, 30.82, n)
    bare = transform(lon, lat, "cgcs2000", "sh2000")
    pts = []
    for i in range(n):
        p = {
            "lon": lon[i],
            "lat": lat[i],
            "x": bare.x[i] + shift[0] + RNG.normal(0, noise) if noise else bare.x[i] + shift[0],
            "y": bare.y[i] + shift[1],
        }
        if heights:
            p |= {"h": 10.0 + i, "H": 10.0 + i - 9.2}
        pts.append(p)
    return pts


@pytest.fixture
def park():
    return Park.objects.create(code="P1", name="园区")


def test_versions_increase_and_one_is_active(park):
    a, report = create_calibration(park, control_points(), "similarity", activate=True)
    b, _ = create_calibration(park, control_points(), "affine", activate=False, note="survey 2")
    assert (a.version, b.version) == (1, 2)
    assert active_calibration(park) == a
    assert report.rms_m < 1e-6
    activate_calibration(b)
    a.refresh_from_db()
    assert not a.active
    assert a.deactivated_at is not None
    assert active_calibration(park) == b
    assert b.fitted().version == "P1/v2"


def test_the_database_allows_one_active_calibration_per_park(park):
    create_calibration(park, control_points(), "similarity", activate=True)
    b, _ = create_calibration(park, control_points(), "similarity")
    with pytest.raises(IntegrityError, match="calibration_one_active_per_park"), transaction.atomic():
        ShanghaiCalibration.objects.filter(pk=b.pk).update(active=True)


def test_a_refused_fit_stores_nothing(park):
    pts = control_points()
    pts[2]["x"] += 0.5  # a 50 cm blunder
    with pytest.raises(CalibrationError, match=r"RMS residual 0\.\d+ m exceeds the bound 0\.05 m") as err:
        create_calibration(park, pts, "similarity")
    assert err.value.report.max_m > 0.1
    assert not ShanghaiCalibration.objects.exists()


def test_a_control_point_with_a_bad_field_is_named(park):
    pts = control_points()
    pts[4]["lat"] = "thirty"
    with pytest.raises(CalibrationError, match="control point 4: field 'lat' is 'thirty'"):
        create_calibration(park, pts, "similarity")


def test_helmert7_with_heights(park):
    cal, report = create_calibration(park, control_points(heights=True), "helmert7")
    assert cal.method == "helmert7"
    assert report.max_m < 1e-4


def test_management_command_fits_from_csv(park, tmp_path, capsys):
    path = tmp_path / "points.csv"
    rows = control_points()
    path.write_text("lon,lat,x,y\n" + "".join(f"{p['lon']},{p['lat']},{p['x']},{p['y']}\n" for p in rows))
    call_command("calibrate_sh2000", park="P1", points=path, method="affine", activate=True)
    assert '"version": 1' in capsys.readouterr().out
    assert active_calibration(park).method == "affine"
    with pytest.raises(CommandError, match="no park with code 'NOPE'"):
        call_command("calibrate_sh2000", park="NOPE", points=path)
