"""One GIS file as rows: attributes as plain Python values, geometries as shapely, and what the file says of its
coordinate system. GDAL (through pyogrio) reads every format; CSV is read as text and its coordinate columns parsed
here, so a bad number is reported for its row and field rather than silently becoming an empty point."""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

FORMATS = {
    ".shp": "ESRI Shapefile", ".zip": "zipped", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
    ".fgb": "FlatGeobuf", ".kml": "KML", ".kmz": "KMZ", ".dxf": "DXF", ".csv": "CSV",
}  # fmt: skip
# Column names people give coordinates, in the order they are tried (case-insensitive).
LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "东经")
LAT_NAMES = ("lat", "latitude", "纬度", "北纬")
EAST_NAMES = ("east", "easting", "e", "东坐标", "y坐标")  # surveyors' y is east
NORTH_NAMES = ("north", "northing", "n", "北坐标", "x坐标")
X_NAMES = ("x",)
Y_NAMES = ("y",)
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape")


class FileError(ValueError):
    """The file as a whole cannot be read (the run is refused; nothing is written)."""


@dataclass
class Table:
    rows: list[dict]  # attributes, by the file's column names
    geoms: list  # shapely geometry or None, one per row
    path: str
    format: str
    layer: str
    declared_crs: str | None  # WKT, when the file says
    east_first: bool  # the format's habit when it does not (GIS and CAD: east on x; surveyors' tables: north on x)
    problems: dict[int, str] = field(default_factory=dict)  # row -> why its geometry could not be read


def _plain(value):
    """A pandas/numpy value as plain Python (None for missing)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if isinstance(value, (datetime, date, str, int, float, bool)):
        return value
    return str(value)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise FileError(f"{path.name}: {suffix or 'no extension'} is not a format read here; "
                        f"known: {', '.join(sorted(FORMATS))}")  # fmt: skip
    return FORMATS[suffix]


def _zip_target(path: Path) -> tuple[str, str]:
    """The GDAL path of the dataset inside a zip (a Shapefile, or a GeoPackage/GeoJSON/KML sent zipped)."""
    try:
        names = zipfile.ZipFile(path).namelist()
    except zipfile.BadZipFile:
        raise FileError(f"{path.name}: not a zip archive") from None
    for suffix in (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".dxf", ".csv"):
        inside = sorted(n for n in names if n.lower().endswith(suffix) and not n.startswith("__MACOSX"))
        if len(inside) == 1:
            return f"/vsizip/{path}/{inside[0]}", FORMATS[suffix]
        if len(inside) > 1:
            raise FileError(f"{path.name}: holds {len(inside)} {suffix} files ({', '.join(inside[:5])}); zip one")
    raise FileError(f"{path.name}: holds no Shapefile or other GIS file")


def _pick_layer(source: str, layer: str | None, name: str) -> str:
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(source)]
    except (DataSourceError, DataLayerError) as exc:
        raise FileError(f"{name}: cannot be read: {exc}") from None
    if layer is not None:
        if layer not in layers:
            raise FileError(f"{name}: no layer {layer!r}; layers: {', '.join(layers)}")
        return layer
    if len(layers) == 1:
        return layers[0]
    raise FileError(f"{name}: {len(layers)} layers ({', '.join(layers[:20])}); say which with --layer")


def _column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def _number(value, row: int, col: str) -> float:
    try:
        v = float(str(value).strip())
    except ValueError:
        raise ValueError(f"field {col}: {value!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"field {col}: {value!r} is not a finite number")
    return v


def _csv(source: str, path: Path, layer: str, encoding: str | None) -> Table:
    try:
        df = pyogrio.read_dataframe(source, read_geometry=False, encoding=encoding)
    except (DataSourceError, DataLayerError) as exc:
        raise FileError(f"{path.name}: cannot be read as CSV: {exc}") from None
    columns = [str(c) for c in df.columns]
    rows = [{c: _plain(v) for c, v in zip(columns, values, strict=True)} for values in df.itertuples(index=False)]
    wkt = _column(columns, WKT_NAMES)
    pairs = [
        (LON_NAMES, LAT_NAMES, True),
        (EAST_NAMES, NORTH_NAMES, True),
        (NORTH_NAMES, EAST_NAMES, False),
        (X_NAMES, Y_NAMES, False),  # surveyors' x is north, unless detection finds otherwise
    ]
    xy = None
    for xs, ys, east_first in pairs:
        cx, cy = _column(columns, xs), _column(columns, ys)
        if cx and cy:
            xy = (cx, cy, east_first)
            break
    geoms: list = [None] * len(rows)
    problems: dict[int, str] = {}
    if wkt is not None:
        for i, r in enumerate(rows):
            text = r.pop(wkt)
            if not text:
                continue
            try:
                geoms[i] = shapely.from_wkt(str(text))
            except shapely.errors.GEOSException as exc:
                problems[i] = f"field {wkt}: not WKT ({str(exc)[:120]})"
        east_first = True
    elif xy is not None:
        cx, cy, east_first = xy
        for i, r in enumerate(rows):
            a, b = r.pop(cx), r.pop(cy)
            if a is None and b is None:
                continue
            try:
                geoms[i] = shapely.Point(_number(a, i, cx), _number(b, i, cy))
            except ValueError as exc:
                problems[i] = str(exc)
    else:
        east_first = True  # a list without places (enterprises to be placed later, people)
    return Table(rows, geoms, str(path), "CSV", layer, None, east_first, problems)


def read(path: str | Path, layer: str | None = None, encoding: str | None = None) -> Table:
    """Read one layer of a file. A file of several layers needs `layer` (KML folders are read together)."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"{path}: no such file")
    kind = _kind(path)
    source = str(path)
    if kind == "zipped":
        source, kind = _zip_target(path)
    elif kind == "KMZ":
        kind = "KML"  # GDAL's LIBKML driver reads the archive itself
    if kind == "CSV":
        return _csv(source, path, _pick_layer(source, layer, path.name), encoding)
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(source)]
    except (DataSourceError, DataLayerError) as exc:
        raise FileError(f"{path.name}: cannot be read as {kind}: {str(exc)[:300]}") from None
    wanted = layers if kind == "KML" and layer is None else [_pick_layer(source, layer, path.name)]
    rows: list[dict] = []
    geoms: list = []
    declared = None
    for name in wanted:
        try:
            info = pyogrio.read_info(source, layer=name, encoding=encoding)
            df = pyogrio.read_dataframe(source, layer=name, encoding=encoding)
        except (DataSourceError, DataLayerError) as exc:
            raise FileError(f"{path.name}: layer {name}: cannot be read: {str(exc)[:300]}") from None
        except UnicodeDecodeError as exc:
            raise FileError(
                f"{path.name}: layer {name}: text is not {encoding or 'UTF-8'} ({exc.reason}); "
                "name the encoding with --encoding (GBK for most Chinese Shapefiles)"
            ) from None
        declared = declared or info.get("crs")
        columns = [str(c) for c in df.columns if c != "geometry"]
        values = df[columns].itertuples(index=False) if columns else ([] for _ in range(len(df)))
        for vals, geom in zip(values, df.geometry.values if "geometry" in df else [None] * len(df), strict=True):
            row = {c: _plain(v) for c, v in zip(columns, vals, strict=True)}
            if kind == "KML" and len(wanted) > 1:
                row.setdefault("folder", name)
            rows.append(row)
            geoms.append(None if geom is None else shapely.force_2d(geom))
    if kind == "KML":
        declared = declared or "EPSG:4326"
    return Table(rows, geoms, str(path), kind, layer or ",".join(wanted), declared, True)
