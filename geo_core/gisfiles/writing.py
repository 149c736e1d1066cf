"""Rows out as the files people open: GeoPackage, Shapefile (zipped), KML, FlatGeobuf, CSV, XLSX and GPX, all
written by GDAL (pyogrio's array writer: no row-by-row Python) in CGCS2000, WGS84 or Shanghai 2000.

Columns are numpy arrays; geometries WKB in CGCS2000 lon/lat, converted here at once when another system is asked
for. KML and GPX are WGS84 by their specifications, whatever was asked. CSV carries a byte-order mark so a
spreadsheet opens its Chinese right; points get X/Y columns, other geometries WKT."""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pyogrio.raw
import pyproj
import shapely

from coord_transform import sh2000
from coord_transform.core import transform
from geo_core.errors import BadRequestError


@dataclass(frozen=True)
class Format:
    key: str
    driver: str
    media_type: str
    suffix: str
    spatial: bool = True
    fixed_crs: str | None = None  # the only system the format allows


FORMATS = {
    f.key: f
    for f in (
        Format("gpkg", "GPKG", "application/geopackage+sqlite3", ".gpkg"),
        Format("shp", "ESRI Shapefile", "application/zip", ".zip"),
        Format("kml", "LIBKML", "application/vnd.google-earth.kml+xml", ".kml", fixed_crs="wgs84"),
        Format("fgb", "FlatGeobuf", "application/flatgeobuf", ".fgb"),
        Format("csv", "CSV", "text/csv; charset=utf-8", ".csv"),
        Format("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", False),
        Format("gpx", "GPX", "application/gpx+xml", ".gpx", fixed_crs="wgs84"),
    )
}
# f= of the OGC items (GeoJSON, or a file for GIS desktops and spreadsheets) and of a track
FEATURE_FORMATS = ("json", "gpkg", "shp", "kml", "fgb", "csv", "xlsx")
TRACK_FORMATS = ("gpx", "kml", "gpkg")
# Output systems by their short names and the URIs OGC API clients use.
SYSTEMS = {
    "cgcs2000": "cgcs2000",
    "http://www.opengis.net/def/crs/EPSG/0/4490": "cgcs2000",
    "wgs84": "wgs84",
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84": "wgs84",
    "http://www.opengis.net/def/crs/EPSG/0/4326": "wgs84",
    "sh2000": "sh2000",
}


def system(value: str | None) -> str:
    """The output system a request names (default CGCS2000); ValueError names the known ones."""
    if not value:
        return "cgcs2000"
    key = value.strip().strip("[]<>")
    if key.lower() in SYSTEMS:
        return SYSTEMS[key.lower()]
    if key in SYSTEMS:
        return SYSTEMS[key]
    raise ValueError(f"{value!r} is not offered for files; use cgcs2000, wgs84 or sh2000 (or their OGC URIs)")


def crs_wkt(name: str) -> str:
    if name == "sh2000":
        d = sh2000.definition()
        return pyproj.CRS.from_proj4(d.proj).to_wkt()
    return pyproj.CRS.from_epsg(4326 if name == "wgs84" else 4490).to_wkt()


def reproject(wkb: np.ndarray, name: str) -> np.ndarray:
    """CGCS2000 WKB -> WKB in `name`, every vertex at once. Shanghai 2000 is written east-first as GIS files are
    (the registry's north-first order swapped back), with its definition as the file's CRS."""
    if name in ("cgcs2000", "wgs84") or len(wkb) == 0:
        return wkb  # WGS84 and CGCS2000 differ by centimetres: the numbers are the same
    geoms = shapely.from_wkb(wkb)
    coords = shapely.get_coordinates(geoms)
    if len(coords) == 0:
        return wkb
    north, east, _, _ = transform(coords[:, 0], coords[:, 1], "cgcs2000", "sh2000")
    out = shapely.set_coordinates(geoms, np.column_stack([east, north]))
    return shapely.to_wkb(out)


