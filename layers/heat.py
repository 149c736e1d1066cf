"""LAY-5 heat maps: kernel density of welding activity (machines powered on) and of alarms, into a grid with numpy
(a Gaussian kernel as two separable 1-D convolutions), served as PNG tiles in Web Mercator and as a Cloud-Optimized
GeoTIFF in CGCS2000 for download. rasterio (GDAL) writes both formats."""

from __future__ import annotations

import warnings

import numpy as np
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from rasterio.transform import from_bounds

from geo_core.errors import NotFoundError
from geo_core.replica import reader
from geo_core.scope import Scope
from layers import registry

_TO_MERC = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True)
_TO_LL = Transformer.from_crs("EPSG:3857", "EPSG:4490", always_xy=True)


def points(source: str, lonlat_bounds, scope: Scope, days: int = 7) -> np.ndarray:
    """The points a heat map weighs (registry: a layer's `heat`), within the caller's scope and the bounds."""
    layer = registry.HEAT.get(source)
    if layer is None:
        raise NotFoundError(f"no heat map {source!r}; heat maps: {', '.join(registry.HEAT)}")
    x0, y0, x1, y1 = lonlat_bounds
    sql = f"""SELECT ST_X(src.geom), ST_Y(src.geom) FROM ({layer.heat.sql}) src
              WHERE {layer.visibility.sql("src.enterprise_id", "src.geom")}
                AND src.geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4490)"""
    with reader().cursor() as cur:
        cur.execute(sql, {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "days": days, **scope.params()})
        return np.array(cur.fetchall(), dtype=float).reshape(-1, 2)


def density(x: np.ndarray, y: np.ndarray, bounds, size: int, sigma_px: float) -> np.ndarray:
    """Kernel density on a size x size grid over `bounds` (same units as x, y); rows north to south."""
    x0, y0, x1, y1 = bounds
    counts, _, _ = np.histogram2d(y, x, bins=size, range=[[y0, y1], [x0, x1]])
    counts = counts[::-1]  # north up
    if sigma_px <= 0 or not counts.any():
        return counts
    radius = max(1, int(3 * sigma_px))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_px) ** 2)
    k /= k.sum()
    out = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 1, counts)
    return np.apply_along_axis(lambda c: np.convolve(c, k, mode="same"), 0, out)


def colour(d: np.ndarray, peak: float | None = None) -> np.ndarray:
    """RGBA: transparent where nothing is, then yellow -> orange -> red with rising opacity."""
    peak = peak or float(d.max()) or 1.0
    v = np.clip(d / peak, 0, 1)
    rgba = np.zeros((4, *d.shape), dtype=np.uint8)
    rgba[0] = 255
    rgba[1] = (255 * (1 - v) ** 0.8).astype(np.uint8)
    rgba[2] = 0
    rgba[3] = np.where(v > 0.02, (60 + 195 * np.sqrt(v)).astype(np.uint8), 0)
    return rgba


def png_tile(source: str, merc_bounds, scope, bandwidth_m: float = 150.0, days: int = 7) -> bytes:
    """A 256-pixel Web Mercator PNG tile; points are taken from the tile widened by three kernel widths."""
    x0, y0, x1, y1 = merc_bounds
    pad = 3 * bandwidth_m
    lon0, lat0 = _TO_LL.transform(x0 - pad, y0 - pad)
    lon1, lat1 = _TO_LL.transform(x1 + pad, y1 + pad)
    pts = points(source, (lon0, lat0, lon1, lat1), scope, days)
    size = 256
    pixel = (x1 - x0) / size
    if len(pts):
        mx, my = _TO_MERC.transform(pts[:, 0], pts[:, 1])
    else:
        mx = my = np.empty(0)
    # Density over the padded window, then the tile's own pixels cut out of it.
    extra = int(np.ceil(pad / pixel))
    grid = density(
        np.asarray(mx),
        np.asarray(my),
        (x0 - extra * pixel, y0 - extra * pixel, x1 + extra * pixel, y1 + extra * pixel),
        size + 2 * extra,
        bandwidth_m / pixel,
    )
    d = grid[extra : extra + size, extra : extra + size]
    peak = max(float(d.max()), 0.5 / (2 * np.pi * (bandwidth_m / pixel) ** 2) * 4)  # a lone point stays faint
    with warnings.catch_warnings(), MemoryFile() as mem:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with mem.open(driver="PNG", width=size, height=size, count=4, dtype="uint8") as dst:
            dst.write(colour(d, peak))
        return mem.read()


def geotiff(source: str, bounds, resolution_deg: float, scope, bandwidth_m: float = 150.0, days: int = 7) -> bytes:
    """Density (points per km2) over a lon/lat box as a Cloud-Optimized GeoTIFF in EPSG:4490."""
    x0, y0, x1, y1 = bounds
    width, height = int(np.ceil((x1 - x0) / resolution_deg)), int(np.ceil((y1 - y0) / resolution_deg))
    if width * height > 4096 * 4096:
        raise ValueError("the raster would exceed 4096 x 4096 pixels; use a coarser resolution or a smaller box")
    pts = points(source, bounds, scope, days)
    metres_per_px = resolution_deg * 111_320 * np.cos(np.radians((y0 + y1) / 2))
    side = max(width, height)
    d = density(
        pts[:, 0],
        pts[:, 1],
        (x0, y0, x0 + side * resolution_deg, y0 + side * resolution_deg),
        side,
        bandwidth_m / metres_per_px,
    )[side - height :, :width]
    per_km2 = d / (metres_per_px**2 / 1e6)
    with MemoryFile() as mem:
        with mem.open(
            driver="COG",
            width=width,
            height=height,
            count=1,
            dtype="float32",
            crs="EPSG:4490",
            transform=from_bounds(x0, y0, x0 + width * resolution_deg, y0 + height * resolution_deg, width, height),
            compress="deflate",
        ) as dst:
            dst.write(per_km2.astype(np.float32), 1)
            dst.update_tags(source=source, units="points per km2", bandwidth_m=str(bandwidth_m))
        return mem.read()
