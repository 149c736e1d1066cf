"""The layer registry (LAY-1): every layer declared once (source, geometry, properties, time field, zoom range,
default style, 3D height, access) and served from here as vector tiles, TileJSON and OGC API collections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from geo_core import vocabulary
from geo_core.errors import NotFoundError
from geo_core.models import MaintenanceUnit, RescueStation, Site, SpecialEquipment, Subject, WorkPermit, Zone
from geo_core.permit_codes import OPERATION_TYPE, STATUSES, TICKET_TYPES
from geo_core.scope import Scope, Visibility
from tiles.source import TileSource

# Person types that are not the enterprise's own staff (contractors, visitors): the vocabulary's "outsider" flag.
OUTSIDERS = ", ".join(f"'{c}'" for c in vocabulary.get("person_type").flagged("outsider"))
# Rows of an enterprise, placed: the rule of most tables, and of alarms' published views (alarms_open: an
# enterprise's alarms, placed where they are).
OWNED = Visibility("enterprise", "geom")
# Rows of an enterprise, or of the park and authorities for everyone (video.models.VideoChannel.VISIBILITY: the
# layers read that room's table, not its code; the consistency test holds the two rules to the same shape).
SHARED = Visibility("enterprise", "geom", shared=True)


@dataclass(frozen=True)
class ByTerm:
    """A colour by a coded field, from a vocabulary (geo_core.vocabulary): resolved when the style is served, so the
    colours of a code have one declaration for the styles, the legends and the pages."""

    vocabulary: str
    field: str
    codes: tuple[str, ...] | None = None  # only these codes of the vocabulary (a layer of some kinds)


@dataclass(frozen=True)
class Search:
    """How a layer's things are found by name (GET /api/search, layers.queries.search): a SELECT of (kind, id, name,
    code, geom, enterprise_id) and the searched columns; a thing of several rows (an enterprise's sites) is one
    result placed on all of them. Its own SELECT, not the layer's: the search also finds what the map does not draw
    (an enterprise with no site yet, a machine with no fix). `rank` orders the kinds of results."""

    rank: int
    sql: str
    fields: tuple[str, ...]
    scope_column: str | None = "enterprise_id"  # its owner column (None: public); the layer's rule applies
    order: str = "id"


@dataclass(frozen=True)
class Heat:
    """A heat map over a layer's things (LAY-5): `sql` selects (geom, enterprise_id) of the points to weigh, with
    `%(days)s` where it looks back; the layer's scope rule applies."""

    name: str
    sql: str


@dataclass(frozen=True)
class Layer:
    id: str
    title: str
    description: str
    sql: str
    properties: dict[str, str]  # name -> JSON type (string, integer, number, boolean, datetime)
    geometry_type: str  # Point, MultiPolygon ...
    tables: tuple[str, ...]
    public: bool = False  # readable without signing in
    scope_column: str | None = "enterprise_id"  # the SELECT's owner column (None: public, or scoped inside)
    # Who may see its rows: the rule its model declares (Model.VISIBILITY), over the SELECT's owner column and geom.
    visibility: Visibility = OWNED
    time_field: str | None = None
    time_end_field: str | None = None
    minzoom: int = 0
    maxzoom: int = 22
    simplify: bool = False
    height: tuple[str, str] | None = None  # 3D extrusion: base and top fields (metres)
    live_ttl_s: float | None = None
    max_features: int = 20_000
    cluster_maxzoom: int | None = None  # points: clustered in tiles at this zoom and below
    cluster_sums: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # name -> SQL aggregate
    style: dict = field(default_factory=dict, hash=False, compare=False)
    # The live stream that feeds this layer on the pages (they draw it from the stream, not from tiles): "positions"
    # (layers.live, rows of these subject kinds) or "alarms" (alarms.stream).
    live: str | None = None
    live_kinds: tuple[str, ...] = ()
    search: Search | None = field(default=None, hash=False, compare=False)
    heat: Heat | None = field(default=None, hash=False, compare=False)

    def __post_init__(self):
        clash = {"point_count", *self.cluster_sums} & set(self.properties)
        if clash:
            raise ValueError(f"layer {self.id}: cluster fields {sorted(clash)} clash with its properties")

    @property
    def shared_nulls(self) -> bool:
        return self.visibility.shared

    @property
    def scope_free(self) -> bool:
        """Its rows are the same whoever asks (no scope column, no `$scope` in its SQL): one cached tile serves all."""
        return self.scope_column is None and "$scope" not in self.sql

    @property
    def tile_fields(self) -> dict[str, str]:
        """Fields a tile of this layer can carry: its properties, and a cluster's count and sums."""
        if self.cluster_maxzoom is None:
            return dict(self.properties)
        return {**self.properties, "point_count": "integer", **dict.fromkeys(self.cluster_sums, "integer")}

    def positional_sql(self, scope: Scope, bbox: tuple[float, float, float, float] | None = None) -> tuple[str, list]:
        """The source SELECT and its parameters for a caller's scope (and the area asked for, where the source
        narrows itself by `$bbox`), with `%s` placeholders (GeoJSON, queries)."""
        params: list = []

        def fill(m: re.Match) -> str:
            if m.group(0) == "$bbox":
                if bbox is None:
                    return "ST_MakeEnvelope(-180, -90, 180, 90, 4490)"
                params.extend(bbox)
                return "ST_MakeEnvelope(%s, %s, %s, %s, 4490)"
            sql, values = scope.positional(_scope_marker(m))
            params.extend(values)
            return sql

        return MARKERS.sub(fill, self.sql), params

    def scope_where(self, scope: Scope, alias: str = "src") -> tuple[str, list]:
        """The caller's scope over this layer's rows (`alias`: the source's alias), positionally."""
        col = f'{alias}."{self.scope_column}"' if self.scope_column else None
        return self.visibility.where(scope, col, f"{alias}.geom")

    @property
    def source(self) -> TileSource:
        if self.id not in _SOURCES:
            _SOURCES[self.id] = _source(self)
        return _SOURCES[self.id]


_SOURCES: dict[str, TileSource] = {}
# `$scope(enterprise column[, geometry column])` in a layer's SQL: the caller's access applied inside an aggregate
# (rows of no enterprise, whose counts depend on who asks); rendered by geo_core.scope for each provider.
# `$bbox` in a layer's SQL: the area asked for (a tile's envelope, an items bbox), for sources that must narrow
# themselves before aggregating (trails).
# `$scope_in(enterprise column, districts column)`: the same over rows whose districts were worked out beforehand.
MARKERS = re.compile(r"\$scope(_in)?\(([A-Za-z_][A-Za-z0-9_.]*)(?:, *([A-Za-z_][A-Za-z0-9_.]*))?\)|\$bbox")


def _scope_marker(m: re.Match) -> str:
    if m.group(1):
        return Scope.sql(m.group(2), districts=m.group(3))
    return Scope.sql(m.group(2), m.group(3))


def _tile_marker(m: re.Match) -> str:
    return "bounds.env4490" if m.group(0) == "$bbox" else _scope_marker(m)


def _source(layer: Layer) -> TileSource:
    return TileSource(
        id=layer.id,
        sql=MARKERS.sub(_tile_marker, layer.sql),
        properties=tuple(layer.properties),
        scope_column=layer.scope_column,
        shared_nulls=layer.shared_nulls,
        minzoom=layer.minzoom,
        maxzoom=layer.maxzoom,
        max_features=layer.max_features,
        simplify=layer.simplify,
        tables=layer.tables,
        live_ttl_s=layer.live_ttl_s,
        cluster_maxzoom=layer.cluster_maxzoom,
        cluster_sums=layer.cluster_sums,
    )


def _values(rows: list[tuple]) -> str:
    """A VALUES list from our own constants (never user input), e.g. the AQ 3064.2 code tables."""

    def lit(v):
        return "NULL" if v is None else str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(lit(v) for v in r) + ")" for r in rows)