@dataclass
class Table:
    """What to write: named columns (numpy arrays, object arrays for text and times) and WKB geometries."""

    layer: str
    columns: dict[str, np.ndarray]
    wkb: np.ndarray | None = None
    geometry_type: str | None = None


def rows_table(name: str, columns: list[tuple[str, str]], rows: list[dict], english: bool) -> Table:
    """A list's rows as a table of its columns (key, Chinese label), headed in Chinese or, `english`, by key."""
    cols = {(key if english else label): np.array([r.get(key) for r in rows], dtype=object) for key, label in columns}
    return Table(name, cols)


LIST_FORMATS = ("csv", "xlsx")  # a list (alarms, equipment ...) as a file: f=csv|xlsx


def list_format(value: str | None) -> str | None:
    """f=csv|xlsx asks for a list as a file (monthly reports); absent or json, the JSON page."""
    f = value or "json"
    if f == "json":
        return None
    if f not in LIST_FORMATS:
        raise BadRequestError(f"f: {f[:40]!r} is not offered; use json, {', '.join(LIST_FORMATS)}")
    return f


# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV Injection"): a name sent as
# =HYPERLINK(...) would run when a supervisor opens the file. Such text is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width forms


def inert(value):
    """A text value a spreadsheet shows as text (OWASP's neutralisation); anything else as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


SHANGHAI = ZoneInfo("Asia/Shanghai")
TZ_SHANGHAI = 100 + 8 * 4  # GDAL's TZFlag: 100 is UTC, each step 15 minutes east


def _prepare(
    columns: dict[str, np.ndarray], text_times: bool, utc: bool = False, spreadsheet_text: bool = False
) -> tuple[list, list[str], list, dict[str, np.ndarray]]:
    """(field data, names, null masks, time zone flags): numbers with gaps get a mask, times go out as Asia/Shanghai
    local time marked +08:00 (what people in China read; GeoPackage, whose standard wants UTC, in UTC), lists and
    mappings as JSON text; with `spreadsheet_text` (CSV), text that would start a formula made inert."""
    data, names, masks, zones = [], [], [], {}
    zone, flag, shift = (UTC, 100, 0) if utc else (SHANGHAI, TZ_SHANGHAI, 8)
    for name, values in columns.items():
        arr = np.asarray(values)
        mask = None
        if arr.dtype.kind == "M":  # numpy times are UTC
            arr = arr.astype("datetime64[ms]") + np.timedelta64(shift, "h")
            if text_times:
                arr = np.array([str(v).replace("T", " ")[:19] + "+08:00" for v in arr], dtype=object)
            else:
                zones[name] = np.full(len(arr), flag, dtype=np.int32)
        elif arr.dtype == object:
            missing = np.array([v is None for v in arr], dtype=bool)
            sample = next((v for v in arr if v is not None), None)
            if isinstance(sample, datetime) and text_times:  # ISO 8601, not GDAL's 2026/11/26 text
                arr = np.array(
                    [None if v is None else v.astimezone(SHANGHAI).isoformat(" ", "seconds") for v in arr], dtype=object
                )
            elif isinstance(sample, datetime):
                local = [
                    np.datetime64(v.astimezone(zone).replace(tzinfo=None), "ms")
                    if v is not None
                    else np.datetime64("NaT")
                    for v in arr
                ]
                arr = np.array(local, dtype="datetime64[ms]")
                zones[name] = np.full(len(arr), flag, dtype=np.int32)
                mask = missing if missing.any() else None
            elif isinstance(sample, bool):
                arr = np.array([bool(v) for v in arr], dtype=bool)
                mask = missing if missing.any() else None
            elif isinstance(sample, (int, float)) and not isinstance(sample, bool):
                arr = np.array(
                    [0 if v is None else v for v in arr], dtype=np.int64 if isinstance(sample, int) else np.float64
                )
                mask = missing if missing.any() else None
            elif isinstance(sample, (list, dict, tuple)):
                arr = np.array([None if v is None else orjson.dumps(v).decode() for v in arr], dtype=object)
            elif sample is not None and not isinstance(sample, str):
                arr = np.array([None if v is None else str(v) for v in arr], dtype=object)
            if spreadsheet_text and arr.dtype == object:
                arr = np.array([inert(v) for v in arr], dtype=object)
        data.append(arr)
        names.append(name)
        masks.append(mask)
    return data, names, masks, zones


def _write_layer(path: Path, t: Table, fmt: Format, crs: str, append: bool) -> None:
    data, names, masks, zones = _prepare(
        t.columns, text_times=fmt.key == "csv", utc=fmt.key == "gpkg", spreadsheet_text=fmt.key == "csv"
    )
    opts: dict[str, object] = {}
    geometry = None if t.wkb is None or not fmt.spatial else reproject(t.wkb, crs)
    if fmt.key == "csv":
        opts = {"WRITE_BOM": "YES"}
        if geometry is not None:
            opts["GEOMETRY"] = "AS_XY" if t.geometry_type == "Point" else "AS_WKT"
    if fmt.key == "fgb":
        opts = {"SPATIAL_INDEX": "YES"}
    pyogrio.raw.write(
        str(path),
        geometry,
        data,
        names,
        field_mask=masks if any(m is not None for m in masks) else None,
        layer=t.layer,
        driver=fmt.driver,
        geometry_type=(t.geometry_type or "Unknown") if geometry is not None else None,
        crs=crs_wkt(crs) if geometry is not None else None,
        encoding="UTF-8" if fmt.key == "shp" else None,
        append=append,
        layer_options=opts or None,
        promote_to_multi=False,
        gdal_tz_offsets=zones or None,
    )


def safe_name(name: str) -> str:
    """A layer or file name from text that may come from outside (a person's id): letters (Chinese included),
    digits, '-', '_' and '.', nothing else, never empty; GDAL refuses `"`, `\\`, `<` and `/` in a KML layer's
    name, and a line break would end a Content-Disposition header."""
    return re.sub(r"[^\w.-]", "_", name).strip("._")[:100] or "export"


def write(tables: list[Table], fmt_key: str, crs: str = "cgcs2000", folder: Path | None = None) -> Path:
    """Write tables (one layer each; formats of one layer take the first) and return the file's path. A write that
    fails leaves no folder behind."""
    fmt = FORMATS[fmt_key]
    crs = fmt.fixed_crs or crs
    own = folder is None
    folder = Path(folder or tempfile.mkdtemp(prefix="export-"))
    try:
        return _write(tables, fmt, crs, folder)
    except BaseException:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _write(tables: list[Table], fmt: Format, crs: str, folder: Path) -> Path:
    tables = [Table(safe_name(t.layer), t.columns, t.wkb, t.geometry_type) for t in tables]
    stem = tables[0].layer
    path = folder / (stem + (".shp" if fmt.key == "shp" else fmt.suffix))
    layers = tables if fmt.key in ("gpkg", "xlsx") else tables[:1]
    for i, t in enumerate(layers):
        with warnings.catch_warnings():  # GDAL's notes that a Shapefile's field names were cut to 10 characters
            warnings.simplefilter("ignore", RuntimeWarning)
            _write_layer(path, t, fmt, crs, append=i > 0)
    if fmt.key == "shp":
        archive = folder / f"{stem}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for part in sorted(folder.glob(f"{stem}.*")):
                if part.suffix != ".zip":
                    z.write(part, part.name)
        return archive
    return path


def response(path: Path, fmt_key: str, stem: str):
    """The written file as a download; its temporary folder goes as soon as the file is open."""
    from django.http import FileResponse

    fmt = FORMATS[fmt_key]
    handle = path.open("rb")
    shutil.rmtree(path.parent, ignore_errors=True)  # the open handle keeps the data until it is sent
    return FileResponse(
        handle, as_attachment=True, filename=f"{safe_name(stem)}{fmt.suffix}", content_type=fmt.media_type
    )
