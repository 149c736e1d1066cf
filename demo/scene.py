"""Generate the demo park as plain records, deterministically from a seed.

Pure: the seed, an anchor time and the real district boundaries go in; records with shapely geometries come
out. Same inputs, same scene (tests compare fingerprints). The loader decides how to store it.

The park lies on the Hangzhou Bay coast across the Jinshan/Fengxian line, like the Shanghai Chemical Industry
Park: enterprise plots on a road grid clipped to the land, one plot straddling the district line, and several
enterprises with more than one site (一照多址).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import shapely
import shapely.ops
from shapely.geometry import MultiPolygon, Point, Polygon, box

from demo import vocab
from demo.motion import LocalFrame, gate_of
from geo_core.ingest.records import identity
from geo_core.partitions import PARK_TZ
from geo_core.permit_codes import MAX_VALIDITY, OPERATION_TYPE, TICKET_TYPES
from geo_core.validation import USCC_ALPHABET, uscc_check_char

JINSHAN, FENGXIAN = "310116", "310120"
PARK_CODE = "DEMO-SCIP"
PARK_NAME = "示范化学工业区"
PARK_AUTHORITY = "示范化学工业区管委会"
CITY_AUTHORITY = "上海市应急管理局"
# Park outline (lon, lat), clipped to the land of Jinshan and Fengxian.
PARK_OUTLINE = [
    (121.385, 30.748),
    (121.455, 30.756),
    (121.492, 30.772),
    (121.488, 30.808),
    (121.425, 30.818),
    (121.386, 30.800),
]
PARK_CENTRE = (121.44, 30.785)
SHIFTS = (("白班 08:00-20:00", 8), ("夜班 20:00-08:00", 20))  # name, start hour (park time)
SHIFT_HOURS = 12
PLOT_LON, PLOT_LAT, ROAD = 0.0115, 0.0088, 0.0009  # about 1100 m x 980 m cells, 90 m roads
# Relative weights of welding machines per district: area times an industrial factor for the big manufacturing
# districts (the rest by area alone).
INDUSTRY_FACTOR = {
    "310115": 2.0,
    "310112": 2.0,
    "310113": 1.8,
    "310114": 1.8,
    "310117": 1.5,
    "310116": 1.5,
    "310120": 1.3,
    "310118": 1.0,
    "310151": 0.3,
}


@dataclass(frozen=True)
class SceneSize:
    enterprises: int = 29
    people: int = 2000
    welders: int = 20000
    body_cameras: int = 60
    extra_permits: int = 45
    park_welder_share: float = 0.01  # welders owned by park enterprises, inside their sites


@dataclass
class Scene:
    seed: int
    anchor: datetime
    park: dict
    enterprises: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)
    time_windows: list[dict] = field(default_factory=list)
    zones: list[dict] = field(default_factory=list)
    subjects: list[dict] = field(default_factory=list)
    certificates: list[dict] = field(default_factory=list)
    permits: list[dict] = field(default_factory=list)
    contractors: list[dict] = field(default_factory=list)
    daily_filings: list[dict] = field(default_factory=list)
    equipment: list[dict] = field(default_factory=list)
    maintenance_units: list[dict] = field(default_factory=list)

    def fingerprint(self) -> str:
        """A hash of the whole scene (geometries as WKT at 1e-9 degree precision)."""

        def norm(value):
            if isinstance(value, shapely.Geometry):
                return shapely.to_wkt(shapely.set_precision(value, 1e-9), rounding_precision=9)
            if isinstance(value, date):  # datetime too
                return value.isoformat()
            if isinstance(value, timedelta):
                return value.total_seconds()
            if isinstance(value, dict):
                return {k: norm(v) for k, v in sorted(value.items())}
            if isinstance(value, list | tuple):
                return [norm(v) for v in value]
            return value

        body = {
            k: norm(getattr(self, k))
            for k in (
                "seed",
                "anchor",
                "park",
                "enterprises",
                "sites",
                "time_windows",
                "zones",
                "subjects",
                "certificates",
                "permits",
            )
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class _Local(LocalFrame):
    """Metres around the park, for buffers and offsets (azimuthal equidistant: exact distances near the centre)."""

    def circle(self, lon: float, lat: float, radius_m: float) -> Polygon:
        x, y = self.to_m(lon, lat)
        ring = np.asarray(Point(x, y).buffer(radius_m, quad_segs=8).exterior.coords)
        lons, lats = self.to_deg(ring[:, 0], ring[:, 1])
        return Polygon(np.column_stack([np.round(lons, 8), np.round(lats, 8)]))


def _random_points(rng: np.random.Generator, geom, n: int) -> np.ndarray:
    """n uniform random points inside geom (rejection sampling in its bounding box, vectorised)."""
    if n == 0:
        return np.empty((0, 2))
    shapely.prepare(geom)
    xmin, ymin, xmax, ymax = geom.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        batch = max(64, int((n - have) * 1.5 * box(xmin, ymin, xmax, ymax).area / max(geom.area, 1e-12)))
        xs = rng.uniform(xmin, xmax, batch)
        ys = rng.uniform(ymin, ymax, batch)
        keep = shapely.contains_xy(geom, xs, ys)
        pts = np.column_stack([xs[keep], ys[keep]])
        out.append(pts)
        have += len(pts)
    return np.round(np.concatenate(out)[:n], 7)


def _multi(geom) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return MultiPolygon(parts)


def _credit_code(rng: np.random.Generator, district: str) -> str:
    org = "".join(rng.choice(list(USCC_ALPHABET[:10]), 8)) + str(rng.choice(list(USCC_ALPHABET)))
    first17 = "91" + district + org
    return first17 + uscc_check_char(first17)


def _person_name(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(vocab.GIVEN, int(rng.integers(1, 3))))
    return str(rng.choice(vocab.SURNAMES)) + given


def build_scene(seed: int, anchor: datetime, districts: dict[str, dict], size: SceneSize | None = None) -> Scene:
    """districts: {code: {"name": str, "geom": shapely (Multi)Polygon}} for Shanghai's 16 districts."""
    size = size or SceneSize()
    missing = {JINSHAN, FENGXIAN} - districts.keys()
    if missing:
        raise ValueError(f"district boundaries needed for the demo park are not loaded: {sorted(missing)}")
    rng = np.random.default_rng(seed)
    local = _Local(*PARK_CENTRE)
    land = shapely.union(districts[JINSHAN]["geom"], districts[FENGXIAN]["geom"])
    fengxian = districts[FENGXIAN]["geom"]
    park_geom = _multi(shapely.intersection(Polygon(PARK_OUTLINE), land))
    scene = Scene(seed=seed, anchor=anchor, park={"code": PARK_CODE, "name": PARK_NAME, "boundary": park_geom})

    plots = _plots(park_geom, fengxian)
    _enterprises_and_sites(scene, rng, plots, size)
    _time_windows(scene)
    _zones(scene, rng, local)
    people_by_enterprise = _people(scene, rng, size)
    _welders(scene, rng, districts, size)
    _body_cameras(scene, rng, park_geom, size)
    _permits(scene, rng, local, people_by_enterprise, size)
    # Drawn from their own stream, so adding them left every other draw of a seed as it was.
    _contractors(scene, np.random.default_rng([seed, 2]), people_by_enterprise)
    _capacities(scene)
    _shifts(scene, np.random.default_rng([seed, 3]))
    _equipment(scene, np.random.default_rng([seed, 4]))
    _upkeep(scene, np.random.default_rng([seed, 5]))
    return scene


