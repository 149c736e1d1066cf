"""Calibration from control points: known parameters are recovered; unfit or noisy points are refused."""

from __future__ import annotations

import numpy as np
import pytest

from coord_transform import Calibration, CalibrationError, fit, transform

RNG = np.random.default_rng(42)
# A ~10 km park around the Shanghai Chemical Industry Park, in CGCS2000.
LON = RNG.uniform(121.38, 121.49, 12)
LAT = RNG.uniform(30.74, 30.82, 12)
H = RNG.uniform(3.0, 40.0, 12)


def bare():
    r = transform(LON, LAT, "cgcs2000", "sh2000:announced", zs=H)
    return r.y, r.x, r.z  # east', north', h


def similarity(e, n, shift=(12.3, -4.56), rotation=2e-4, scale=1 + 3.5e-6, centre=(0.0, 0.0)):
    c, s = np.cos(rotation) * scale, np.sin(rotation) * scale
    ec, nc = e - centre[0], n - centre[1]
    return c * ec - s * nc + centre[0] + shift[0], s * ec + c * nc + centre[1] + shift[1]


def test_similarity_recovers_shift_rotation_and_scale_within_a_millimetre():
    e, n, _ = bare()
    se, sn = similarity(e, n)
    report = fit(e, n, se, sn, method="similarity", definition="announced")
    cal = report.calibration
    assert report.rms_m < 1e-6
    assert cal.rotation_rad == pytest.approx(2e-4, abs=1e-9)
    assert cal.scale == pytest.approx(1 + 3.5e-6, abs=1e-10)
    # New points, not used in the fit, land within 1 mm of where the synthetic parameters put them.
    te, tn = np.array([e.min() - 500, e.max() + 500]), np.array([n.max() + 800, n.min() - 300])
    fe, fn, _ = cal.apply(te, tn)
    xe, xn = similarity(te, tn)
    assert np.hypot(fe - xe, fn - xn).max() < 0.001
    be, bn, _ = cal.invert(fe, fn)
    assert np.hypot(be - te, bn - tn).max() < 1e-6


def test_two_points_are_enough_for_a_similarity():
    e, n, _ = bare()
    se, sn = similarity(e[:2], n[:2])
    report = fit(e[:2], n[:2], se, sn, method="similarity", definition="announced")
    assert report.max_m < 1e-6


def test_affine_recovers_a_shear():
    e, n, _ = bare()
    se = 1.00001 * e + 0.00002 * n + 5.0
    sn = -0.00003 * e + 0.99998 * n - 7.0
    report = fit(e, n, se, sn, method="affine", definition="announced")
    assert report.max_m < 1e-6
    fe, fn, _ = report.calibration.apply(e + 1000, n - 1000)
    assert (
        np.hypot(
            fe - (1.00001 * (e + 1000) + 0.00002 * (n - 1000) + 5.0),
            fn - (-0.00003 * (e + 1000) + 0.99998 * (n - 1000) - 7.0),
        ).max()
        < 0.001
    )


def test_helmert7_recovers_a_3d_similarity_with_heights():
    e, n, h = bare()
    angles = (1e-5, -2e-5, 3e-4)  # about east, north, up
    rx, ry, rz = angles
    rot = (
        np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
        @ np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
        @ np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    )
    p = np.stack([e, n, h])
    q = (1 + 2e-6) * rot @ p + np.array([[3.0], [-2.0], [0.7]])
    report = fit(e, n, q[0], q[1], method="helmert7", definition="announced", projected_height=h, surveyed_height=q[2])
    assert report.max_m < 1e-6
    assert report.calibration.scale == pytest.approx(1 + 2e-6, abs=1e-10)
    fe, fn, fh = report.calibration.apply(e, n, h)
    be, bn, bh = report.calibration.invert(fe, fn, fh)
    assert np.abs(np.stack([be - e, bn - n, bh - h])).max() < 1e-6


