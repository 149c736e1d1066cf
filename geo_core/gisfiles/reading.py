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
    ".shp": "ESRI Shapefile",
    ".zip": "zipped",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".kml": "KML",
    ".kmz": "KMZ",
    ".dxf": "DXF",
    ".csv": "CSV",
}
# The only GDAL drivers that may open a file of each format. GDAL otherwise picks the driver from the content, and
# an OGR VRT or GDALG document named .geojson reads any file the process can read and fetches URLs (issue 24).
DRIVERS = {
    "ESRI Shapefile": ("ESRI Shapefile",),
    "GPKG": ("GPKG",),
    "GeoJSON": ("GeoJSON",),
    "FlatGeobuf": ("FlatGeobuf",),
    "KML": ("LIBKML", "KML"),
    "KMZ": ("LIBKML",),
    "DXF": ("DXF",),
    "CSV": ("CSV",),
}
ZIP_RATIO = 500  # a member expanding more than this is a bomb (GIS data deflates 5- to 300-fold; zeros 1000-fold)
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
    encoding_note: str = ""  # how the text's encoding was chosen, when the file did not say

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
        raise FileError(
            f"{path.name}: {suffix or 'no extension'} is not a format read here; known: {', '.join(sorted(FORMATS))}"
        )
    return FORMATS[suffix]


def _zip_members(path: Path, max_expanded: int | None) -> list[str]:
    """The members of an uploaded zip, refused whole when one names a place outside the archive (absolute, `..`,
    a GDAL virtual path) or the archive would expand past `max_expanded` bytes or by more than ZIP_RATIO."""
    try:
        infos = zipfile.ZipFile(path).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileError(f"{path.name}: not a zip archive") from None
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").lower().split("/")
        if not parts[0] or ".." in parts or any(p.startswith("vsi") for p in parts) or any(ord(c) < 32 for c in name):
            raise FileError(f"{path.name}: member {name[:80]!r} names a place outside the archive")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > ZIP_RATIO and info.file_size > 1 << 20:
            raise FileError(
                f"{path.name}: member {name[:80]!r} expands {info.file_size // info.compress_size}-fold; "
                f"at most {ZIP_RATIO}-fold"
            )
    if max_expanded is not None and total > max_expanded:
        raise FileError(f"{path.name}: expands to {total // (1 << 20)} MB; at most {max_expanded // (1 << 20)} MB")
    return [i.filename for i in infos]


def declared_format(path: str | Path, max_expanded: int | None = None) -> str:
    """The format a file declares by its name (a zip: by the one GIS file inside), without GDAL opening it: the
    format that chooses the only drivers allowed to read it."""
    path = Path(path)
    kind = _kind(path)
    return _zip_target(path, max_expanded)[1] if kind == "zipped" else kind


def _zip_target(path: Path, max_expanded: int | None = None) -> tuple[str, str]:
    """The GDAL path of the dataset inside a zip (a Shapefile, or a GeoPackage/GeoJSON/KML sent zipped)."""
    names = _zip_members(path, max_expanded)
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


def _quiet(exc: Exception, source: str) -> str:
    """GDAL's message without the server's folders (a refusal names the file, never /tmp/import-...)."""
    text = str(exc)[:300]
    folder = str(Path(source.removeprefix("/vsizip/")).parent)
    for prefix in ("/vsizip/", folder + "/", folder):
        text = text.replace(prefix, "")
    return text


def _layers(source: str, name: str, kind: str) -> list[str]:
    """The file's layers, once GDAL has shown it opens the file with a driver allowed for its declared format."""
    try:
        driver = pyogrio.read_info(source)["driver"]
        layers = [str(n) for n, _ in pyogrio.list_layers(source)]
    except (DataSourceError, DataLayerError) as exc:
        raise FileError(f"{name}: cannot be read as {kind}: {_quiet(exc, source)}") from None
    if driver not in DRIVERS[kind]:
        raise FileError(f"{name}: named as {kind} but its content is {driver}; only {kind} is read from it")
    return layers


def _limit(n: int, max_rows: int | None, name: str) -> None:
    if max_rows is not None and n > max_rows:
        raise FileError(f"{name}: holds more than {max_rows} features; split it (GEO_IMPORT_MAX_ROWS)")