def _plots(park_geom, fengxian) -> list[dict]:
    """Road-grid plots inside the park, each with the share of its area in Fengxian."""
    xmin, ymin, xmax, ymax = park_geom.bounds
    plots = []
    for i in range(int(np.ceil((xmax - xmin) / PLOT_LON))):
        for j in range(int(np.ceil((ymax - ymin) / PLOT_LAT))):
            x0, y0 = xmin + i * PLOT_LON, ymin + j * PLOT_LAT
            cell = box(x0 + ROAD / 2, y0 + ROAD / 2, x0 + PLOT_LON - ROAD / 2, y0 + PLOT_LAT - ROAD / 2)
            geom = shapely.intersection(cell, park_geom)
            if geom.is_empty or geom.area < 0.45 * cell.area:
                continue
            geom = _multi(shapely.set_precision(geom, 1e-7))
            share_fx = shapely.intersection(geom, fengxian).area / geom.area
            plots.append({"geom": geom, "fengxian_share": share_fx, "cell": (i, j)})
    return plots


def _enterprises_and_sites(scene: Scene, rng: np.random.Generator, plots: list[dict], size: SceneSize) -> None:
    straddling = [p for p in plots if 0.2 <= p["fengxian_share"] <= 0.8]
    jinshan_only = [p for p in plots if p["fengxian_share"] < 0.01]
    if not straddling or len(jinshan_only) < 2:
        raise ValueError("the park outline no longer straddles the Jinshan/Fengxian line; check the boundaries")
    if len(plots) < size.enterprises:
        raise ValueError(f"only {len(plots)} plots for {size.enterprises} enterprises")
    # Enterprise 0 holds the straddling plot plus a Jinshan plot: it counts once in each district.
    first = [straddling[0], jinshan_only[0]]
    rest = [p for p in plots if p not in first]
    order = rng.permutation(len(rest))
    rest = [rest[k] for k in order]
    owners: list[list[dict]] = [[] for _ in range(size.enterprises)]
    owners[0] = first
    for e in range(1, size.enterprises):
        owners[e].append(rest[e - 1])
    # Six more enterprises get one or two further plots; the plots left over stay vacant land.
    leftovers = iter(rest[size.enterprises - 1 :])
    for e in rng.choice(np.arange(1, size.enterprises), size=6, replace=False):
        owners[int(e)].extend(p for _, p in zip(range(int(rng.integers(1, 3))), leftovers, strict=False))

    prefixes = list(rng.permutation(vocab.FIRM_PREFIX))
    for e, owned in enumerate(owners):
        industry, suffix = vocab.FIRM_KIND[int(rng.integers(len(vocab.FIRM_KIND)))]
        main = owned[0]
        district = FENGXIAN if main["fengxian_share"] > 0.5 else JINSHAN
        code = f"SCIP{e + 1:03d}"
        tags = sorted({str(t) for t in rng.choice(vocab.TAGS, int(rng.integers(1, 4)), replace=False)})
        scene.enterprises.append(
            {
                "company_code": code,
                "credit_code": _credit_code(rng, district),
                "name": f"上海{prefixes[e % len(prefixes)]}{suffix}",
                "industry": industry,
                "tags": tags,
                "major_hazard": True,
            }
        )
        for s, plot in enumerate(owned):
            scene.sites.append(
                {
                    "company_code": code,
                    "name": "主厂区" if s == 0 else f"第{s + 1}厂区",
                    "address": f"{PARK_NAME}{plot['cell'][0] + 1}号路{(plot['cell'][1] + 1) * 100}号",
                    "footprint": plot["geom"],
                    # The tallest structure, the process unit's columns (the 3D map extrudes to it); not drawn from
                    # `rng`, so the rest of the scene stays what it was.
                    "height_m": float(24 + (7 * e + 13 * s) % 22),
                }
            )


