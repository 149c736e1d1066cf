"""Shanghai 2000: the shipped definitions reproduce the public reference values; round trips are exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_transform import TransformError, sh2000, transform
from tests.coord_transform.conftest import metres

TEST_POINT = (121.4737, 31.2304)  # lon, lat


def test_announced_definition_puts_the_origin_at_zero():
    r = transform([sh2000.ORIGIN_LON], [sh2000.ORIGIN_LAT], "cgcs2000", "sh2000:announced")
    assert abs(r.x[0]) < 0.001
    assert abs(r.y[0]) < 0.001


def test_announced_definition_matches_the_reference_value():
    r = transform([TEST_POINT[0]], [TEST_POINT[1]], "cgcs2000", "sh2000:announced")
    # reference/shanghai2000.md (b): east 643.64, north -540.78; x is north, y is east.
    assert r.x[0] == pytest.approx(-540.78, abs=0.01)
    assert r.y[0] == pytest.approx(643.64, abs=0.01)


def test_duckdb_definition_reproduces_its_golden_value():
    r = transform([TEST_POINT[0]], [TEST_POINT[1]], "cgcs2000", "sh2000:duckdb-cn-shift")
    assert r.y[0] == pytest.approx(623.9562626341774, abs=1e-4)
    assert r.x[0] == pytest.approx(-559.7345834588632, abs=1e-4)


def test_the_public_definitions_disagree_by_about_twenty_metres():
    a = transform([TEST_POINT[0]], [TEST_POINT[1]], "cgcs2000", "sh2000:announced")
    b = transform([TEST_POINT[0]], [TEST_POINT[1]], "cgcs2000", "sh2000:duckdb-cn-shift")
    assert 15 < np.hypot(a.x[0] - b.x[0], a.y[0] - b.y[0]) < 35


def test_sh2000_uses_the_configured_default(monkeypatch):
    monkeypatch.setenv("GEO_SH2000_DEFINITION", "duckdb-cn-shift")
    r = transform([TEST_POINT[0]], [TEST_POINT[1]], "cgcs2000", "sh2000")
    assert r.info["sh2000_definition"] == "duckdb-cn-shift"
    monkeypatch.setenv("GEO_SH2000_DEFINITION", "guess")
    with pytest.raises(TransformError, match="not a Shanghai 2000 definition"):
        transform([TEST_POINT[0]], [TEST_POINT[1]], "cgcs2000", "sh2000")


def test_unknown_definition_is_named():
    with pytest.raises(TransformError, match="unknown Shanghai 2000 definition 'old'"):
        transform([121.47], [31.23], "cgcs2000", "sh2000:old")


@pytest.mark.parametrize("definition", sh2000.names())
def test_round_trip_over_a_shanghai_grid_within_a_millimetre(shanghai_grid, definition):
    lon, lat = shanghai_grid
    fwd = transform(lon, lat, "cgcs2000", f"sh2000:{definition}")
    back = transform(fwd.x, fwd.y, f"sh2000:{definition}", "cgcs2000")
    assert metres(back.x - lon, back.y - lat).max() < 0.001
    # x is north: it grows with latitude; y is east: it grows with longitude.
    assert np.corrcoef(fwd.x, lat)[0, 1] > 0.99
    assert np.corrcoef(fwd.y, lon)[0, 1] > 0.99


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(120.86, 122.0), lat=st.floats(30.68, 31.88))
def test_round_trip_property(lon, lat):
    fwd = transform([lon], [lat], "cgcs2000", "sh2000")
    back = transform(fwd.x, fwd.y, "sh2000", "cgcs2000")
    assert metres(back.x[0] - lon, back.y[0] - lat) < 0.001
