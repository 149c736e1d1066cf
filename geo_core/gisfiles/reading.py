"""One GIS file as rows: attributes as plain Python values, geometries as shapely, and what the file says of its
coordinate system. GDAL (through pyogrio) reads every format; CSV is read as text and its coordinate columns parsed
here, so a bad number is reported for its row and field rather than silently becoming an empty point."""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
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
    columns: dict[str, list]  # attributes by the file's column names, a list of values each, one per row
    geoms: list  # shapely geometry or None, one per row
    path: str
    format: str
    layer: str
    declared_crs: str | None  # WKT, when the file says
    east_first: bool  # the format's habit when it does not (GIS and CAD: east on x; surveyors' tables: north on x)
    problems: dict[int, str] = field(default_factory=dict)  # row -> why its geometry could not be read

    @property
    def size(self) -> int:
        return len(self.geoms)

    @cached_property
    def rows(self) -> list[dict]:
        """The attributes row by row (for templates that combine columns)."""
        names = list(self.columns)
        if not names:
            return [{} for _ in range(self.size)]
        return [dict(zip(names, vals, strict=True)) for vals in zip(*self.columns.values(), strict=True)]


def _column_values(values: np.ndarray, ogr_type: str) -> list:
    """A column as plain Python values, None for missing: GDAL gives integer columns with gaps as floats with NaN,
    and times as numpy datetimes."""
    if values.dtype.kind == "f":
        out = values.tolist()
        if ogr_type in ("OFTInteger", "OFTInteger64"):
            return [None if v != v else int(v) for v in out]
        return [None if v != v else v for v in out]
    if values.dtype.kind == "M":
        return [None if v is None else v.replace(tzinfo=None) for v in values.astype("datetime64[us]").tolist()]
    return values.tolist()


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


def _pick_layer(layers: list[str], layer: str | None, name: str) -> str:
    if layer is not None:
        if layer not in layers:
            raise FileError(f"{name}: no layer {layer!r}; layers: {', '.join(layers)}")
        return layer
    if len(layers) == 1:
        return layers[0]
    raise FileError(f"{name}: {len(layers)} layers ({', '.join(layers[:20])}); say which with --layer")


def _layers(source: str, name: str) -> list[str]:
    try:
        return [str(n) for n, _ in pyogrio.list_layers(source)]
    except (DataSourceError, DataLayerError) as exc:
        raise FileError(f"{name}: cannot be read: {str(exc)[:300]}") from None


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
        meta, _, _, data = pyogrio.raw.read(source, read_geometry=False, encoding=encoding)
    except (DataSourceError, DataLayerError) as exc:
        raise FileError(f"{path.name}: cannot be read as CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise FileError(
            f"{path.name}: text is not {encoding or 'UTF-8'} ({exc.reason}); name it with --encoding"
        ) from None
    columns = [str(c) for c in meta["fields"]]
    table = {c: _column_values(v, t) for c, v, t in zip(columns, data, meta["ogr_types"], strict=True)}
    n = len(next(iter(table.values()))) if table else 0
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
    geoms: list = [None] * n
    problems: dict[int, str] = {}
    if wkt is not None:
        for i, text in enumerate(table.pop(wkt)):
            if not text:
                continue
            try:
                geoms[i] = shapely.from_wkt(str(text))
            except shapely.errors.GEOSException as exc:
                problems[i] = f"field {wkt}: not WKT ({str(exc)[:120]})"
        east_first = True
    elif xy is not None:
        cx, cy, east_first = xy
        for i, (a, b) in enumerate(zip(table.pop(cx), table.pop(cy), strict=True)):
            if a is None and b is None:
                continue
            try:
                geoms[i] = shapely.Point(_number(a, i, cx), _number(b, i, cy))
            except ValueError as exc:
                problems[i] = str(exc)
    else:
        east_first = True  # a list without places (enterprises to be placed later, people)
    return Table(table, geoms, str(path), "CSV", layer, None, east_first, problems)


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
        return _csv(source, path, _pick_layer(_layers(source, path.name), layer, path.name), encoding)
    layers = _layers(source, f"{path.name} ({kind})")
    wanted = layers if kind == "KML" and layer is None else [_pick_layer(layers, layer, path.name)]
    columns: dict[str, list] = {}
    geoms: list = []
    declared = None
    for name in wanted:
        try:
            meta, _, wkb, data = pyogrio.raw.read(source, layer=name, encoding=encoding, force_2d=True)
        except (DataSourceError, DataLayerError) as exc:
            raise FileError(f"{path.name}: layer {name}: cannot be read: {str(exc)[:300]}") from None
        except UnicodeDecodeError as exc:
            raise FileError(
                f"{path.name}: layer {name}: text is not {encoding or 'UTF-8'} ({exc.reason}); "
                "name the encoding with --encoding (GBK for most Chinese Shapefiles)"
            ) from None
        declared = declared or meta.get("crs")
        n = len(wkb) if wkb is not None else (len(data[0]) if len(data) else 0)
        part = {str(c): _column_values(v, t) for c, v, t in zip(meta["fields"], data, meta["ogr_types"], strict=True)}
        if kind == "KML" and len(wanted) > 1:
            part.setdefault("folder", [name] * n)
        before = len(geoms)
        for c in part.keys() - columns.keys():  # KML folders may differ in their fields
            columns[c] = [None] * before
        for c, values in columns.items():
            values.extend(part.get(c, [None] * n))
        geoms.extend(shapely.from_wkb(wkb, on_invalid="ignore") if wkb is not None else [None] * n)
    if kind == "KML":
        declared = declared or "EPSG:4326"
    return Table(columns, geoms, str(path), kind, layer or ",".join(wanted), declared, True)