def _time_windows(scene: Scene) -> None:
    tz = scene.anchor.tzinfo
    year = scene.anchor.year
    scene.time_windows = [
        {
            "name": "夜间 22:00-06:00",
            "kind": "recurring",
            "purpose": "night",
            "starts_at": datetime(2024, 1, 1, 22, 0, tzinfo=tz),
            "rrule": "FREQ=DAILY",
            "duration": timedelta(hours=8),
            "ends_at": None,
        },
        {
            "name": "周末",
            "kind": "recurring",
            "purpose": "rest_day",
            "starts_at": datetime(2024, 1, 6, 0, 0, tzinfo=tz),
            "rrule": "FREQ=WEEKLY;BYDAY=SA",
            "duration": timedelta(hours=48),
            "ends_at": None,
        },
        {
            "name": f"进博会保障期 {year}",
            "kind": "period",
            "purpose": "key_period",
            "starts_at": datetime(year, 11, 3, 0, 0, tzinfo=tz),
            "ends_at": datetime(year, 11, 11, 0, 0, tzinfo=tz),
            "rrule": "",
            "duration": None,
        },
        {
            "name": f"国庆假期 {year}",
            "kind": "period",
            "purpose": "holiday",
            "starts_at": datetime(year, 10, 1, 0, 0, tzinfo=tz),
            "ends_at": datetime(year, 10, 8, 0, 0, tzinfo=tz),
            "rrule": "",
            "duration": None,
        },
    ]
    for name, hour in SHIFTS:
        scene.time_windows.append(
            {
                "name": name,
                "kind": "recurring",
                "purpose": "shift",
                "starts_at": datetime(2024, 1, 1, hour, 0, tzinfo=tz),
                "rrule": "FREQ=DAILY",
                "duration": timedelta(hours=SHIFT_HOURS),
                "ends_at": None,
            }
        )


def _capacities(scene: Scene) -> None:
    """A work area's capacity leaves room for the people who walk in it on a normal day (twice its share of the
    site's staff, all shifts in), so `over_capacity` means a crowd, not a busy hour."""
    points = [Point(s["state"]["lon"], s["state"]["lat"]) for s in scene.subjects if s["kind"] == "person"]
    tree = shapely.STRtree(points)
    for z in scene.zones:
        if z["kind"] == "work_area" and z.get("capacity_max"):
            inside = len(tree.query(z["geom"], predicate="contains"))
            z["capacity_max"] = max(z["capacity_max"], 2 * inside + 10)


def _on_shift(hour: int, t: datetime) -> tuple[bool, datetime]:
    """Whether the shift starting daily at `hour` is in force at `t` (park time), and when it last ended."""
    start = t.replace(hour=hour, minute=0, second=0, microsecond=0)
    if start > t:
        start -= timedelta(days=1)
    end = start + timedelta(hours=SHIFT_HOURS)
    return t < end, end if end <= t else end - timedelta(days=1)


# Special equipment at the plants (seed 001): kind, its TSG category digit (the first of a registry code), weight.
EQUIPMENT_KINDS = [
    ("pressure_vessel", "2", 0.35),
    ("crane", "4", 0.2),
    ("pressure_piping", "8", 0.15),
    ("elevator", "3", 0.15),
    ("boiler", "1", 0.1),
    ("plant_vehicle", "5", 0.05),
]
MONITORING = [("online", 0.85), ("offline", 0.07), ("fault", 0.06), ("alarm", 0.02)]
# What the monitors need to know of a device (demo/monitors.py, geo_core.ingest.equipment): an elevator's floors, the
# limits the service checks pressure equipment against (the registration's design pressure and temperature).
EQUIPMENT_ATTRIBUTES = {
    "elevator": {"floors": 12},
    "boiler": {"limits": {"pressure_max_mpa": 1.25, "temperature_max_c": 194.0}},
    "pressure_vessel": {"limits": {"pressure_max_mpa": 1.6}},
    "pressure_piping": {"limits": {"pressure_max_mpa": 2.5}},
}


