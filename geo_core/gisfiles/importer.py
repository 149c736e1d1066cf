"""Import one GIS file as zones, sites, enterprises, regions, subjects or special equipment (STO-5), the same run
for the command line (`manage.py import_features`) and the upload endpoint.

The run: read the file; find its coordinate system (named by the user, declared by the file, or detected from
the numbers and checked against the regions the service knows); convert every vertex to CGCS2000 at once; turn each
row into a record, repairing invalid geometry and saying what was repaired; then write everything in one
transaction, matching existing records by the target's key so a second run of the same file changes nothing.

A row that cannot become a record is refused with its field and reason and the others go in; a file that cannot be
read, or whose coordinate system cannot be told, refuses the whole run and nothing is written. The audit trail
names the file, the target and the user; the tables' change notifications reach the tile caches and the alarm
engine as for any edit.
"""

from __future__ import annotations

import gc
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import psycopg
import shapely
from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from coord_transform import detect
from coord_transform.core import invalid as invalid_points
from coord_transform.core import transform
from coord_transform.crs import resolve
from coord_transform.errors import TransformError
from geo_core import audit
from geo_core.gisfiles import reading, targets
from geo_core.gisfiles.reading import FileError, Table
from geo_core.gisfiles.targets import RowError, Target
from geo_core.models import Enterprise, MaintenanceUnit, Region
from geo_core.validation import MAX_FENCE_VERTICES

log = logging.getLogger(__name__)
BATCH = 500
COPY_BATCH = 5000  # rows per COPY (a refused COPY goes again row by row)
COPY_SLICE = 500
SAMPLE = 400  # vertices used to tell a coordinate system
MAX_VERTICES = MAX_FENCE_VERTICES  # per feature, as the zones API and the report feed cap a fence
Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class Outcome:
    row: int  # 1-based feature number in the file
    action: str  # created, updated, unchanged, refused
    id: int | None = None
    key: str = ""
    repaired: str | None = None
    field: str | None = None
    reason: str | None = None


@dataclass
class Report:
    file: str
    target: str
    format: str = ""
    layer: str = ""
    crs: str = ""
    crs_reason: str = ""
    crs_tried: list[dict] = field(default_factory=list)
    dry_run: bool = False
    refused: str | None = None  # why the whole run was refused
    notes: list[str] = field(default_factory=list)  # what was decided for the file that it did not say
    counts: dict[str, int] = field(default_factory=dict)
    features: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        out = asdict(self)
        out["features"] = [{k: v for k, v in f.items() if v not in (None, "")} for f in out["features"]]
        return out

    def count(self) -> None:
        self.counts = {a: 0 for a in ("created", "updated", "unchanged", "refused", "repaired")}
        for o in self.features:
            self.counts[o.action] += 1
            self.counts["repaired"] += o.repaired is not None


@dataclass
class Mapping:
    fields: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None) -> Mapping:
        if path is None:
            return cls()
        import tomllib

        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise FileError(f"mapping {path}: {exc}") from None
        unknown = set(data) - {"fields", "values", "defaults"}
        if unknown:
            raise FileError(f"mapping {path}: unknown sections {sorted(unknown)}; known: fields, values, defaults")
        for section in ("fields", "values", "defaults"):
            if not isinstance(data.get(section, {}), dict):
                raise FileError(f"mapping {path}: [{section}] is a table of name = value")
        bad = [k for k, v in data.get("values", {}).items() if not isinstance(v, dict)]
        if bad:
            raise FileError(f"mapping {path}: [values.{bad[0]}] is a table of the file's value = ours")
        return cls(
            {k: str(v) for k, v in data.get("fields", {}).items()},
            {k: {str(a): str(b) for a, b in v.items()} for k, v in data.get("values", {}).items()},
            dict(data.get("defaults", {})),
        )


# --- columns ------------------------------------------------------------------------------------------------------


DXF_FIELDS = {"name": "{Layer}-{EntityHandle}", "external_id": "{EntityHandle}"}


