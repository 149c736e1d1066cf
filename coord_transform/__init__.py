"""coord_transform: coordinate systems our users live in (CGCS2000, WGS84, Web Mercator, GCJ-02, BD-09,
Shanghai 2000, any EPSG code), vectorised.

A plain library over numpy and pyproj: no Django. Arrays in, arrays out, no Python loop per point.

    from coord_transform import transform
    x, y, z, info = transform(lons, lats, "gcj02", "sh2000")

Names and axis orders: coord_transform.crs. Shanghai 2000 definitions: coord_transform.sh2000. Control-point
calibration: coord_transform.calibration. Command line: python -m coord_transform --help.
"""

from coord_transform.calibration import Calibration, FitReport, fit
from coord_transform.core import Transformed, transform
from coord_transform.crs import CRS, cgcs2000_gk3_zone, resolve
from coord_transform.errors import CalibrationError, TransformError

__all__ = [
    "CRS",
    "Calibration",
    "CalibrationError",
    "FitReport",
    "TransformError",
    "Transformed",
    "cgcs2000_gk3_zone",
    "fit",
    "resolve",
    "transform",
]