def _equipment(scene: Scene, rng: np.random.Generator) -> None:
    """One to four pieces of special equipment inside each site, with their IoT monitor's state."""
    kinds, codes, weights = zip(*EQUIPMENT_KINDS, strict=True)
    states, shares = zip(*MONITORING, strict=True)
    names = dict(zip(kinds, ("储罐", "桥式起重机", "工艺管道", "电梯", "燃气锅炉", "叉车"), strict=True))
    enterprise_name = {e["company_code"]: e["name"] for e in scene.enterprises}
    n = 0
    for site in scene.sites:
        geom = site["footprint"]
        x0, y0, x1, y1 = geom.bounds
        for _ in range(int(rng.integers(1, 5))):
            k = int(rng.choice(len(kinds), p=np.array(weights) / sum(weights)))
            while True:
                pt = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
                if geom.contains(pt):
                    break
            n += 1
            scene.equipment.append(
                {
                    "registry_code": f"{codes[k]}310116{n:05d}",
                    "kind": kinds[k],
                    "name": f"{site['name']}{names[kinds[k]]}{n % 7 + 1}号",
                    "company_code": site["company_code"],
                    "using_unit": enterprise_name[site["company_code"]],
                    "maintenance_unit": vocab.MAINTENANCE_UNITS[int(rng.integers(len(vocab.MAINTENANCE_UNITS)))],
                    "address": site["address"],
                    "monitoring": str(rng.choice(states, p=shares)),
                    "monitored_at": scene.anchor - timedelta(minutes=float(rng.uniform(0, 30))),
                    "location": shapely.set_precision(pt, 1e-7),
                    "attributes": EQUIPMENT_ATTRIBUTES.get(kinds[k], {}),
                }
            )


def _upkeep(scene: Scene, rng: np.random.Generator) -> None:
    """The maintenance units around the park with two or three rescue stations each, and each device's upkeep dates:
    most in order, a few overdue for maintenance (TSG T5002's 15 days) or inspection, some due next month, one
    failed inspection, one unit's licence and a few contracts near their end (seed 001's reminders)."""
    local = _Local(*PARK_CENTRE)
    today = scene.anchor.astimezone(PARK_TZ).date()
    for k, name in enumerate(vocab.MAINTENANCE_UNITS):
        angle = 2 * np.pi * k / len(vocab.MAINTENANCE_UNITS)
        x, y = 4500 * np.cos(angle), 3500 * np.sin(angle)
        lon, lat = local.to_deg(np.array([x]), np.array([y]))
        stations = []
        for j in range(2 + k % 2):
            sx, sy = x * (0.35 + 0.3 * j) + rng.uniform(-400, 400), y * (0.35 + 0.3 * j) + rng.uniform(-400, 400)
            slon, slat = local.to_deg(np.array([sx]), np.array([sy]))
            stations.append(
                {
                    "name": f"救援站{j + 1}",
                    "phone": f"021-5{k}{j}0{int(rng.integers(1000, 9999))}",
                    "location": Point(round(float(slon[0]), 7), round(float(slat[0]), 7)),
                }
            )
        scene.maintenance_units.append(
            {
                "name": name,
                "phone": f"021-6{k}00{int(rng.integers(1000, 9999))}",
                "licence_no": f"TS3431{k:03d}{int(rng.integers(1000, 9999))}",
                "licence_expires": today + timedelta(days=20 if k == 1 else int(rng.integers(200, 900))),
                "address": f"上海市金山区{['金山卫镇', '山阳镇', '漕泾镇', '亭林镇'][k % 4]}工业路{10 + k * 7}号",
                "location": Point(round(float(lon[0]), 7), round(float(lat[0]), 7)),
                "stations": stations,
            }
        )
    for n, q in enumerate(scene.equipment):
        roll = rng.uniform()
        q["manufactured_on"] = today - timedelta(days=int(rng.uniform(0.5, 28) * 365))
        q["maintenance_interval_days"] = 15 if q["kind"] == "elevator" else 30
        late = roll < 0.08  # 维保逾期
        q["maintained_at"] = scene.anchor - timedelta(
            days=float(q["maintenance_interval_days"] + rng.uniform(1, 10) if late else rng.uniform(0, 11))
        )
        due = int(rng.integers(-25, 0)) if 0.08 <= roll < 0.12 else int(rng.integers(5, 400))  # 超期未检
        q["inspection_due"] = today + timedelta(days=due)
        q["inspected_on"] = q["inspection_due"] - timedelta(days=365)
        q["inspection_passed"] = n != 3  # one failed inspection
        q["contract_expires"] = today + timedelta(
            days=int(rng.integers(10, 25) if roll > 0.95 else rng.integers(60, 700))
        )


def _shifts(scene: Scene, rng: np.random.Generator) -> None:
    """Every person works a shift: half the day, half the night; a running permit's crew is on the shift now in
    force. Who is off duty was last seen outside their site's gate, when their shift ended (tags are left silent)."""
    local = _Local(*PARK_CENTRE)
    sites = list(scene.sites)
    to_m = [shapely.transform(s["footprint"], lambda c: np.column_stack(local.to_m(c[:, 0], c[:, 1]))) for s in sites]
    taken = shapely.union_all(to_m)
    gates: dict[int, tuple[float, float]] = {}
    crews = {
        (p["company_code"], ext) for p in scene.permits if p["status"] == 2 for ext in [p["guardian"], *p["workers"]]
    }
    anchor = scene.anchor.astimezone(PARK_TZ)
    on_now = next(k for k, (_, hour) in enumerate(SHIFTS) if _on_shift(hour, anchor)[0])
    for s in scene.subjects:
        if s["kind"] != "person":
            continue
        k = on_now if (s["company_code"], s["external_id"]) in crews else int(rng.integers(len(SHIFTS)))
        name, hour = SHIFTS[k]
        s["shift"] = name
        on, ended = _on_shift(hour, anchor)
        if on:
            continue
        st = s["state"]
        pt = Point(*local.to_m(st["lon"], st["lat"]))
        j = min(
            (j for j, site in enumerate(sites) if site["company_code"] == s["company_code"]),
            key=lambda j: to_m[j].distance(pt),
        )
        if j not in gates:
            gates[j] = local.to_deg(*gate_of(to_m[j], shapely.difference(taken, to_m[j]))[1])
        st["lon"], st["lat"] = (round(float(v), 8) for v in gates[j])
        st["time"] = ended