def _columns(target: Target, table: Table, mapping: Mapping) -> dict[str, str]:
    """Our field -> the file's column (or a template of columns). A required field with no column and no default
    refuses the run, naming the columns the file has."""
    # Columns that hold something: KML readers give empty Name and id columns beside the file's own fields.
    present = {c.lower(): c for c, values in table.columns.items() if any(v not in (None, "") for v in values)}
    unknown = set(mapping.fields) - set(target.columns)
    if unknown:
        raise FileError(f"mapping: no field {sorted(unknown)} in {target.name}; fields: {', '.join(target.columns)}")
    out: dict[str, str] = {}
    if table.format == "DXF":  # a drawing's entities have a layer and a handle, no names: make them from those
        out = {f: t for f, t in DXF_FIELDS.items() if f in target.columns and f not in mapping.fields}
    for name, col in target.columns.items():
        if name in out:
            continue
        if name in mapping.fields:
            out[name] = mapping.fields[name]
            continue
        for alias in col.names:
            if alias.lower() in present:
                out[name] = present[alias.lower()]
                break
        if name not in out and col.required and name not in mapping.defaults and table.size:
            raise FileError(
                f"no column for {name} (looked for {', '.join(col.names)}); the file has: "
                f"{', '.join(present.values()) or 'no attribute columns'}; name one in a mapping file"
            )
    return out


TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


def _raw(row: dict, column: str):
    """A column's value, or a template's ("{Layer}-{EntityHandle}"): column names in braces, nothing else."""
    if "{" not in column:
        return row.get(column)

    def one(m: re.Match) -> str:
        name = m.group(1)
        if name not in row:
            raise RowError(column, f"template names no column {name!r}")
        return "" if row[name] is None else str(row[name])

    return TEMPLATE_FIELD.sub(one, column)


def _values(
    target: Target, table: Table, columns: dict[str, str], mapping: Mapping, skip: dict
) -> tuple[list[dict], dict[int, RowError]]:
    """Every row's values for the target, a column at a time: the file's column (or template), else the mapping's
    default; the mapping's translation; the column's parser. A row whose value fails is refused with its field."""
    n = table.size
    out: list[dict] = [{} for _ in range(n)]
    errors: dict[int, RowError] = {}
    for name, col in target.columns.items():
        source = columns.get(name)
        default = mapping.defaults.get(name)
        if default is not None and str(default).strip() == "":
            default = None
        translate = mapping.values.get(name)
        parse = col.parse
        if source is None:
            raws = [None] * n
        elif "{" in source:
            raws = []
            for i, row in enumerate(table.rows):
                try:
                    raws.append(_raw(row, source))
                except RowError as e:
                    errors.setdefault(i, e)
                    raws.append(None)
        else:
            raws = table.columns.get(source, [None] * n)
        for i, raw in enumerate(raws):
            if raw is None or (raw.__class__ is str and not raw.strip()):
                if default is None:
                    if col.required and i not in skip:
                        errors.setdefault(i, RowError(name, "required, and empty"))
                    continue
                raw = default
            if translate:
                raw = translate.get(str(raw).strip(), raw)
            try:
                out[i][name] = parse(raw, name)
            except RowError as e:
                errors.setdefault(i, e)
    for i in skip:
        errors.pop(i, None)
    return out, errors


# --- coordinates --------------------------------------------------------------------------------------------------


def _fits(c: detect.Candidate, x: np.ndarray, y: np.ndarray) -> float:
    """Share of sample points the candidate puts inside a known district or city (inside China when none are
    loaded)."""
    a, b = (y, x) if c.swap else (x, y)
    try:
        if invalid_points(a, b, None, c.crs):
            return 0.0
        lon, lat, _, _ = transform(a, b, c.crs, "cgcs2000")
    except TransformError:
        return 0.0
    if not Region.objects.exists():
        return float(np.mean((lon >= 73) & (lon <= 136) & (lat >= 3) & (lat <= 54)))
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM unnest(%s::float8[], %s::float8[]) p(x, y) WHERE EXISTS (SELECT 1 FROM "
            "geo_core_region r WHERE r.level IN ('district', 'city') AND ST_Intersects(r.geom, "
            "ST_SetSRID(ST_MakePoint(p.x, p.y), 4490)))",
            [lon.tolist(), lat.tolist()],
        )
        return cur.fetchone()[0] / len(lon)


