"""Fit, store, version and activate Shanghai 2000 calibrations for a park (CRS-3)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from coord_transform import CalibrationError, FitReport, fit, transform
from geo_core.models import Park, ShanghaiCalibration

POINT_FIELDS = ("lon", "lat", "x", "y")  # CGCS2000 lon/lat; Shanghai 2000 x = north, y = east; optional h, H


def _points_arrays(points: list[dict], need_heights: bool) -> dict[str, np.ndarray]:
    cols: dict[str, list[float]] = {k: [] for k in (*POINT_FIELDS, "h", "H")}
    for i, p in enumerate(points):
        for name in (*POINT_FIELDS, *(("h", "H") if need_heights else ())):
            value = p.get(name)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise CalibrationError(f"control point {i}: field {name!r} is {value!r}, not a number") from None
            if not np.isfinite(number):
                raise CalibrationError(f"control point {i}: field {name!r} is not a finite number")
            cols[name].append(number)
    return {k: np.asarray(v) for k, v in cols.items() if v}


def fit_points(
    points: list[dict],
    method: str,
    definition: str | None = None,
    max_rms_m: float | None = None,
    max_residual_m: float | None = None,
) -> FitReport:
    """Project the CGCS2000 side with the bare definition and fit the correction to the surveyed side."""
    cfg = settings.CONFIG
    definition = definition or cfg.sh2000_definition
    three_d = method == "helmert7"
    a = _points_arrays(points, need_heights=three_d)
    bare = transform(a["lon"], a["lat"], "cgcs2000", f"sh2000:{definition}", zs=a.get("h"))
    return fit(
        bare.y,
        bare.x,
        a["y"],
        a["x"],  # east', north' -> surveyed east (y), north (x)
        method=method,
        definition=definition,
        projected_height=bare.z if three_d else None,
        surveyed_height=a.get("H") if three_d else None,
        max_rms_m=cfg.calibration_max_rms_m if max_rms_m is None else max_rms_m,
        max_residual_m=cfg.calibration_max_residual_m if max_residual_m is None else max_residual_m,
    )


def create_calibration(
    park: Park,
    points: list[dict],
    method: str,
    *,
    definition: str | None = None,
    user=None,
    note: str = "",
    activate: bool = False,
) -> tuple[ShanghaiCalibration, FitReport]:
    """Fit and store the park's next calibration version; refused fits raise CalibrationError with their report."""
    cfg = settings.CONFIG
    report = fit_points(points, method, definition)
    with transaction.atomic():
        Park.objects.select_for_update().get(pk=park.pk)  # serialises version numbers per park
        version = (park.calibrations.aggregate(v=Max("version"))["v"] or 0) + 1
        cal = ShanghaiCalibration.objects.create(
            park=park,
            version=version,
            definition=report.calibration.definition,
            method=method,
            parameters=report.calibration.to_dict(),
            control_points=points,
            residuals_m=report.residuals_m,
            rms_m=report.rms_m,
            max_m=report.max_m,
            max_rms_bound_m=cfg.calibration_max_rms_m,
            max_residual_bound_m=cfg.calibration_max_residual_m,
            note=note,
            created_by=user,
        )
        if activate:
            activate_calibration(cal, user)
    return cal, report


def activate_calibration(cal: ShanghaiCalibration, user=None) -> None:
    now = timezone.now()
    with transaction.atomic():
        cal.park.calibrations.filter(active=True).exclude(pk=cal.pk).update(active=False, deactivated_at=now)
        cal.active, cal.activated_at, cal.activated_by, cal.deactivated_at = True, now, user, None
        cal.save(update_fields=["active", "activated_at", "activated_by", "deactivated_at"])


def active_calibration(park: Park) -> ShanghaiCalibration | None:
    return park.calibrations.filter(active=True).first()


def read_points_csv(path: Path) -> list[dict]:
    """Control points from CSV with columns lon, lat, x, y (and h, H for helmert7); extra columns are kept."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [dict(row) for row in csv.DictReader(fh)]