def _sub_box(geom, fx0: float, fy0: float, fx1: float, fy1: float) -> MultiPolygon:
    """The part of `geom` at fractions of its frame: its bounding box when it is (nearly) a rectangle, otherwise
    the square inscribed in its largest inner circle, so that clipped plots still hold every zone."""
    xmin, ymin, xmax, ymax = geom.bounds
    if geom.area < 0.95 * (xmax - xmin) * (ymax - ymin):
        circle = shapely.maximum_inscribed_circle(geom)
        centre, edge = shapely.get_coordinates(circle)
        half = float(np.hypot(*(edge - centre))) / np.sqrt(2)
        xmin, ymin, xmax, ymax = centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half
    w, h = xmax - xmin, ymax - ymin
    part = box(xmin + fx0 * w, ymin + fy0 * h, xmin + fx1 * w, ymin + fy1 * h)
    return _multi(shapely.set_precision(shapely.intersection(part, geom), 1e-7))


def _zones(scene: Scene, rng: np.random.Generator, local: _Local) -> None:
    night, weekend, key_period, _holiday = (w["name"] for w in scene.time_windows[:4])
    park = scene.park["boundary"]
    scene.zones.append(
        {
            "name": f"{PARK_NAME}边界",
            "kind": "site_boundary",
            "authority": PARK_AUTHORITY,
            "geom": park,
            "windows": [],
            "window_mode": "always",
        }
    )
    for site in scene.sites:
        fp, code, label = site["footprint"], site["company_code"], site["name"]
        base = {"company_code": code, "windows": [], "window_mode": "always"}
        zones = [
            {"name": f"{label}厂界", "kind": "site_boundary", "geom": fp},
            {"name": f"{label}罐区禁区", "kind": "forbidden", "geom": _sub_box(fp, 0.05, 0.05, 0.35, 0.35)},
            {
                "name": f"{label}装置作业区",
                "kind": "work_area",
                "geom": _sub_box(fp, 0.45, 0.40, 0.90, 0.85),
                "capacity_max": int(rng.integers(20, 60)),
            },
            {
                "name": f"{label}中控室",
                "kind": "post",
                "geom": _sub_box(fp, 0.45, 0.10, 0.55, 0.20),
                "capacity_min": 2,
                "capacity_max": 12,
                "floor": 2,
                "height_min": 4.0,
                "height_max": 8.0,
            },
            {"name": f"{label}紧急集合点", "kind": "muster_point", "geom": _sub_box(fp, 0.05, 0.85, 0.15, 0.95)},
        ]
        for z in zones:
            scene.zones.append(base | z)
    # Park-wide key places where hot work is watched at night and in key periods.
    xmin, ymin, xmax, ymax = park.bounds
    # The jetty sits on the coast: the point of the park's edge nearest its south-east corner.
    jetty = shapely.ops.nearest_points(park.boundary, Point(xmin + 0.75 * (xmax - xmin), ymin))[0]
    for name, (lon, lat) in (
        ("公共管廊", (xmin + 0.48 * (xmax - xmin), ymin + 0.50 * (ymax - ymin))),
        ("化工码头", (jetty.x, jetty.y)),
        ("危化品停车场", (xmin + 0.20 * (xmax - xmin), ymin + 0.70 * (ymax - ymin))),
    ):
        geom = _multi(shapely.intersection(local.circle(lon, lat, 180.0), park))
        scene.zones.append(
            {
                "name": name,
                "kind": "key_place",
                "authority": PARK_AUTHORITY,
                "geom": geom,
                "windows": [night, weekend, key_period],
                "window_mode": "inside",
            }
        )
    for name, lon, lat in vocab.CITY_KEY_PLACES:
        geom = MultiPolygon([local.circle(lon, lat, 800.0)])
        scene.zones.append(
            {
                "name": name,
                "kind": "key_place",
                "authority": CITY_AUTHORITY,
                "geom": geom,
                "windows": [key_period],
                "window_mode": "inside",
            }
        )
    for z in scene.zones:
        z["geom"] = _multi(z["geom"])
        if z["geom"].is_empty or not z["geom"].is_valid:
            raise ValueError(f"zone {z['name']!r}: generated geometry is empty or invalid")