def _shapefile_encoding(source: str, path: Path, encoding: str | None) -> tuple[str | None, str]:
    """(encoding, note) for a Shapefile. One without a .cpg (most Chinese ones) would be read as Latin-1 and its
    names stored as mojibake: its text is tried as UTF-8, then as GB18030 (GBK's superset), and the report says so."""
    if encoding or _has_sidecar(source, ".cpg"):
        return encoding, ""
    for candidate in ("UTF-8", "GB18030"):
        try:
            pyogrio.raw.read(source, encoding=candidate, read_geometry=False)
        except UnicodeDecodeError:
            continue
        except (DataSourceError, DataLayerError):
            return None, ""
        if candidate == "UTF-8":
            return candidate, ""
        return candidate, f"{path.name} names no encoding (.cpg) and its text is not UTF-8: read as GB18030 (GBK)"
    raise FileError(
        f"{path.name}: names no encoding (.cpg) and its text is neither UTF-8 nor GBK; name it with --encoding"
    )


def _has_sidecar(source: str, suffix: str) -> bool:
    """Whether a Shapefile has the sidecar file `suffix` beside it (in its folder or its zip)."""
    stem = source.rsplit(".", 1)[0]
    if source.startswith("/vsizip/"):
        inside = source.removeprefix("/vsizip/")
        cut = inside.lower().index(".zip/") + 4  # the archive's own name may be .ZIP
        archive, inner = inside[:cut], inside[cut + 1 :]
        names = {n.lower() for n in zipfile.ZipFile(archive).namelist()}
        return (inner.rsplit(".", 1)[0] + suffix).lower() in names
    return any(Path(stem + s).is_file() for s in (suffix, suffix.upper()))


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


def _csv(source: str, path: Path, layer: str, encoding: str | None, max_rows: int | None) -> Table:
    try:
        meta, _, _, data = pyogrio.raw.read(
            source, read_geometry=False, encoding=encoding, max_features=None if max_rows is None else max_rows + 1
        )
    except (DataSourceError, DataLayerError) as exc:
        raise FileError(f"{path.name}: cannot be read as CSV: {_quiet(exc, source)}") from None
    except UnicodeDecodeError as exc:
        raise FileError(
            f"{path.name}: text is not {encoding or 'UTF-8'} ({exc.reason}); name it with --encoding"
        ) from None
    columns = [str(c) for c in meta["fields"]]
    table = {c: _column_values(v, t) for c, v, t in zip(columns, data, meta["ogr_types"], strict=True)}
    n = len(next(iter(table.values()))) if table else 0
    _limit(n, max_rows, path.name)
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


def read(
    path: str | Path,
    layer: str | None = None,
    encoding: str | None = None,
    *,
    max_rows: int | None = None,
    max_expanded: int | None = None,
) -> Table:
    """Read one layer of a file. A file of several layers needs `layer` (KML folders are read together). Only the
    drivers of the format the file's name declares may open it; a file holding more than `max_rows` features, a zip
    expanding past `max_expanded` bytes, or a file of no features is refused as a whole."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"{path.name}: no such file")
    kind = _kind(path)
    source = str(path)
    if kind == "zipped":
        source, kind = _zip_target(path, max_expanded)
    if kind == "CSV":
        table = _csv(source, path, _pick_layer(_layers(source, path.name, kind), layer, path.name), encoding, max_rows)
        return _not_empty(table)
    layers = _layers(source, f"{path.name} ({kind})", kind)
    note = ""
    if kind == "ESRI Shapefile":
        encoding, note = _shapefile_encoding(source, path, encoding)
    if kind == "KMZ":
        kind = "KML"  # GDAL's LIBKML driver reads the archive itself
    wanted = layers if kind == "KML" and layer is None else [_pick_layer(layers, layer, path.name)]
    columns: dict[str, list] = {}
    geoms: list = []
    declared = None
    for name in wanted:
        room = None if max_rows is None else max_rows + 1 - len(geoms)
        try:
            meta, _, wkb, data = pyogrio.raw.read(
                source, layer=name, encoding=encoding, force_2d=True, max_features=room
            )
        except (DataSourceError, DataLayerError) as exc:
            raise FileError(f"{path.name}: layer {name}: cannot be read: {_quiet(exc, source)}") from None
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
        _limit(len(geoms), max_rows, path.name)
    if kind == "KML":
        declared = declared or "EPSG:4326"
    table = Table(columns, geoms, str(path), kind, layer or ",".join(wanted), declared, True)
    table.encoding_note = note
    return _not_empty(table)


def _not_empty(table: Table) -> Table:
    """A file from which no feature was read is refused, never reported as done (a 200 MB single line, a GeoJSON
    with no features array)."""
    if table.size == 0:
        raise FileError(f"{Path(table.path).name}: no features could be read from it")
    return table