def test_residuals_are_reported_per_point():
    e, n, _ = bare()
    se, sn = similarity(e, n)
    se = se + RNG.normal(0, 0.005, se.size)  # 5 mm survey noise
    report = fit(e, n, se, sn, method="similarity", definition="announced")
    assert len(report.residuals_m) == 12
    assert {"de", "dn", "total"} <= set(report.residuals_m[0])
    assert 0.001 < report.rms_m < 0.01
    assert report.max_m >= report.rms_m


@pytest.mark.parametrize(
    ("method", "points", "message"),
    [("similarity", 1, "at least 2 control points, got 1"), ("affine", 2, "at least 3"), ("helmert7", 2, "at least 3")],
)
def test_too_few_points_are_refused(method, points, message):
    e, n, h = bare()
    with pytest.raises(CalibrationError, match=message):
        fit(
            e[:points],
            n[:points],
            e[:points],
            n[:points],
            method=method,
            definition="announced",
            projected_height=h[:points],
            surveyed_height=h[:points],
        )


def test_duplicate_points_are_refused():
    e, n, _ = bare()
    e2, n2 = np.append(e, e[3]), np.append(n, n[3])
    with pytest.raises(CalibrationError, match="control points 3 and 12 are duplicates"):
        fit(e2, n2, e2 + 1, n2 + 1, method="similarity", definition="announced")


def test_collinear_points_are_refused_for_affine():
    t = np.linspace(0, 5000, 6)
    e, n = 1000 + t, 2000 + 0.5 * t
    with pytest.raises(CalibrationError, match="on one line"):
        fit(e, n, e + 1, n + 1, method="affine", definition="announced")
    fit(e, n, e + 1, n + 1, method="similarity", definition="announced")  # a similarity is still determined


def test_a_fit_over_the_bounds_is_refused_with_its_report():
    e, n, _ = bare()
    se, sn = similarity(e, n)
    se[5] += 0.8  # one bad point: 80 cm off
    with pytest.raises(CalibrationError, match="control point 5 has a residual") as err:
        fit(e, n, se, sn, method="similarity", definition="announced", max_rms_m=1.0, max_residual_m=0.1)
    assert err.value.report.max_m > 0.1
    with pytest.raises(CalibrationError, match="RMS residual"):
        fit(e, n, se, sn, method="similarity", definition="announced", max_rms_m=0.05)


def test_helmert7_needs_heights():
    e, n, _ = bare()
    with pytest.raises(CalibrationError, match="needs heights"):
        fit(e, n, e, n, method="helmert7", definition="announced")


def test_calibrated_transform_applies_and_inverts_and_reports_its_version():
    e, n, _ = bare()
    se, sn = similarity(e, n)
    cal = Calibration.from_dict(
        fit(e, n, se, sn, method="similarity", definition="announced").calibration.to_dict() | {"version": "DEMO/v3"}
    )
    r = transform(LON, LAT, "cgcs2000", "sh2000:announced", calibration=cal)
    assert r.info["calibration"] == "DEMO/v3"
    assert np.hypot(r.y - se, r.x - sn).max() < 0.001
    back = transform(r.x, r.y, "sh2000:announced", "cgcs2000", calibration=cal)
    assert np.abs(back.x - LON).max() < 1e-9
    assert np.abs(back.y - LAT).max() < 1e-9


def test_a_calibration_is_refused_for_another_definition_or_crs():
    e, n, _ = bare()
    cal = fit(e, n, e + 1, n, method="similarity", definition="announced").calibration
    from coord_transform import TransformError

    with pytest.raises(TransformError, match="fitted on the 'announced' definition"):
        transform(LON, LAT, "cgcs2000", "sh2000:duckdb-cn-shift", calibration=cal)
    with pytest.raises(TransformError, match="only to transforms to or from sh2000"):
        transform(LON, LAT, "cgcs2000", "gcj02", calibration=cal)