def _people(scene: Scene, rng: np.random.Generator, size: SceneSize) -> dict[str, dict[str, list[str]]]:
    sites_by_code: dict[str, list] = {}
    for s in scene.sites:
        sites_by_code.setdefault(s["company_code"], []).append(s["footprint"])
    codes = [e["company_code"] for e in scene.enterprises]
    area = np.array([sum(g.area for g in sites_by_code[c]) for c in codes])
    minimum = min(20, size.people // len(codes))
    extra = rng.multinomial(size.people - minimum * len(codes), area / area.sum())
    out: dict[str, dict[str, list[str]]] = {}
    n = 0
    # People stand where people work: not inside forbidden zones (the incidents put someone there on purpose).
    forbidden = shapely.union_all([z["geom"] for z in scene.zones if z["kind"] == "forbidden"])
    for code, count in zip(codes, extra + minimum, strict=True):
        geoms = sites_by_code[code]
        weights = np.array([g.area for g in geoms])
        which = rng.choice(len(geoms), size=int(count), p=weights / weights.sum())
        types = rng.choice(["01", "02", "03"], size=int(count), p=[0.75, 0.2, 0.05])
        groups: dict[str, list[str]] = {"01": [], "02": [], "03": []}
        for site_index in range(len(geoms)):
            idx = np.flatnonzero(which == site_index)
            walkable = shapely.difference(geoms[site_index], forbidden)
            pts = _random_points(rng, walkable if not walkable.is_empty else geoms[site_index], len(idx))
            for k, (lon, lat) in zip(idx, pts, strict=True):
                n += 1
                ext = f"{code}-P{int(k) + 1:04d}"
                ptype = str(types[k])
                groups[ptype].append(ext)
                scene.subjects.append(
                    {
                        "kind": "person",
                        "external_id": ext,
                        "company_code": code,
                        "name": _person_name(rng),
                        "person_type": ptype,
                        "attributes": {
                            "department": str(rng.choice(vocab.DEPARTMENTS)),
                            "position": str(rng.choice(vocab.POSITIONS)),
                            "gender": str(rng.integers(0, 2)),
                        },
                        "state": {
                            "lon": float(lon),
                            "lat": float(lat),
                            "accuracy_m": float(rng.uniform(0.5, 3.0)),
                            "floor": None,
                            "live": {"battery": int(rng.integers(20, 101))},
                        },
                    }
                )
                if ptype == "02" and rng.random() < 0.5:
                    scene.certificates.append(
                        {
                            "external_id": ext,
                            "company_code": code,
                            "category": vocab.CERT_CATEGORIES[0],
                            "number": f"T31{n:012d}",
                            **_certificate_holder(rng, scene.anchor.date()),
                        }
                    )
        out[code] = groups
    return out


def _welders(scene: Scene, rng: np.random.Generator, districts: dict[str, dict], size: SceneSize) -> None:
    in_park = round(size.welders * size.park_welder_share)
    codes = sorted(districts)
    weights = np.array([districts[c]["geom"].area * INDUSTRY_FACTOR.get(c, 1.0) for c in codes])
    per_district = rng.multinomial(size.welders - in_park, weights / weights.sum())
    i = 0

    def add(lon: float, lat: float, district: str, unit: str, company_code: str | None) -> None:
        nonlocal i
        i += 1
        mobile = company_code is None and rng.random() < 0.15
        powered = rng.random() < 0.1
        scene.subjects.append(
            {
                "kind": "welder",
                "external_id": f"WM{i:06d}",
                "company_code": company_code,
                "name": f"{rng.choice(vocab.WELDER_BRANDS)}焊机 {i:06d}",
                "chip_id": f"86{31000000000 + i:013d}",
                "qr_code": f"SH-HJ-{district}-{i:06d}",
                "mobility": "mobile" if mobile else "fixed",
                "attributes": {
                    "unit": unit,
                    "district": district,
                    "rated_current_a": int(rng.choice([200, 250, 315, 400, 500])),
                },
                "state": {
                    "lon": float(lon),
                    "lat": float(lat),
                    "accuracy_m": float(rng.uniform(30.0, 500.0)),
                    "floor": None,
                    "live": {"power": "on" if powered else "off"},
                },
            }
        )

    for code, count in zip(codes, per_district, strict=True):
        name = districts[code]["name"]
        units = [
            f"上海{name[:-1]}{rng.choice(vocab.FIRM_PREFIX)!s}{rng.choice(vocab.WELDING_UNIT_SUFFIX)!s}"
            for _ in range(max(1, int(count) // 10))
        ]
        for lon, lat in _random_points(rng, districts[code]["geom"], int(count)):
            add(lon, lat, code, str(rng.choice(units)), None)
        _city_welders(scene, rng, districts[code]["geom"], code, units, max(1, int(count) // 5))
    by_code = {e["company_code"]: e for e in scene.enterprises}
    sites = scene.sites
    for k in range(in_park):
        site = sites[k % len(sites)]
        ((lon, lat),) = _random_points(rng, site["footprint"], 1)
        district = FENGXIAN if shapely.contains_xy(districts[FENGXIAN]["geom"], lon, lat) else JINSHAN
        add(lon, lat, district, by_code[site["company_code"]]["name"], site["company_code"])


def _certificate_holder(rng: np.random.Generator, today) -> dict:
    """Who holds a certificate, as the issuing registry lists them: authority (most from Shanghai, the rest from the
    provinces migrant welders come from), birth date (22-62), first issued and valid for six years (some lapsed)."""
    authority = str(rng.choice(vocab.CERT_AUTHORITIES, p=vocab.CERT_AUTHORITY_SHARES))
    issued = today - timedelta(days=int(rng.integers(60, 2100)))
    valid = issued + timedelta(days=6 * 365)
    if rng.random() < 0.08:
        valid = today - timedelta(days=int(rng.integers(1, 120)))
        issued = min(issued, valid - timedelta(days=365))
    age = float(np.clip(rng.normal(42, 9), 22, 62))
    birth = today - timedelta(days=int(age * 365.25))
    return {"authority": authority, "birth_date": birth, "issued_on": issued, "valid_until": valid}


def _city_welders(scene: Scene, rng: np.random.Generator, geom, district: str, units: list, n: int) -> None:
    """The district's certified welders (持证焊工): known from the registry, not tracked; each registered where their
    unit works. The simulator's start-ups (扫码开机) name them."""
    today = scene.anchor.date()
    for lon, lat in _random_points(rng, geom, n):
        k = len(scene.certificates) + 1
        scene.certificates.append(
            {
                "external_id": None,
                "company_code": None,
                "holder_name": _person_name(rng),
                "unit": str(rng.choice(units)),
                "category": vocab.CERT_CATEGORIES[0],
                "number": f"W{district}{k:08d}",
                "district": district,
                "lon": float(lon),
                "lat": float(lat),
                **_certificate_holder(rng, today),
            }
        )


def _body_cameras(scene: Scene, rng: np.random.Generator, park_geom, size: SceneSize) -> None:
    pts = _random_points(rng, park_geom, size.body_cameras)
    for k, (lon, lat) in enumerate(pts):
        unit = "金山区应急管理局" if k % 2 == 0 else "奉贤区应急管理局"
        scene.subjects.append(
            {
                "kind": "body_camera",
                "external_id": f"BC{k + 1:04d}",
                "company_code": None,
                "name": f"执法记录仪 {k + 1:04d}",
                "attributes": {"holder": f"执法人员{_person_name(rng)}", "unit": unit},
                "state": {
                    "lon": float(lon),
                    "lat": float(lat),
                    "accuracy_m": float(rng.uniform(2.0, 10.0)),
                    "floor": None,
                    "live": {"recording": bool(rng.random() < 0.3)},
                },
            }
        )


PERMIT_INSET_DEG = 0.0002  # about 20 m


def _permits(scene: Scene, rng: np.random.Generator, local: _Local, people: dict, size: SceneSize) -> None:
    sites_by_code: dict[str, list[dict]] = {}
    for s in scene.sites:
        sites_by_code.setdefault(s["company_code"], []).append(s)
    codes = [e["company_code"] for e in scene.enterprises]
    combos = [(t, st) for t in list(TICKET_TYPES) for st in range(7)]
    combos += [(str(rng.choice(list(TICKET_TYPES))), 2) for _ in range(size.extra_permits)]
    counters: dict[str, int] = {}
    person = {(s["company_code"], s["external_id"]): s for s in scene.subjects if s["kind"] == "person"}
    at_work: set[tuple[str, str]] = set()
    for n, (ttype, status) in enumerate(combos):
        code = codes[int(rng.integers(len(codes)))]
        site = sites_by_code[code][int(rng.integers(len(sites_by_code[code])))]
        # Work is done inside the plant: 20 m or more from its fence, so a crew at its work is on its site.
        inner = site["footprint"].buffer(-PERMIT_INSET_DEG)
        ((lon, lat),) = _random_points(rng, inner if not inner.is_empty else site["footprint"], 1)
        longest = MAX_VALIDITY.get(ttype) or timedelta(hours=48)
        length = min(longest, timedelta(hours=int(rng.integers(2, 49))))
        anchor = scene.anchor
        if status in (0, 1):  # not yet started
            start = anchor + timedelta(hours=int(rng.integers(1, 24)))
        elif status in (2, 6):  # running or paused: started, not yet due to end
            start = anchor - length * float(rng.uniform(0.1, 0.9))
        else:  # accepted, voided, revoked: in the past
            start = anchor - length - timedelta(hours=int(rng.integers(1, 72)))
        start = start.replace(second=0, microsecond=0)
        contractor = bool(rng.random() < 0.4)
        group = people[code]
        everyone = group["01"] + group["02"] + group["03"]
        internal = group["01"] if len(group["01"]) >= 2 else everyone
        pool = (group["02"] or internal) if contractor else internal
        workers = sorted({str(w) for w in rng.choice(pool, int(rng.integers(1, 4)))})
        guardian, approver = (str(x) for x in rng.choice(internal, 2, replace=False))
        counters[code] = counters.get(code, 0) + 1
        op = OPERATION_TYPE[ttype]
        gas = []
        if op in ("hot_work", "confined_space"):
            for g, unit, lo, hi in vocab.GASES[: 3 if op == "hot_work" else 4]:
                value = round(float(rng.uniform(lo, hi)), 2) if g != "O2" else round(float(rng.uniform(19.8, 21.0)), 1)
                gas.append(
                    {
                        "gas_name": g,
                        "unit": unit,
                        "value": value,
                        "qualified": lo <= value <= hi,
                        "sampled_at": start - timedelta(minutes=int(rng.integers(5, 30))),
                    }
                )
        scene.permits.append(
            {
                "company_code": code,
                "site_name": site["name"],
                "ticket_no": f"{code}-{ttype}-{scene.anchor:%Y%m}-{counters[code]:04d}",
                "ticket_type": ttype,
                "status": status,
                "content": vocab.PERMIT_CONTENT[op],
                "location": Point(float(lon), float(lat)),
                "work_area": MultiPolygon([local.circle(float(lon), float(lat), float(rng.uniform(8.0, 25.0)))]),
                "planned_start": start,
                "planned_end": start + length,
                "actual_start": start if status in (2, 3, 6) else None,
                "actual_end": start + length if status == 3 else None,
                "approved_at": min(start, anchor) - timedelta(minutes=10) if status >= 1 else None,
                "guardian": guardian,
                "approver": approver,
                "workers": workers,
                "supervisor_name": _person_name(rng),
                "is_contractor_work": contractor,
                "video_url": f"https://video.demo.invalid/permits/{code}/{n}.m3u8" if ttype == "01" else "",
                "gas_tests": gas,
            }
        )
        if status == 2:  # work in progress: its guardian and workers are at the work (first permit wins)
            for k, ext in enumerate([guardian, *workers]):
                if (code, ext) not in at_work:
                    at_work.add((code, ext))
                    state = person[(code, ext)]["state"]
                    state["lon"], state["lat"] = float(lon) + 0.00002 * (k + 1), float(lat) + 0.00001 * k
        if status == 2 and op in ("hot_work", "lifting", "confined_space"):
            # A temporary cordon around running high-risk work.
            scene.zones.append(
                {
                    "name": f"{scene.permits[-1]['ticket_no']}作业警戒区",
                    "kind": "temporary",
                    "company_code": code,
                    "geom": MultiPolygon([local.circle(float(lon), float(lat), 30.0)]),
                    "windows": [],
                    "window_mode": "always",
                    "attributes": {"permit": scene.permits[-1]["ticket_no"]},
                }
            )


UNFILED = 5  # the enterprise (by index) that filed no daily commitment: the demo's standing `unfiled_special_work`
VIDEO_MISSING_EVERY = 40  # one permit in forty has no on-site video linked


def _contractors(scene: Scene, rng: np.random.Generator, people: dict) -> None:
    """The park's contractor units, each engaged by some enterprises. Every contractor-type person (02) is staff of
    a unit their enterprise engages, filed for that enterprise, certified by the park and trained: in order, but for
    one whose training has lapsed (a `contractor_unqualified` to find). Contractor permits name their unit; a few
    permits lack their video; every enterprise but one files today's commitment with the special work it has."""
    day = scene.anchor.astimezone(PARK_TZ).date()
    codes = [e["company_code"] for e in scene.enterprises]
    units = [
        {
            "credit_code": _credit_code(rng, JINSHAN),
            "name": name,
            "enterprises": [],
            "staff": [],
            "certified": (day - timedelta(days=200), day + timedelta(days=165)),
        }
        for name in vocab.CONTRACTOR_UNITS
    ]
    engaged: dict[str, list[dict]] = {}
    for code in codes:
        engaged[code] = [units[int(k)] for k in rng.choice(len(units), size=2, replace=False)]
        for u in engaged[code]:
            u["enterprises"].append(code)
    person = {(s["company_code"], s["external_id"]): s for s in scene.subjects if s["kind"] == "person"}
    unit_of: dict[tuple[str, str], dict] = {}
    lapsed = True
    for code in codes:
        for ext in people[code]["02"]:
            u = engaged[code][int(rng.integers(2))]
            number = f"310{int(rng.integers(100, 999))}19{int(rng.integers(70, 99))}{int(rng.integers(10**7, 10**8))}"
            masked, sha = identity({"ID": number}, "ID")
            subject = person[(code, ext)]
            subject["attributes"] |= {"identify_masked": masked, "identify_sha256": sha}
            trained = (day - timedelta(days=300), day + timedelta(days=65))
            if lapsed:  # the one whose yearly training ran out last week
                trained, lapsed = (day - timedelta(days=372), day - timedelta(days=7)), False
            u["staff"].append(
                {
                    "company_code": code,
                    "external_id": ext,
                    "name": subject["name"],
                    "sha": sha,
                    "masked": masked,
                    "trained": trained,
                    "certified": u["certified"],
                }
            )
            unit_of[(code, ext)] = u
    scene.contractors = units
    running: dict[str, dict[str, int]] = {}
    for k, p in enumerate(scene.permits):
        if p["is_contractor_work"]:
            named = [unit_of[(p["company_code"], w)] for w in p["workers"] if (p["company_code"], w) in unit_of]
            p["contractor_code"] = (named or engaged[p["company_code"]])[0]["credit_code"]
        code = p["company_code"]
        if not p["video_url"] and k % VIDEO_MISSING_EVERY != 7:
            p["video_url"] = f"https://video.demo.invalid/permits/{code}/{k}.m3u8"
        # Hot work into the night, a rest day or a holiday is upgraded (GB 30871), but for one permit in ten.
        p["upgraded"] = p["ticket_type"] in ("02", "03") and k % 10 != 4
        if p["status"] in (1, 2, 6):
            work = running.setdefault(code, {})
            work[p["ticket_type"]] = work.get(p["ticket_type"], 0) + 1
    for k, code in enumerate(codes):
        if k != UNFILED:
            scene.daily_filings.append(
                {
                    "company_code": code,
                    "day": day,
                    "special_work": running.get(code, {}),
                    "person_in_charge": _person_name(rng),
                    "commitment": "今日特殊作业已落实安全措施，风险可控",
                }
            )
