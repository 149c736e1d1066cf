"""The engine's metric plane (coord_transform.plane) and fence geometry moved onto it."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from coord_transform.plane import MetricPlane

__all__ = ["MetricPlane", "to_plane"]


def to_plane(plane: MetricPlane, geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat geometry in the plane (2D)."""
    return shapely.transform(geom, lambda xy: np.column_stack(plane.forward(xy[:, 0], xy[:, 1])))
