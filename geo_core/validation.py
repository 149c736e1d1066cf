"""Validators shared by the models, the loaders and (later) the ingest API.

Each one raises django.core.exceptions.ValidationError with a message that says what is wrong and why;
callers add which record and which field. The same rules are enforced again by database constraints.
"""

from __future__ import annotations

import json

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError

# Vertices of one fence, wherever it comes from (zones API, report feed, GIS import): a site's fence is tens to
# hundreds of vertices; 200,000 is an attack on every later tile and alarm evaluation.
MAX_FENCE_VERTICES = 10_000

# GB 32100-2015 unified social credit code: 18 characters from this alphabet (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    if len(value) != 18:
        raise ValidationError(f"unified social credit code must have 18 characters, got {len(value)}")
    bad = [c for c in value if c not in USCC_ALPHABET]
    if bad:
        raise ValidationError(f"unified social credit code has characters outside GB 32100 alphabet: {bad[0]!r}")
    if not value[2:8].isdigit():
        raise ValidationError("unified social credit code positions 3-8 must be an administrative division code")
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(f"unified social credit code check character is {value[17]!r}, expected {expected!r}")


def validate_geometry(geom: GEOSGeometry) -> None:
    """Valid (OGC simple features), non-empty, and in plausible lon/lat degrees."""
    if geom.empty:
        raise ValidationError("geometry is empty")
    if not geom.valid:
        raise ValidationError(f"geometry is invalid: {geom.valid_reason}")
    xmin, ymin, xmax, ymax = geom.extent
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise ValidationError(
            f"coordinates out of range for lon/lat degrees (extent {xmin:.6f},{ymin:.6f},{xmax:.6f},{ymax:.6f})"
        )


def geometry_from_geojson(obj: dict | str, srid: int = 4490) -> GEOSGeometry:
    """Parse a GeoJSON geometry whose coordinates are already in `srid` (GEOS would label them 4326)."""
    geom = GEOSGeometry(obj if isinstance(obj, str) else json.dumps(obj))
    geom.srid = srid
    return geom


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    """Accept a Polygon or MultiPolygon (fences arrive as either) and store a MultiPolygon."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        multi = MultiPolygon(geom, srid=geom.srid)
        return multi
    raise ValidationError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")