TICKETS = _values([(code, label, OPERATION_TYPE[code]) for code, (_, label) in TICKET_TYPES.items()])
STATUS_LABELS = _values([(code, label) for code, (_, label) in STATUSES.items()])

TRAIL_MINUTES = 15
# A trail is found by its person's current position (indexed), so positions this far outside the area asked for
# still bring their trails in: 15 minutes at a brisk 1.5 m/s is 1.35 km, about 0.015 degrees.
TRAIL_REACH_DEG = 0.015

POSITIONS = """
SELECT st.subject_id AS id, s.external_id, s.name, s.kind, s.person_type, s.mobility, e.company_code,
       st.time, st.floor, st.online, st.accuracy_m, st.live->>'power' AS power, s.chip_id, s.qr_code,
       s.attributes->>'holder' AS holder, s.attributes->>'unit' AS unit, st.geom, s.enterprise_id
FROM geo_core_subjectstate st
JOIN geo_core_subject s ON s.id = st.subject_id
LEFT JOIN geo_core_enterprise e ON e.id = s.enterprise_id
WHERE s.active AND s.kind IN ({kinds})
"""
# Subjects found by id, name, chip or QR code, with or without a position.
SUBJECTS_FOUND = """
SELECT s.id, coalesce(nullif(s.name, ''), s.external_id) AS name, s.external_id AS code, s.kind,
       ST_Force2D(st.geom) AS geom, s.enterprise_id, s.external_id, s.name AS subject_name, s.chip_id, s.qr_code
FROM geo_core_subject s LEFT JOIN geo_core_subjectstate st ON st.subject_id = s.id
WHERE s.kind IN ({kinds})
"""
POSITION_PROPS = {
    "external_id": "string",
    "name": "string",
    "kind": "string",
    "person_type": "string",
    "mobility": "string",
    "company_code": "string",
    "time": "datetime",
    "floor": "integer",
    "online": "boolean",
    "accuracy_m": "number",
    "power": "string",
    "chip_id": "string",
    "qr_code": "string",
    "holder": "string",  # who carries a body camera: the contact a dispatcher calls
    "unit": "string",
}


