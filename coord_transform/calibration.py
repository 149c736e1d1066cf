"""Calibrate a Shanghai 2000 definition against control points (CRS-3).

Control points pair CGCS2000 lon/lat (and ellipsoidal height) with surveyed Shanghai 2000 x (north) / y (east) (and
height). The definition projects the lon/lat to (east', north'); a correction maps those to the surveyed values:

- `similarity` (4 parameters: shift, rotation, scale), from 2 points;
- `affine` (6 parameters), from 3 points not on one line;
- `helmert7` (7 parameters: 3D shift, 3 rotations, scale) on (east, north, height), from 3 points with heights not
  on one line, by the closed-form SVD solution (Umeyama 1991).

Every fit reports per-point residuals, RMS and maximum; a fit is refused when the points are too few, duplicated or
collinear, or when the residuals exceed the bounds given. Coordinates are centred on the control points' mean
before fitting, so the parameters stay well conditioned.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coord_transform.errors import CalibrationError

Method = Literal["similarity", "affine", "helmert7"]
MIN_POINTS = {"similarity": 2, "affine": 3, "helmert7": 3}
DUPLICATE_M = 0.001
Array = NDArray[np.float64]
Plane = tuple[Array, Array, Array | None]


@dataclass(frozen=True)
class Calibration:
    """A fitted correction from a definition's (east', north'[, h]) to surveyed (east, north[, H])."""

    method: Method
    definition: str
    centre: tuple[float, float, float]  # mean (east', north', h') of the control points
    matrix: tuple[tuple[float, ...], ...]  # 2x2 (similarity, affine) or 3x3 (helmert7, scale included)
    shift: tuple[float, ...]  # added after the matrix, in centred coordinates' frame origin
    version: str | int | None = None

    def apply(
        self, east: ArrayLike, north: ArrayLike, height: ArrayLike | None = None
    ) -> tuple[Array, Array, Array | None]:
        e = np.asarray(east, dtype=np.float64) - self.centre[0]
        n = np.asarray(north, dtype=np.float64) - self.centre[1]
        m = np.asarray(self.matrix)
        if self.method == "helmert7":
            h = (np.zeros_like(e) if height is None else np.asarray(height, dtype=np.float64)) - self.centre[2]
            p = np.stack([e, n, h])
            q = np.tensordot(m, p, axes=1) + np.asarray(self.shift).reshape(3, *([1] * e.ndim))
            return q[0], q[1], (q[2] if height is not None else None)
        e2 = m[0, 0] * e + m[0, 1] * n + self.shift[0]
        n2 = m[1, 0] * e + m[1, 1] * n + self.shift[1]
        return e2, n2, (None if height is None else np.asarray(height, dtype=np.float64))

    def invert(
        self, east: ArrayLike, north: ArrayLike, height: ArrayLike | None = None
    ) -> tuple[Array, Array, Array | None]:
        e = np.asarray(east, dtype=np.float64)
        n = np.asarray(north, dtype=np.float64)
        m = np.asarray(self.matrix)
        inv = np.linalg.inv(m)
        if self.method == "helmert7":
            h = np.zeros_like(e) if height is None else np.asarray(height, dtype=np.float64)
            q = np.stack([e, n, h]) - np.asarray(self.shift).reshape(3, *([1] * e.ndim))
            p = np.tensordot(inv, q, axes=1)
            return p[0] + self.centre[0], p[1] + self.centre[1], (p[2] + self.centre[2] if height is not None else None)
        de = e - self.shift[0]
        dn = n - self.shift[1]
        return (
            inv[0, 0] * de + inv[0, 1] * dn + self.centre[0],
            inv[1, 0] * de + inv[1, 1] * dn + self.centre[1],
            None if height is None else np.asarray(height, dtype=np.float64),
        )

    @property
    def scale(self) -> float:
        m = np.asarray(self.matrix)
        return float(np.sqrt(abs(np.linalg.det(m)))) if m.shape == (2, 2) else float(np.cbrt(abs(np.linalg.det(m))))

    @property
    def rotation_rad(self) -> float:
        """Rotation about the vertical axis (east towards north positive)."""
        m = np.asarray(self.matrix)
        return float(np.arctan2(m[1, 0], m[0, 0]))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        try:
            return cls(
                method=data["method"],
                definition=data["definition"],
                centre=tuple(float(v) for v in data["centre"]),
                matrix=tuple(tuple(float(v) for v in row) for row in data["matrix"]),
                shift=tuple(float(v) for v in data["shift"]),
                version=data.get("version"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"not a calibration: {exc}") from None


@dataclass
class FitReport:
    calibration: Calibration
    residuals_m: list[dict[str, float]] = field(default_factory=list)  # per point: de, dn, (dh), total
    rms_m: float = 0.0
    max_m: float = 0.0
    points: int = 0

    def to_dict(self) -> dict:
        return {
            "calibration": self.calibration.to_dict(),
            "scale": self.calibration.scale,
            "rotation_rad": self.calibration.rotation_rad,
            "residuals_m": self.residuals_m,
            "rms_m": self.rms_m,
            "max_m": self.max_m,
            "points": self.points,
        }


def _check_points(src: Array, dst: Array, method: Method) -> None:
    n = src.shape[0]
    need = MIN_POINTS[method]
    if n < need:
        raise CalibrationError(f"{method} needs at least {need} control points, got {n}")
    if not (np.isfinite(src).all() and np.isfinite(dst).all()):
        bad = int(np.flatnonzero(~(np.isfinite(src).all(axis=1) & np.isfinite(dst).all(axis=1)))[0])
        raise CalibrationError(f"control point {bad} has a coordinate that is not a finite number")
    for label, pts in (("CGCS2000", src[:, :2]), ("Shanghai 2000", dst[:, :2])):
        d = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
        d[np.tril_indices(n)] = np.inf
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        if d[i, j] < DUPLICATE_M:
            raise CalibrationError(f"control points {i} and {j} are duplicates in {label} (less than 1 mm apart)")
    if method in ("affine", "helmert7"):
        centred = src[:, :2] - src[:, :2].mean(axis=0)
        sv = np.linalg.svd(centred, compute_uv=False)
        spread = sv / np.sqrt(n)
        if spread[1] < max(1.0, 1e-3 * spread[0]):
            raise CalibrationError(
                f"control points lie (almost) on one line (spread {spread[1]:.3f} m across it): {method} needs points "
                "spread in two directions"
            )


def _umeyama(p: Array, q: Array) -> tuple[Array, Array]:
    """Least-squares similarity q ~ s R p + t for centred point sets (3 x n): returns (sR, t)."""
    mp = p.mean(axis=1, keepdims=True)
    mq = q.mean(axis=1, keepdims=True)
    pc, qc = p - mp, q - mq
    cov = qc @ pc.T / p.shape[1]
    u, d, vt = np.linalg.svd(cov)
    s_fix = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        s_fix[2, 2] = -1.0
    rot = u @ s_fix @ vt
    var_p = (pc**2).sum() / p.shape[1]
    scale = np.trace(np.diag(d) @ s_fix) / var_p
    sr = scale * rot
    t = (mq - sr @ mp).ravel()
    return sr, t


def fit(
    projected_east: ArrayLike,
    projected_north: ArrayLike,
    surveyed_east: ArrayLike,
    surveyed_north: ArrayLike,
    *,
    method: Method,
    definition: str,
    projected_height: ArrayLike | None = None,
    surveyed_height: ArrayLike | None = None,
    max_rms_m: float | None = None,
    max_residual_m: float | None = None,
    version: str | int | None = None,
) -> FitReport:
    """Fit `method` from the definition's projected coordinates to the surveyed ones. Raises CalibrationError when
    the points are unfit or the residuals exceed the bounds (the report is attached to the error)."""
    if method not in MIN_POINTS:
        raise CalibrationError(f"unknown method {method!r}; known: {sorted(MIN_POINTS)}")
    pe, pn, se, sn = (
        np.asarray(v, dtype=np.float64).ravel()
        for v in (projected_east, projected_north, surveyed_east, surveyed_north)
    )
    if not (pe.size == pn.size == se.size == sn.size):
        raise CalibrationError("control point arrays differ in length")
    three_d = method == "helmert7"
    if three_d:
        if projected_height is None or surveyed_height is None:
            raise CalibrationError("helmert7 needs heights on both sides of every control point")
        ph = np.asarray(projected_height, dtype=np.float64).ravel()
        sh = np.asarray(surveyed_height, dtype=np.float64).ravel()
    else:
        ph = sh = np.zeros_like(pe)
    src = np.column_stack([pe, pn, ph])
    dst = np.column_stack([se, sn, sh])
    _check_points(src, dst, method)

    centre = src.mean(axis=0)
    c = src - centre
    if method == "similarity":
        n = c.shape[0]
        design = np.zeros((2 * n, 4))
        design[0::2] = np.column_stack([c[:, 0], -c[:, 1], np.ones(n), np.zeros(n)])
        design[1::2] = np.column_stack([c[:, 1], c[:, 0], np.zeros(n), np.ones(n)])
        rhs = np.empty(2 * n)
        rhs[0::2], rhs[1::2] = se, sn
        (a, b, tx, ty), *_ = np.linalg.lstsq(design, rhs, rcond=None)
        matrix, shift = ((a, -b), (b, a)), (tx, ty)
    elif method == "affine":
        design = np.column_stack([c[:, 0], c[:, 1], np.ones(c.shape[0])])
        (a1, a2, tx), *_ = np.linalg.lstsq(design, se, rcond=None)
        (b1, b2, ty), *_ = np.linalg.lstsq(design, sn, rcond=None)
        matrix, shift = ((a1, a2), (b1, b2)), (tx, ty)
    else:
        sr, t = _umeyama(c.T, dst.T)
        matrix, shift = tuple(map(tuple, sr)), tuple(t)

    cal = Calibration(
        method=method,
        definition=definition,
        centre=tuple(float(v) for v in centre),
        matrix=tuple(tuple(float(v) for v in row) for row in matrix),
        shift=tuple(float(v) for v in shift),
        version=version,
    )
    fe, fn, fh = cal.apply(pe, pn, ph if three_d else None)
    de, dn = fe - se, fn - sn
    dh = (fh - sh) if three_d else np.zeros_like(de)
    total = np.sqrt(de**2 + dn**2 + dh**2)
    residuals = [
        {"de": float(a), "dn": float(b), **({"dh": float(h)} if three_d else {}), "total": float(t)}
        for a, b, h, t in zip(de, dn, dh, total, strict=True)
    ]
    report = FitReport(cal, residuals, float(np.sqrt(np.mean(total**2))), float(total.max()), int(total.size))
    if max_rms_m is not None and report.rms_m > max_rms_m:
        raise CalibrationError(f"RMS residual {report.rms_m:.4f} m exceeds the bound {max_rms_m} m", report)
    if max_residual_m is not None and report.max_m > max_residual_m:
        worst = int(np.argmax(total))
        raise CalibrationError(
            f"control point {worst} has a residual of {report.max_m:.4f} m, over the bound {max_residual_m} m", report
        )
    return report
