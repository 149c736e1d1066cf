"""A metric plane for distance work: the CGCS2000 3-degree Gauss-Krueger zone around a longitude (DESIGN: metric
work in the Gauss-Krueger zone of the area). Two degrees from the central meridian the scale error is under 0.05 %
(0.5 m per km), so one plane serves a whole park or city."""

from __future__ import annotations

from functools import cached_property

import numpy as np
from pyproj import Transformer

from coord_transform.crs import cgcs2000_gk3_zone


class MetricPlane:
    def __init__(self, central_lon: float):
        self.central_lon = central_lon
        self.crs = cgcs2000_gk3_zone(central_lon)

    def __getstate__(self) -> dict:
        return {"central_lon": self.central_lon, "crs": self.crs}

    @cached_property
    def _fwd(self) -> Transformer:
        return Transformer.from_crs("EPSG:4490", self.crs, always_xy=True)

    @cached_property
    def _inv(self) -> Transformer:
        return Transformer.from_crs(self.crs, "EPSG:4490", always_xy=True)

    def forward(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """CGCS2000 lon/lat -> metres east/north."""
        x, y = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    def inverse(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self._inv.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(lon), np.asarray(lat)