LEVELS = ("province", "city", "district", "township", "community")


def _known(level: str) -> None:
    """Levels are put into SQL text: only ours."""
    if level not in LEVELS:
        raise ValueError(f"level: {level!r}")


def site_in_region(level: str) -> str:
    """SQL: site `s` belongs to region `r` of this level (the counts' database function, layers migration 0002,
    applies the same rule: change both together). A site has one region per level: at district level the one
    the database derived (holding most of its footprint), below it the one holding its point on surface."""
    _known(level)
    if level == "district":
        return "s.district_id = r.id"
    return "s.footprint && r.geom AND ST_Intersects(r.geom, ST_PointOnSurface(s.footprint))"


COUNTS_MAX_AGE_S = 30  # machines move and power on without a change notice: their counts are this old at most


def region_counts_sql(level: str) -> str:
    """Per region of one level: enterprises (each once per region it has a site in, so totals over regions can
    exceed the enterprises counted), welding machines there and how many are powered, open alarms, special
    equipment and its faults; within the caller's scope (`$scope_in`). A site belongs to the district the database
    derived for it (the one holding most of its footprint) and to the township or community holding its point on
    surface (`site_in_region`, as the database function applies it). The counting is done once for every caller by
    `layers_region_counts` (layers migration 0002), kept COUNTS_MAX_AGE_S at most; a scope's counts sum its rows."""
    _known(level)
    return f"""WITH k AS MATERIALIZED (
             SELECT * FROM layers_region_counts('{level}', {COUNTS_MAX_AGE_S}) k
             WHERE $scope_in(k.enterprise_id, k.districts)),
           c AS (
             SELECT region_id, (count(DISTINCT enterprise_id) FILTER (WHERE sites > 0))::int AS enterprises,
                    sum(welders)::int AS welders, sum(powered)::int AS powered, sum(open_alarms)::int AS open_alarms,
                    sum(equipment)::int AS equipment, sum(equipment_faults)::int AS equipment_faults
             FROM k GROUP BY region_id)
           SELECT r.id, r.code, r.name, r.level, pr.code AS parent_code, r.geom, NULL::bigint AS enterprise_id,
                  coalesce(c.enterprises, 0) AS enterprises, coalesce(c.welders, 0) AS welders,
                  coalesce(c.powered, 0) AS powered, coalesce(c.open_alarms, 0) AS open_alarms,
                  coalesce(c.equipment, 0) AS equipment, coalesce(c.equipment_faults, 0) AS equipment_faults
           FROM geo_core_region r
           LEFT JOIN geo_core_region pr ON pr.id = r.parent_id
           LEFT JOIN c ON c.region_id = r.id
           WHERE r.level = '{level}'"""


def positions_layer(layer_id: str, title: str, description: str, kinds: tuple[str, ...], **kw) -> Layer:
    """Current positions of subjects of some kinds: one SELECT for every such layer, fed live on the pages by the
    positions stream (layers.live), found by the search under their kinds."""
    listed = ", ".join(f"'{k}'" for k in kinds)  # our own constants
    return Layer(
        layer_id,
        title,
        description,
        POSITIONS.format(kinds=listed),
        POSITION_PROPS,
        "Point",
        ("geo_core_subjectstate", "geo_core_subject", "geo_core_enterprise"),
        time_field="time",
        live="positions",
        live_kinds=kinds,
        search=Search(3, SUBJECTS_FOUND.format(kinds=listed), ("external_id", "subject_name", "chip_id", "qr_code")),
        **kw,
    )


def choropleth(field: str, stops: list, opacity: float, **extra) -> dict:
    """A fill coloured by one count, `stops` as MapLibre's interpolate takes them (value, colour, ...)."""
    colour = ["interpolate", ["linear"], ["get", field], *stops]
    return {"type": "fill", **extra, "paint": {"fill-opacity": opacity, "fill-color": colour}}


def counts_layer(layer_id: str, title: str, description: str, level: str, style: dict, **kw) -> Layer:
    """A layer of `region_counts_sql` at one level."""
    return Layer(
        layer_id,
        title,
        description,
        region_counts_sql(level),
        COUNT_PROPS,
        "MultiPolygon",
        COUNT_TABLES,
        scope_column=None,
        simplify=True,
        style=style,
        live_ttl_s=30.0,  # machines move without a change notice; sites and alarms also invalidate by notice
        **kw,
    )


COUNT_PROPS = {
    "code": "string",
    "name": "string",
    "level": "string",
    "parent_code": "string",
    "enterprises": "integer",
    "welders": "integer",
    "powered": "integer",
    "open_alarms": "integer",
    "equipment": "integer",
    "equipment_faults": "integer",
}
COUNT_TABLES = ("geo_core_region", "geo_core_site", "alarms_alarm", "geo_core_specialequipment")