def _system(
    table: Table, crs: str | None, axes: str | None, report: Report, refused: dict[int, RowError]
) -> detect.Candidate:
    """The file's coordinate system: named by the user, declared by the file, or detected from its rows as a whole.
    A detected system is the one most rows read as; the rows it cannot read (a typo: lon 521.43) are refused here,
    naming the system the other rows are in."""
    if crs:
        try:
            c = resolve(crs)
        except TransformError as exc:
            raise FileError(f"--crs: {exc}") from None
        swap = c.kind == "sh2000" and table.east_first  # the registry reads Shanghai 2000 north first
        chosen = detect.Candidate(crs, swap, "named by the user")
    elif table.declared_crs:
        try:
            chosen = detect.declared(table.declared_crs)
        except Exception as exc:  # pyproj's CRSError and kin: the file's own definition is unreadable
            raise FileError(f"the file's coordinate system cannot be read ({exc}); name one with --crs") from None
    else:
        placed = [i for i, g in enumerate(table.geoms) if g is not None and i not in refused]
        arr = np.array([table.geoms[i] for i in placed], dtype=object)
        coords = shapely.get_coordinates(arr)
        if len(coords) == 0:
            return detect.Candidate("cgcs2000", False, "no geometry in the file")
        owner = np.repeat(np.array(placed, dtype=np.int64), shapely.get_num_coordinates(arr))
        x, y, rows = coords[:, 0], coords[:, 1], owner
        if len(coords) > SAMPLE * 4:  # every row keeps its first vertex, then a sample of the rest
            first = np.unique(owner, return_index=True)[1]
            pick = np.union1d(first, np.arange(0, len(coords), max(1, len(coords) // SAMPLE)))
            x, y, rows = x[pick], y[pick], rows[pick]

        def fits(c: detect.Candidate) -> float:
            held = c.holds(x, y)
            return _fits(c, x[held], y[held]) if held.any() else 0.0

        chosen, tried = detect.choose(x, y, fits, table.east_first, rows)
        report.crs_tried = [{"crs": c.label, "reason": c.reason, "inside_known_regions": round(s, 3)} for c, s in tried]
        if chosen is None:
            lo, hi = coords.min(axis=0), coords.max(axis=0)
            raise FileError(
                f"the file does not say its coordinate system and its numbers (x {lo[0]:.3f}..{hi[0]:.3f}, "
                f"y {lo[1]:.3f}..{hi[1]:.3f}) fit none tried inside the known regions; name it with --crs "
                "(cgcs2000, wgs84, gcj02, sh2000, EPSG:45xx)"
            )
        held = chosen.holds(coords[:, 0], coords[:, 1])
        outliers = np.unique(owner[~held])
        for i in outliers.tolist():
            first = int(np.flatnonzero((owner == i) & ~held)[0])
            refused[i] = RowError(
                "geometry",
                f"x {coords[first, 0]:.6g}, y {coords[first, 1]:.6g} cannot be "
                f"{chosen.label} like the other {len(placed) - len(outliers)} rows "
                f"({chosen.reason}): a typo, or a row in another system",
            )
        if len(outliers):
            chosen = detect.Candidate(
                chosen.crs,
                chosen.swap,
                chosen.reason + f"; judged from {len(placed)} rows, {len(outliers)} refused as outliers",
                chosen.bounds,
            )
    if axes in ("as-read", "swapped"):
        chosen = detect.Candidate(chosen.crs, axes == "swapped", chosen.reason + f"; axes {axes} as the user said")
    return chosen


def _to_cgcs2000(table: Table, c: detect.Candidate, refused: dict[int, RowError]) -> list:
    """Every vertex converted at once; a row with a vertex the system cannot hold is refused, naming the vertex."""
    geoms = list(table.geoms)

    def gather(rows: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        arr = np.array([geoms[i] for i in rows], dtype=object)
        coords = shapely.get_coordinates(arr)
        owner = np.repeat(np.arange(len(rows)), shapely.get_num_coordinates(arr))
        x, y = (coords[:, 1], coords[:, 0]) if c.swap else (coords[:, 0], coords[:, 1])
        return arr, owner, x, y

    rows = [i for i, g in enumerate(geoms) if g is not None and not g.is_empty and i not in refused]
    if not rows:
        return geoms
    _, owner, x, y = gather(rows)
    for point, (fld, reason) in invalid_points(x, y, None, c.crs).items():
        row = rows[owner[point]]
        vertex = point - int(np.searchsorted(owner, owner[point]))
        refused.setdefault(row, RowError("geometry", f"vertex {vertex}: {fld}: {reason} (read as {c.label})"))
    rows = [i for i in rows if i not in refused]
    if not rows or (c.crs in ("cgcs2000", "wgs84") and not c.swap):
        return geoms  # already CGCS2000 lon/lat (WGS84 differs by centimetres): nothing to convert
    arr, _, x, y = gather(rows)
    lon, lat, _, _ = transform(x, y, c.crs, "cgcs2000")
    out = shapely.set_coordinates(arr.copy(), np.column_stack([lon, lat]))
    for k, i in enumerate(rows):
        geoms[i] = out[k]
    return geoms


# --- geometry ---------------------------------------------------------------------------------------------------


def _polygonal(g) -> shapely.Geometry:
    """An area: polygons as they are, closed lines (a DXF polyline, a KML ring) as the areas they bound."""
    parts = shapely.get_parts(g)
    polys = []
    for p in parts:
        if p.geom_type == "Polygon":
            polys.append(p)
        elif p.geom_type == "MultiPolygon":
            polys.extend(p.geoms)
        elif p.geom_type in ("LineString", "LinearRing") and p.is_closed and shapely.get_num_coordinates(p) >= 4:
            polys.append(shapely.Polygon(p.coords))
        elif p.geom_type == "MultiLineString" or p.geom_type == "GeometryCollection":
            polys.extend(_polygonal(p).geoms)
        else:
            raise RowError("geometry", f"a {p.geom_type} is not an area (a polygon, or a closed line)")
    return shapely.MultiPolygon(polys)


def _shape(target: Target, g) -> tuple[shapely.Geometry | None, str | None]:
    """(geometry fit for the target, what was repaired)."""
    if g is None or g.is_empty:
        if target.geometry_required and target.geometry:
            raise RowError("geometry", "empty: this kind of record needs one")
        return None, None
    if target.geometry == "point":
        if g.geom_type == "MultiPoint" and len(g.geoms) == 1:
            g = g.geoms[0]
        if g.geom_type != "Point":
            raise RowError("geometry", f"a {g.geom_type}; a {target.name[:-1]} is placed by a point")
        return g, None
    g = _polygonal(g)
    repaired = None
    if not g.is_valid:
        why = shapely.is_valid_reason(g)
        fixed = _polygonal(shapely.make_valid(g, method="structure"))
        fixed = shapely.MultiPolygon([p for p in fixed.geoms if p.area > 0])
        if fixed.is_empty or not fixed.is_valid:
            raise RowError("geometry", f"invalid ({why}) and cannot be repaired")
        repaired = f"made valid: {why}"
        g = fixed
    if g.is_empty:
        raise RowError("geometry", "empty after keeping its areas")
    return g, repaired


def _shapes(target: Target, geoms: list, skip: dict) -> tuple[list, dict[int, str], dict[int, RowError]]:
    """Every row's geometry fit for the target, at once: valid polygons (the usual case) pass in a few array
    operations; anything else (points, lines, collections, invalid shapes) goes through `_shape` one by one."""
    out: list = [None] * len(geoms)
    repaired: dict[int, str] = {}
    errors: dict[int, RowError] = {}
    arr = np.array(geoms, dtype=object)
    present = np.array([g is not None for g in geoms], dtype=bool)
    fast = np.zeros(len(geoms), dtype=bool)
    if target.geometry == "polygon" and present.any():
        types = np.full(len(geoms), -1)
        types[present] = shapely.get_type_id(arr[present])
        some = arr[present]
        fast[present] = np.isin(types[present], (3, 6)) & shapely.is_valid(some) & ~shapely.is_empty(some)
        polys = np.flatnonzero(fast & (types == 3))
        if len(polys):
            multi = shapely.multipolygons(arr[polys], indices=np.arange(len(polys)))
            for k, i in enumerate(polys):
                out[i] = multi[k]
        for i in np.flatnonzero(fast & (types == 6)):
            out[i] = arr[i]
    for i in range(len(geoms)):
        if fast[i] or i in skip:
            continue
        try:
            out[i], why = _shape(target, geoms[i])
        except RowError as e:
            errors[i] = e
            continue
        if why:
            repaired[i] = why
    return out, repaired, errors


def _geos(g) -> GEOSGeometry | None:
    return None if g is None else GEOSGeometry(memoryview(shapely.to_wkb(g)), srid=4490)


def _orm_values(values: dict, geom_field: str | None) -> dict:
    """Values for a model instance: geometries (the target's, and any a registered target derives) as GEOS."""
    if any(isinstance(v, shapely.Geometry) for v in values.values()):
        return {f: _geos(v) if isinstance(v, shapely.Geometry) else v for f, v in values.items()}
    return values


# --- records ------------------------------------------------------------------------------------------------------


class _Context:
    """What rows refer to, loaded once: enterprises by code, parks, regions; `cache` for a registered target's own
    look-ups."""

    def __init__(self) -> None:
        self.cache: dict = {}
        rows = list(Enterprise.objects.values_list("company_code", "credit_code", "id"))
        self.enterprises = {c: i for c, _, i in rows}
        self.credits = {u: i for _, u, i in rows}
        self.parks = targets.parks()
        self.regions = dict(Region.objects.values_list("code", "id"))
        self.units = dict(MaintenanceUnit.objects.values_list("name", "id"))


def _record(target: Target, values: dict, geom, ctx: _Context, source: str) -> tuple[tuple, dict]:
    """(key, model field values) for one row."""
    name = target.name
    if target.record is not None:
        key, values = target.record(values, geom, ctx)
    elif name == "zones":
        owner = targets.owner_of(values, ctx.enterprises, ctx.credits, required=False)
        values["enterprise_id"] = owner
        if owner is not None:
            values["authority"] = ""
        elif not values.get("authority"):
            raise RowError("company_code", "a zone belongs to an enterprise (company_code) or an authority")
        values.setdefault("external_id", "")
        key = (
            (owner, values["authority"], "id", values["external_id"])
            if values["external_id"]
            else (owner, values["authority"], "name", values["name"])
        )
    elif name == "sites":
        values["enterprise_id"] = targets.owner_of(values, ctx.enterprises, ctx.credits, required=True)
        key = (values["enterprise_id"], values["name"])
    elif name == "enterprises":
        values.setdefault("company_code", values["credit_code"])
        park = values.pop("park", None)
        if park:
            if park not in ctx.parks:
                raise RowError("park", f"no park {park!r}; parks: {', '.join(ctx.parks) or 'none'}")
            values["park_id"] = ctx.parks[park]
        key = (values["credit_code"],)
    elif name == "regions":
        code = targets.region_code(values["code"], "code")
        values["code"] = code
        level = values.get("level") or targets.region_level(code)
        values["level"] = level
        parent = values.pop("parent_code", None)
        parent = targets.region_code(parent, "parent_code") if parent else targets.region_parent(code, level)
        values["parent_code"] = parent
        values["source"] = source[:200]
        key = (code,)
    elif name == "equipment":
        values["enterprise_id"] = targets.owner_of(values, ctx.enterprises, ctx.credits, required=False)
        key = (values["registry_code"],)
    elif name == "maintenance_units":
        values["enterprise_id"] = targets.owner_of(values, ctx.enterprises, ctx.credits, required=False)
        key = (values["name"],)
    elif name == "rescue_stations":
        unit = values.pop("unit")
        if unit not in ctx.units:
            raise RowError("unit", f"no maintenance unit {unit!r}: import the units first (--as maintenance_units)")
        values["unit_id"] = ctx.units[unit]
        key = (values["unit_id"], values["name"])
    else:  # subjects
        values["enterprise_id"] = targets.owner_of(values, ctx.enterprises, ctx.credits, required=False)
        kind = values["kind"]
        if kind == "person" and not values.get("person_type"):
            raise RowError("person_type", "required for a person (01 内部人员, 02 承包商, 03 访客)")
        if kind == "welder":
            for f in ("chip_id", "qr_code", "mobility"):
                if not values.get(f):
                    raise RowError(f, "required for a welding machine (加芯赋码: chip, QR code, fixed or mobile)")
        elif values.get("chip_id") or values.get("mobility"):
            raise RowError("chip_id", "only welding machines carry a chip and a mobility")
        for f in ("chip_id", "qr_code"):
            values[f] = values.get(f) or None
        key = (values["enterprise_id"], values["external_id"])
    if target.geom_field and geom is not None:
        values[target.geom_field] = geom
    return key, values


def _keepers(rows: list[dict]) -> None:
    """Equipment names its maintenance unit (维保单位): the unit of that name, registered now when the service does
    not know it yet (a register of devices comes before the units' own details, which update it later)."""
    names = {v["maintenance_unit"] for v in rows if v.get("maintenance_unit")}
    known = dict(MaintenanceUnit.objects.filter(name__in=names).values_list("name", "id"))
    for name in sorted(names - set(known)):
        known[name] = MaintenanceUnit.objects.create(name=name).id
    for v in rows:
        name = v.pop("maintenance_unit", None)
        if name is not None:
            v["maintenance_unit_id"] = known.get(name) if name else None


def _existing(target: Target, keys: list[tuple]) -> dict[tuple, object]:
    m = target.model
    if target.existing is not None:
        return target.existing(keys)
    if target.name == "zones":
        owners = {k[0] for k in keys if k[0] is not None}
        auths = {k[1] for k in keys if k[0] is None}
        rows = m.objects.filter(enterprise_id__in=owners) | m.objects.filter(
            enterprise__isnull=True, authority__in=auths
        )
        out = {}
        for z in rows.order_by("id"):  # a zone is found by its id, or by its name when the file gives no id
            if z.external_id:
                out.setdefault((z.enterprise_id, z.authority, "id", z.external_id), z)
            else:
                out.setdefault((z.enterprise_id, z.authority, "name", z.name), z)
        return out
    if target.name == "sites":
        rows = m.objects.filter(enterprise_id__in={k[0] for k in keys})
        return {(s.enterprise_id, s.name): s for s in rows}
    if target.name == "enterprises":
        return {(e.credit_code,): e for e in m.objects.filter(credit_code__in=[k[0] for k in keys])}
    if target.name == "regions":
        return {(r.code,): r for r in m.objects.filter(code__in=[k[0] for k in keys])}
    if target.name == "equipment":
        return {(e.registry_code,): e for e in m.objects.filter(registry_code__in=[k[0] for k in keys])}
    if target.name == "maintenance_units":
        return {(u.name,): u for u in m.objects.filter(name__in=[k[0] for k in keys])}
    if target.name == "rescue_stations":
        rows = m.objects.filter(unit_id__in={k[0] for k in keys})
        return {(r.unit_id, r.name): r for r in rows}
    rows = m.objects.filter(external_id__in=[k[1] for k in keys])
    return {(s.enterprise_id, s.external_id): s for s in rows}


def _same(a, b) -> bool:
    if isinstance(b, shapely.Geometry):
        if a is None:
            return False
        stored = bytes(a.wkb)
        return stored == shapely.to_wkb(b) or bool(shapely.equals_exact(shapely.from_wkb(stored), b, 1e-9))
    if isinstance(a, GEOSGeometry) and isinstance(b, GEOSGeometry):
        return a.equals_exact(b, 1e-9)
    return a == b


def _changes(obj, values: dict, geom_field: str | None, outcome: Outcome) -> list[str]:
    """Compare a stored record with the file's values: set what differs on it, say so in the outcome, and return
    the fields that changed (none: unchanged)."""
    changed = [f for f, v in values.items() if not _same(getattr(obj, f), v)]
    outcome.id = obj.pk
    outcome.action = "updated" if changed else "unchanged"
    for f, v in _orm_values({f: values[f] for f in changed}, geom_field).items():
        setattr(obj, f, v)
    return changed


def _write(
    model,
    creates: list[tuple[int, object]],
    updates: list[tuple[int, object, list[str]]],
    report_rows: dict[int, Outcome],
    progress: Progress | None,
    total: int,
    rowwise_only: bool = False,
) -> None:
    """Batches in savepoints; a batch the database refuses is retried row by row so only the guilty rows are
    refused, with the database's reason."""
    done = 0

    def rowwise(items, save):
        for row, obj, *rest in items:
            try:
                with transaction.atomic():
                    save([(row, obj, *rest)])
            except (IntegrityError, DatabaseError) as exc:
                o = report_rows[row]
                o.action, o.id, o.field = "refused", None, "record"
                o.reason = str(exc).splitlines()[0][:300]

    def create(items):
        objs = model.objects.bulk_create([obj for _, obj in items])
        for (row, _), obj in zip(items, objs, strict=True):
            report_rows[row].id = obj.pk

    def update(items):
        fields = sorted({f for *_, fs in items for f in fs})
        model.objects.bulk_update([obj for _, obj, _ in items], fields)

    for items, save in ((creates, create), (updates, update)):
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            if rowwise_only:
                rowwise(chunk, save)
                continue
            try:
                with transaction.atomic():
                    save(chunk)
            except (IntegrityError, DatabaseError):
                rowwise(chunk, save)
            done += len(chunk)
            if progress:
                progress("write", done, total)


def _regions_in_order(items: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    order = {lv: i for i, lv in enumerate(("province", "city", "district", "township", "community"))}
    return sorted(items, key=lambda it: order[it[1]["level"]])


def run(
    path: str | Path,
    target: str,
    *,
    layer: str | None = None,
    crs: str | None = None,
    axes: str | None = None,
    mapping: str | Path | Mapping | None = None,
    dry_run: bool = False,
    encoding: str | None = None,
    progress: Progress | None = None,
    label: str | None = None,
) -> Report:
    """Import a file; the report says what became of each feature. Raises nothing for bad input: a refused run has
    `refused` set and wrote nothing."""
    t0 = time.perf_counter()
    label = label or Path(path).name
    report = Report(file=label, target=target, dry_run=dry_run)
    try:
        if target not in targets.TARGETS:
            raise FileError(f"--as: {target!r} is not a target; targets: {', '.join(targets.TARGETS)}")
        tgt = targets.TARGETS[target]
        maps = mapping if isinstance(mapping, Mapping) else Mapping.load(mapping)
        cfg = settings.CONFIG
        table = reading.read(
            path, layer, encoding, max_rows=cfg.import_max_rows, max_expanded=cfg.import_max_expanded_mb << 20
        )
        report.format, report.layer = table.format, table.layer
        if table.encoding_note:
            report.notes.append(table.encoding_note)
        columns = _columns(tgt, table, maps)
        # Tens of thousands of short-lived rows would set the cyclic collector scanning again and again (a fifth
        # of the run); reference counting frees them, the collector runs once at the end.
        gc.disable()
        try:
            _import(tgt, table, columns, maps, crs, axes, dry_run, progress, report, label)
        finally:
            gc.enable()
    except FileError as exc:
        report.refused = str(exc)
        report.features = []
    report.count()
    report.seconds = round(time.perf_counter() - t0, 3)
    log.info(
        "import",
        extra={
            "file": label,
            "target": target,
            "counts": report.counts,
            "refused": report.refused,
            "seconds": report.seconds,
            "dry_run": dry_run,
        },
    )
    return report


def _import(
    tgt: Target,
    table: Table,
    columns: dict[str, str],
    maps: Mapping,
    crs: str | None,
    axes: str | None,
    dry_run: bool,
    progress: Progress | None,
    report: Report,
    label: str,
) -> None:
    refused: dict[int, RowError] = {i: RowError("geometry", why) for i, why in table.problems.items()}
    sizes = shapely.get_num_coordinates(np.array(table.geoms, dtype=object))
    for i in np.flatnonzero(sizes > MAX_VERTICES):
        refused.setdefault(int(i), RowError("geometry", f"{sizes[i]} vertices; at most {MAX_VERTICES} per feature"))
    system = _system(table, crs, axes, report, refused)
    report.crs, report.crs_reason = system.label, system.reason
    geoms = _to_cgcs2000(table, system, refused) if tgt.geometry else table.geoms
    ctx = _Context()
    outcomes: dict[int, Outcome] = {}
    records: list[tuple[int, tuple, dict]] = []
    seen: dict[tuple, int] = {}
    total = table.size
    shapes, repaired, bad = _shapes(tgt, geoms, refused) if tgt.geometry else ([None] * total, {}, {})
    refused.update(bad)
    all_values, bad = _values(tgt, table, columns, maps, refused)
    refused.update(bad)
    for i in range(total):
        if progress and i % 1000 == 999:
            progress("check", i + 1, total)
        if i in refused:
            e = refused[i]
            outcomes[i] = Outcome(i + 1, "refused", field=e.field, reason=e.reason)
            continue
        try:
            key, values = _record(tgt, all_values[i], shapes[i], ctx, label)
        except RowError as e:
            outcomes[i] = Outcome(i + 1, "refused", field=e.field, reason=e.reason)
            continue
        text_key = "/".join(["" if k is None else str(k) for k in key])
        if key in seen:
            outcomes[i] = Outcome(
                i + 1,
                "refused",
                key=text_key,
                field="key",
                reason=f"the same {'/'.join(tgt.key)} as feature {seen[key] + 1}",
            )
            continue
        seen[key] = i
        outcomes[i] = Outcome(i + 1, "created", key=text_key, repaired=repaired.get(i))
        records.append((i, key, values))
    if progress:
        progress("check", total, total)
    with transaction.atomic():
        if tgt.name == "equipment":
            _keepers([values for _, _, values in records])
        existing = _existing(tgt, [k for _, k, _ in records])
        if tgt.name == "regions":
            _regions(records, existing, outcomes, ctx, progress)
        else:
            creates, updates = [], []
            for i, key, values in records:
                obj = existing.get(key)
                if obj is None:
                    creates.append((i, values))
                    continue
                changed = _changes(obj, values, tgt.geom_field, outcomes[i])
                if changed:
                    updates.append((i, obj, changed))
            # A dry run writes too, and rolls back: it refuses what the database would refuse (a constraint, the
            # site trigger), so it never says "created" where the real run refuses.
            _copy_create(tgt, creates, outcomes, progress)
            _write(tgt.model, [], updates, outcomes, progress, len(updates))
        report.features = [outcomes[i] for i in sorted(outcomes)]
        report.count()
        if dry_run:
            transaction.set_rollback(True)
            for o in report.features:
                o.id = None if o.action == "created" else o.id
        else:
            audit.record(
                "imported",
                tgt.model._meta.label_lower,
                label[:64],
                {"file": label, "target": tgt.name, "crs": report.crs, "counts": report.counts},
            )


_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(v) -> str:
    """A value in COPY's text format."""
    if v is None:
        return _NULL
    if v is True or v is False:
        return "t" if v else "f"
    if isinstance(v, str):
        return v.translate(_ESCAPES)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False).translate(_ESCAPES)
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


def _copy_rows(fields: list, rows: list[tuple[int, dict]], ids: list[int], defaults: dict, geom: str | None) -> bytes:
    """Rows in COPY's text format, formatted a column at a time (a column the rows do not give is formatted once)."""
    given = set().union(*(v.keys() for _, v in rows))
    cols = []
    for f in fields:
        if f.primary_key:
            cols.append([str(i) for i in ids])
        elif f.attname == geom or (f.attname in given and isinstance(f, GeometryField)):
            shapes = shapely.set_srid(np.array([v.get(f.attname) for _, v in rows], dtype=object), 4490)
            cols.append([_NULL if h is None else h for h in shapely.to_wkb(shapes, hex=True, include_srid=True)])
        elif f.attname in given:
            d, name = defaults[f.attname], f.attname
            cols.append(
                [
                    x.translate(_ESCAPES) if x.__class__ is str else _copy_text(x)
                    for x in (v.get(name, d) for _, v in rows)
                ]
            )
        else:
            cols.append([_copy_text(defaults[f.attname])] * len(rows))
    return "".join("\t".join(r) + "\n" for r in zip(*cols, strict=True)).encode("utf-8")


def _copy_create(
    tgt: Target, creates: list[tuple[int, dict]], outcomes: dict[int, Outcome], progress: Progress | None
) -> None:
    """New rows by COPY, as ogr2ogr loads PostGIS: ids drawn from the table's sequence first (the report names
    them), every column given (Django's defaults and timestamps filled in here), geometries as hex EWKB. A chunk
    the database refuses (a constraint, the site trigger) goes again row by row through the ORM, so only the guilty
    rows are refused, with the database's reason."""
    if not creates:
        return
    model = tgt.model
    table = model._meta.db_table
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.has_default():
            defaults[f.attname] = f.get_default()
        else:
            defaults[f.attname] = None
    geom = tgt.geom_field
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    copy = f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
    done = 0
    for start in range(0, len(creates), COPY_BATCH):
        chunk = creates[start : start + COPY_BATCH]
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(chunk)]
            )
            ids = [r[0] for r in cur.fetchall()]
        try:
            # Sent a slice at a time: the database stores one slice while the next is formatted (two cores).
            with transaction.atomic(), connection.connection.cursor() as raw, raw.copy(copy) as cp:
                for at in range(0, len(chunk), COPY_SLICE):
                    part = slice(at, at + COPY_SLICE)
                    cp.write(_copy_rows(fields, chunk[part], ids[part], defaults, geom))
            for k, (i, _) in enumerate(chunk):
                outcomes[i].id = ids[k]
        except (IntegrityError, DatabaseError, psycopg.Error):
            objs = [(i, model(**_orm_values(v, geom))) for i, v in chunk]
            _write(model, objs, [], outcomes, None, len(objs), rowwise_only=True)
        done += len(chunk)
        if progress:
            progress("write", done, len(creates))


def _regions(records, existing, outcomes, ctx: _Context, progress: Progress | None) -> None:
    """Regions level by level, so a township finds the district it hangs from (in the database or the file)."""
    items = _regions_in_order([(i, v) for i, _, v in records])
    for level in ("province", "city", "district", "township", "community"):
        creates, updates = [], []
        for i, values in items:
            if values["level"] != level:
                continue
            values = dict(values)
            parent = values.pop("parent_code")
            if parent and parent not in ctx.regions:
                o = outcomes[i]
                o.action, o.field, o.reason = "refused", "parent_code", f"no region {parent} to hang from"
                continue
            values["parent_id"] = ctx.regions.get(parent) if parent else None
            obj = existing.get((values["code"],))
            if obj is None:
                creates.append((i, Region(**_orm_values(values, "geom"))))
                continue
            changed = _changes(obj, values, "geom", outcomes[i])
            if changed:
                updates.append((i, obj, changed))
        _write(Region, creates, updates, outcomes, progress, len(creates) + len(updates))  # rolled back when dry
        for i, obj in creates:
            if outcomes[i].action != "refused":
                ctx.regions[obj.code] = obj.pk if obj.pk is not None else -1