LAYERS: list[Layer] = [
    counts_layer(
        "district_counts",
        "区县统计 Counts per district",
        "Per district: enterprises (each once per district it has a site in), welding machines there and how many "
        "are powered, open alarms, special equipment and its faults; counted within what the caller may see. "
        "A choropleth.",
        "district",
        choropleth("enterprises", [0, "#f1eef6", 5, "#bdc9e1", 15, "#74a9cf", 30, "#0570b0"], 0.55, maxzoom=12),
        maxzoom=14,
    ),
    Layer(
        "districts",
        "区县 Districts",
        "County-level districts (GB/T 2260) with their boundaries, CGCS2000.",
        "SELECT r.id, r.code, r.name, r.level, r.geom, NULL::bigint AS enterprise_id FROM geo_core_region r "
        "WHERE r.level = 'district'",
        {"code": "string", "name": "string", "level": "string"},
        "MultiPolygon",
        ("geo_core_region",),
        public=True,
        scope_column=None,
        search=Search(  # public boundaries of every level: 金山区, 石化街道
            6,
            """SELECT 'region' AS kind, r.id, r.name, r.code, r.geom, NULL::bigint AS enterprise_id
               FROM geo_core_region r""",
            ("name",),
            scope_column=None,
            order="length(code), code",
        ),
        simplify=True,
        maxzoom=16,
        style={
            "type": "line",
            "paint": {"line-color": "#6b7b8c", "line-width": 1.2},
            "label": {"field": "name", "minzoom": 8},
        },
    ),
    Layer(
        "townships",
        "乡镇街道 Townships and streets",
        "Regions below the district (乡镇/街道, and 社区/村 where loaded), with their parent district.",
        """SELECT r.id, r.code, r.name, r.level, p.code AS parent_code, r.geom, NULL::bigint AS enterprise_id
           FROM geo_core_region r LEFT JOIN geo_core_region p ON p.id = r.parent_id
           WHERE r.level IN ('township', 'community')""",
        {"code": "string", "name": "string", "level": "string", "parent_code": "string"},
        "MultiPolygon",
        ("geo_core_region",),
        public=True,
        scope_column=None,
        simplify=True,
        minzoom=9,
        maxzoom=16,
        style={
            "type": "line",
            "paint": {"line-color": "#8a99a8", "line-width": 0.8, "line-dasharray": [3, 2]},
            "label": {"field": "name", "minzoom": 12},
        },
    ),
    counts_layer(
        "township_counts",
        "乡镇街道统计 Counts per township",
        "The counts of district_counts for each township or street (乡镇/街道): an enterprise is counted once in each "
        "township it has a site in.",
        "township",
        choropleth("enterprises", [0, "#f1eef6", 3, "#bdc9e1", 10, "#74a9cf", 20, "#0570b0"], 0.35, minzoom=12),
        minzoom=9,
        maxzoom=16,
    ),
    counts_layer(
        "equipment_faults",
        "特种设备故障分布 Equipment faults per district",
        "Special equipment and its faults (monitor in fault or alarm) per district, within the caller's scope: a "
        "choropleth of where equipment fails.",
        "district",
        choropleth(
            "equipment_faults",
            [0, "#fff5eb", 1, "#fdbe85", 5, "#fd8d3c", 20, "#d94701"],
            0.55,
            layout={"visibility": "none"},
        ),
        maxzoom=14,
    ),
    Layer(
        "equipment",
        "特种设备 Special equipment",
        "Elevators, boilers, pressure vessels, cranes and the other special equipment (seed 001) as fixed objects, "
        "with the state of their IoT monitor: online, offline, fault, alarm.",
        """SELECT q.id, q.registry_code, q.kind, q.name, q.using_unit, u.name AS maintenance_unit, q.address,
                  q.monitoring, q.monitored_at, q.upkeep, q.inspection_due, q.maintained_at, q.manufactured_on,
                  e.company_code, q.location AS geom, q.enterprise_id
           FROM geo_core_specialequipment q LEFT JOIN geo_core_enterprise e ON e.id = q.enterprise_id
           LEFT JOIN geo_core_maintenanceunit u ON u.id = q.maintenance_unit_id""",
        {
            "registry_code": "string",
            "kind": "string",
            "name": "string",
            "using_unit": "string",
            "maintenance_unit": "string",
            "address": "string",
            "monitoring": "string",
            "monitored_at": "datetime",
            "upkeep": "string",
            "inspection_due": "string",
            "maintained_at": "datetime",
            "manufactured_on": "string",
            "company_code": "string",
        },
        "Point",
        ("geo_core_specialequipment", "geo_core_enterprise", "geo_core_maintenanceunit"),
        visibility=SpecialEquipment.VISIBILITY,
        time_field="monitored_at",
        search=Search(
            5,
            """SELECT 'equipment' AS kind, q.id, coalesce(nullif(q.name, ''), q.registry_code) AS name,
                      q.registry_code AS code, q.location AS geom, q.enterprise_id, q.name AS equipment_name,
                      q.address, q.using_unit, q.registry_code
               FROM geo_core_specialequipment q""",
            ("registry_code", "equipment_name", "address", "using_unit"),
        ),
        minzoom=8,
        cluster_maxzoom=12,
        cluster_sums={"faults": "count(*) FILTER (WHERE monitoring IN ('fault', 'alarm'))"},
        heat=Heat(  # where equipment failed: faults started in the last days (seed 001: 故障分布)
            "equipment_faults",
            """SELECT q.location AS geom, q.enterprise_id FROM geo_core_equipmentfault f
               JOIN geo_core_specialequipment q ON q.id = f.equipment_id
               WHERE f.started_at > now() - make_interval(days => %(days)s)""",
        ),
        style={
            "type": "circle",
            "paint": {  # filled by the monitor's state, ringed by the worst upkeep state (白: in order)
                "circle-color": ByTerm("monitoring", "monitoring"),
                "circle-radius": 5,
                "circle-stroke-color": ByTerm("equipment_upkeep", "upkeep"),
                "circle-stroke-width": 2,
            },
            "cluster-color": "#8a6d3b",
            "label": {"field": "name", "minzoom": 16},
        },
    ),
    Layer(
        "maintenance_units",
        "维保单位 Maintenance units",
        "The maintenance units of special equipment (seed 001: 标注维保单位具体位置), with their licence's end. "
        "Registry data: seen by every signed-in user (how many devices each keeps is counted within the caller's "
        "scope by /api/maintenance-units).",
        """SELECT u.id, u.name, u.phone, u.address, u.licence_no, u.licence_expires::text AS licence_expires,
                  u.location AS geom
           FROM geo_core_maintenanceunit u WHERE u.location IS NOT NULL""",
        {"name": "string", "phone": "string", "address": "string", "licence_no": "string", "licence_expires": "string"},
        "Point",
        ("geo_core_maintenanceunit",),
        scope_column=None,
        visibility=MaintenanceUnit.VISIBILITY,
        search=Search(
            8,
            """SELECT 'maintenance_unit' AS kind, u.id, u.name, u.licence_no AS code, u.location AS geom,
                      NULL::bigint AS enterprise_id, u.address
               FROM geo_core_maintenanceunit u WHERE u.location IS NOT NULL""",
            ("name", "address"),
            scope_column=None,
        ),
        minzoom=8,
        style={
            "type": "circle",
            "label": {"field": "name", "minzoom": 14},
            "paint": {
                "circle-radius": 6,
                "circle-color": "#005cc5",
                "circle-stroke-color": "#fff",
                "circle-stroke-width": 2,
            },
        },
    ),
    Layer(
        "rescue_stations",
        "救援站点 Rescue stations",
        "Each maintenance unit's rescue stations (救援站点): the nearest is sent to a fault of a device the unit "
        "keeps.",
        """SELECT s.id, s.name, s.phone, u.name AS unit, s.location AS geom
           FROM geo_core_rescuestation s JOIN geo_core_maintenanceunit u ON u.id = s.unit_id""",
        {"name": "string", "phone": "string", "unit": "string"},
        "Point",
        ("geo_core_rescuestation", "geo_core_maintenanceunit"),
        scope_column=None,
        visibility=RescueStation.VISIBILITY,
        minzoom=8,
        style={
            "type": "circle",
            "label": {"field": "name", "minzoom": 15},
            "paint": {
                "circle-radius": 5,
                "circle-color": "#22863a",
                "circle-stroke-color": "#fff",
                "circle-stroke-width": 2,
            },
        },
    ),
    Layer(
        "enterprises",
        "企业 Enterprises",
        "Major-hazard enterprises as points (on their largest site).",
        """SELECT e.id, e.company_code, e.name, e.credit_code, count(s.id)::int AS sites,
                  ST_PointOnSurface(ST_Collect(s.footprint)) AS geom, e.id AS enterprise_id
           FROM geo_core_enterprise e JOIN geo_core_site s ON s.enterprise_id = e.id
           WHERE $scope(s.enterprise_id, s.footprint) GROUP BY e.id""",
        {"company_code": "string", "name": "string", "credit_code": "string", "sites": "integer"},
        "Point",
        ("geo_core_enterprise", "geo_core_site"),
        scope_column=None,  # scoped by site inside: a district officer sees its district's sites of an enterprise
        search=Search(  # by name, company or credit code, address; one without a site where its list put it
            1,
            """SELECT 'enterprise' AS kind, e.id, e.name, e.company_code AS code,
                      coalesce(si.footprint, e.location) AS geom, e.id AS enterprise_id, e.company_code,
                      e.credit_code, e.address
               FROM geo_core_enterprise e LEFT JOIN geo_core_site si ON si.enterprise_id = e.id""",
            ("name", "company_code", "credit_code", "address"),
        ),
        cluster_maxzoom=10,
        cluster_sums={"site_count": "sum(sites)"},
        style={
            "type": "circle",
            "paint": {"circle-color": "#1f6feb", "circle-radius": 6},
            "cluster-color": "#1f6feb",
            "label": {"field": "name", "minzoom": 12},
        },
    ),
    Layer(
        "sites",
        "厂区 Sites",
        "Each address of an enterprise with its footprint, the district holding most of it and the township "
        "(乡镇/街道) holding its point on surface.",
        """SELECT s.id, s.name, s.address, e.company_code, e.name AS enterprise_name, r.code AS district,
                  t.code AS township, t.name AS township_name, s.height_m, s.footprint AS geom, s.enterprise_id
           FROM geo_core_site s JOIN geo_core_enterprise e ON e.id = s.enterprise_id
           LEFT JOIN geo_core_region r ON r.id = s.district_id
           LEFT JOIN LATERAL (SELECT t.code, t.name FROM geo_core_region t WHERE t.level = 'township'
                              AND t.geom && s.footprint AND ST_Intersects(t.geom, ST_PointOnSurface(s.footprint))
                              ORDER BY t.code LIMIT 1) t ON TRUE""",
        {
            "name": "string",
            "address": "string",
            "company_code": "string",
            "enterprise_name": "string",
            "district": "string",
            "township": "string",
            "township_name": "string",
            "height_m": "number",
        },
        "MultiPolygon",
        ("geo_core_site", "geo_core_enterprise", "geo_core_region"),
        visibility=Site.VISIBILITY,
        search=Search(  # by address (厂区地址): the site, named with its enterprise
            2,
            """SELECT 'site' AS kind, si.id, si.name || ' · ' || e.name AS name, si.address AS code,
                      si.footprint AS geom, si.enterprise_id, si.address
               FROM geo_core_site si JOIN geo_core_enterprise e ON e.id = si.enterprise_id""",
            ("address",),
        ),
        simplify=True,
        style={
            "type": "fill",
            "paint": {"fill-color": "#8fb3d9", "fill-opacity": 0.25, "fill-outline-color": "#31679e"},
        },
    ),
    Layer(
        "zones",
        "电子围栏 Zones",
        "Fences of every kind (forbidden, key places, work areas, posts, boundaries ...), "
        "with floor and height for 3D.",
        """SELECT z.id, z.name, z.kind, z.external_id, z.floor, z.height_min, z.height_max, z.capacity_min,
                  z.capacity_max, z.window_mode, e.company_code, z.authority, z.updated_at, z.geom, z.enterprise_id
           FROM geo_core_zone z LEFT JOIN geo_core_enterprise e ON e.id = z.enterprise_id WHERE z.active""",
        {
            "name": "string",
            "kind": "string",
            "external_id": "string",
            "floor": "integer",
            "height_min": "number",
            "height_max": "number",
            "capacity_min": "integer",
            "capacity_max": "integer",
            "window_mode": "string",
            "company_code": "string",
            "authority": "string",
            "updated_at": "datetime",
        },
        "MultiPolygon",
        ("geo_core_zone", "geo_core_enterprise"),
        visibility=Zone.VISIBILITY,
        search=Search(
            4,
            """SELECT 'zone' AS kind, z.id, z.name, z.kind AS code, z.geom, z.enterprise_id
               FROM geo_core_zone z""",
            ("name",),
        ),
        simplify=True,
        time_field="updated_at",
        height=("height_min", "height_max"),
        style={
            "type": "fill",
            "label": {"field": "name", "minzoom": 16},
            "paint": {"fill-opacity": 0.3, "fill-color": ByTerm("zone_kind", "kind")},
        },
    ),
    Layer(
        "permits",
        "作业票 Permits",
        "Special-operation permits (GB 30871) with AQ 3064.2 ticket type and status codes.",
        f"""SELECT p.id, p.ticket_no, p.ticket_type, tt.label AS ticket_label, tt.operation, p.status,
                   sl.label AS status_label, e.company_code, p.content, p.planned_start, p.planned_end,
                   p.actual_start, p.actual_end, p.supervisor_name, p.is_contractor_work, p.video_url,
                   g.name AS guardian, a.name AS approver, p.approved_at,
                   (SELECT string_agg(w.name, '、' ORDER BY w.name) FROM geo_core_workpermit_workers pw
                    JOIN geo_core_subject w ON w.id = pw.subject_id WHERE pw.workpermit_id = p.id) AS workers,
                   (SELECT string_agg(concat_ws(' ', t.gas_name, t.value, t.unit,
                                                CASE WHEN NOT t.qualified THEN '✗' END), '; ' ORDER BY t.sampled_at)
                    FROM geo_core_gastest t WHERE t.permit_id = p.id) AS gas_tests,
                   p.location AS geom, p.enterprise_id
            FROM geo_core_workpermit p JOIN geo_core_enterprise e ON e.id = p.enterprise_id
            LEFT JOIN geo_core_subject g ON g.id = p.guardian_id
            LEFT JOIN geo_core_subject a ON a.id = p.approver_id
            LEFT JOIN (VALUES {TICKETS}) AS tt(code, label, operation) ON tt.code = p.ticket_type
            LEFT JOIN (VALUES {STATUS_LABELS}) AS sl(code, label) ON sl.code = p.status
            WHERE NOT p.deleted""",
        {
            "ticket_no": "string",
            "ticket_type": "string",
            "ticket_label": "string",
            "operation": "string",
            "status": "integer",
            "status_label": "string",
            "company_code": "string",
            "content": "string",
            "planned_start": "datetime",
            "planned_end": "datetime",
            "actual_start": "datetime",
            "actual_end": "datetime",
            "supervisor_name": "string",
            "is_contractor_work": "boolean",
            "video_url": "string",
            "guardian": "string",
            "approver": "string",
            "approved_at": "datetime",
            "workers": "string",
            "gas_tests": "string",
        },
        "Point",
        (
            "geo_core_workpermit",
            "geo_core_enterprise",
            "geo_core_workpermit_workers",
            "geo_core_subject",
            "geo_core_gastest",
        ),
        visibility=WorkPermit.VISIBILITY,
        time_field="planned_start",
        time_end_field="planned_end",
        cluster_maxzoom=12,
        cluster_sums={
            "in_progress": "count(*) FILTER (WHERE status = 2)",
            "hot_work": "count(*) FILTER (WHERE operation = 'hot_work')",
        },
        style={
            "type": "symbol",
            "layout": {
                "icon-image": ["concat", "permit-", ["get", "operation"], "-", ["to-string", ["get", "status"]]]
            },
            "cluster-color": "#6f42c1",
        },
    ),
    positions_layer(
        "people",
        "人员 People",
        "Current positions of people (AQ 3064.3 tags).",
        ("person",),
        live_ttl_s=2.0,
        cluster_maxzoom=15,
        cluster_sums={"outsiders": f"count(*) FILTER (WHERE person_type IN ({OUTSIDERS}))"},
        style={
            "type": "circle",
            "paint": {"circle-radius": 4, "circle-color": ByTerm("person_type", "person_type")},
            "cluster-color": "#2ea44f",
            "label": {"field": "name", "minzoom": 18},
        },
    ),
    positions_layer(
        "welders",
        "焊机 Welding machines",
        "Current positions of welding machines (IoT chip), with power state.",
        ("welder",),
        live_ttl_s=5.0,
        cluster_maxzoom=14,
        cluster_sums={"powered": "count(*) FILTER (WHERE power = 'on')"},
        heat=Heat(  # welding activity: machines powered on now, where they are
            "welding",
            """SELECT st.geom, s.enterprise_id FROM geo_core_subjectstate st
               JOIN geo_core_subject s ON s.id = st.subject_id
               WHERE s.kind = 'welder' AND st.live->>'power' = 'on'""",
        ),
        style={
            "type": "circle",
            "paint": {"circle-radius": 3, "circle-color": ByTerm("power", "power")},
            "cluster-color": "#d73a49",
        },
    ),
    positions_layer(
        "cameras",
        "执法记录仪 Body cameras",
        "Current positions of body cameras and phones.",
        ("body_camera", "phone"),
        live_ttl_s=2.0,
        style={
            "type": "circle",
            "paint": {"circle-radius": 5, "circle-color": ByTerm("subject_kind", "kind", ("body_camera", "phone"))},
        },
    ),
    Layer(
        "trails",
        "行动轨迹 Trails",
        f"Each person's track over the last {TRAIL_MINUTES} minutes, a line per person (the full history is at "
        "/api/tracks/{id}).",
        f"""SELECT s.id, s.external_id, s.name, s.person_type, e.company_code, t.fixes, t.since, t.until, t.geom,
                   s.enterprise_id
            FROM geo_core_subjectstate st
            JOIN geo_core_subject s ON s.id = st.subject_id
            LEFT JOIN geo_core_enterprise e ON e.id = s.enterprise_id
            CROSS JOIN LATERAL (
              SELECT count(*)::int AS fixes, min(f.time) AS since, max(f.time) AS until,
                     ST_MakeLine(ST_Force2D(f.geom) ORDER BY f.time) AS geom
              FROM geo_core_positionfix f
              WHERE f.subject_id = st.subject_id AND f.time > now() - interval '{TRAIL_MINUTES} minutes') t
            WHERE s.kind = 'person' AND s.active AND st.time > now() - interval '{TRAIL_MINUTES} minutes'
              AND st.geom && ST_Expand($bbox, {TRAIL_REACH_DEG}) AND t.fixes >= 2""",
        {
            "external_id": "string",
            "name": "string",
            "person_type": "string",
            "company_code": "string",
            "fixes": "integer",
            "since": "datetime",
            "until": "datetime",
        },
        "LineString",
        ("geo_core_subjectstate", "geo_core_subject", "geo_core_enterprise", "geo_core_positionfix"),
        visibility=Subject.VISIBILITY,
        time_field="since",
        time_end_field="until",
        minzoom=14,
        live_ttl_s=5.0,
        style={
            "type": "line",
            "paint": {"line-width": 2, "line-opacity": 0.7, "line-color": ByTerm("person_type", "person_type")},
        },
    ),
    Layer(
        "video",
        "视频监控 Cameras",
        "Cameras that stand somewhere (fixed, PTZ, drone docks) with their GB/T 28181 channel codes; a body "
        "camera is drawn where its holder is (the live layer).",
        """SELECT c.id, c.code, c.name, c.kind, e.company_code, c.authority, c.heading, c.angle, c.range_m,
                  c.location AS geom, c.enterprise_id
           FROM video_videochannel c LEFT JOIN geo_core_enterprise e ON e.id = c.enterprise_id
           WHERE c.active AND c.location IS NOT NULL""",
        {
            "code": "string",
            "name": "string",
            "kind": "string",
            "company_code": "string",
            "authority": "string",
            "heading": "number",
            "angle": "number",
            "range_m": "number",
        },
        "Point",
        ("video_videochannel", "geo_core_enterprise"),
        visibility=SHARED,
        search=Search(  # by name or channel code
            6,
            """SELECT 'camera' AS kind, c.id, c.name, c.code, c.location AS geom, c.enterprise_id
               FROM video_videochannel c WHERE c.active AND c.location IS NOT NULL""",
            ("name", "code"),
        ),
        minzoom=13,
        style={
            "type": "circle",
            "label": {"field": "name", "minzoom": 17},
            "paint": {
                "circle-radius": 6,
                "circle-color": ByTerm("video_kind", "kind"),
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1.5,
            },
        },
    ),
    Layer(
        "video_fov",
        "视场 Fields of view",
        "What each fixed camera sees: a sector from its position, heading, angle and range (geodesic).",
        """SELECT c.id, c.code, c.name, c.kind, e.company_code, c.fov AS geom, c.enterprise_id
           FROM video_videochannel c LEFT JOIN geo_core_enterprise e ON e.id = c.enterprise_id
           WHERE c.active AND c.fov IS NOT NULL""",
        {"code": "string", "name": "string", "kind": "string", "company_code": "string"},
        "Polygon",
        ("video_videochannel", "geo_core_enterprise"),
        visibility=SHARED,
        minzoom=14,
        style={
            "type": "fill",
            "paint": {
                "fill-color": ByTerm("video_kind", "kind"),
                "fill-opacity": 0.12,
                "fill-outline-color": "#6f42c1",
            },
        },
    ),
    Layer(
        "alarms",
        "报警 Open alarms",
        "Alarms not yet resolved, with the standards' codes and severity.",
        """SELECT a.id, a.type, a.category, a.code, a.severity, a.status, a.company_code, a.raised_at,
                  a.ended_at, a.location AS geom, a.enterprise_id
           FROM alarms_open a WHERE a.location IS NOT NULL""",
        {
            "type": "string",
            "category": "string",
            "code": "string",
            "severity": "string",
            "status": "string",
            "company_code": "string",
            "raised_at": "datetime",
            "ended_at": "datetime",
        },
        "Point",
        ("alarms_alarm",),  # behind alarms' published view alarms_open: its change notices
        time_field="raised_at",
        live="alarms",
        heat=Heat(  # alarms raised in the last days, whatever became of them (but suppressed)
            "alarms",
            """SELECT a.location AS geom, a.enterprise_id FROM alarms_record a
               WHERE a.location IS NOT NULL AND a.raised_at > now() - make_interval(days => %(days)s)""",
        ),
        cluster_maxzoom=11,
        cluster_sums={"severe": "count(*) FILTER (WHERE severity IN ('critical', 'red'))"},
        style={
            "type": "circle",
            "paint": {"circle-radius": 7, "circle-color": ByTerm("severity", "severity")},
            "cluster-color": "#b31d28",
        },
    ),
]

BY_ID = {layer.id: layer for layer in LAYERS}
# What the registry's layers declare, gathered for those who read one kind of declaration.
LIVE_KINDS = {layer.id: layer.live_kinds for layer in LAYERS if layer.live == "positions"}  # stream layers -> kinds
SEARCHED = sorted((layer for layer in LAYERS if layer.search), key=lambda layer: layer.search.rank)
HEAT = {layer.heat.name: layer for layer in LAYERS if layer.heat}


def get(layer_id: str) -> Layer:
    try:
        return BY_ID[layer_id]
    except KeyError:
        raise NotFoundError(f"no layer {layer_id!r}; layers: {', '.join(BY_ID)}") from None


def _field_type(t: str) -> str:
    return {"integer": "Number", "number": "Number", "boolean": "Boolean"}.get(t, "String")


def vector_layers(layers: list[Layer]) -> list[dict]:
    """TileJSON's `vector_layers` (also the metadata of offline packages): what each layer's tiles carry."""
    return [
        {
            "id": layer.id,
            "description": layer.description,
            "minzoom": layer.minzoom,
            "maxzoom": layer.maxzoom,
            "fields": {name: _field_type(t) for name, t in layer.tile_fields.items()},
        }
        for layer in layers
    ]
