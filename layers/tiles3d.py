"""A 3D Tiles 1.1 tileset of the park's buildings and plant, generated from the sites' footprints and heights and the
zones inside them (glTF written by trimesh), kept in the database and served at /maps/3dtiles/.

What a site holds is read from its zones, as a plant is laid out: a forbidden zone is the tank farm (upright tanks in
rows), a work area the process unit (structures and columns up to the site's height), a post the control room (its
zone's height range); a site without zones is its footprint extruded to its height. A deployment with oblique
photography names its own tileset instead (GEO_3DTILES_URL); this one is what a new user sees and what the tests load.

Each site is one tile (its own glTF, placed by an east-north-up transform), with the site's id as tile metadata: a
pick on a building names the site it belongs to."""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
from dataclasses import dataclass

import numpy as np
import orjson
import shapely
import trimesh
from django.db import connection, transaction
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo_core.errors import NotFoundError
from geo_core.models import Site

log = logging.getLogger(__name__)

# CGCS2000 ellipsoid (a and f as GRS 80 up to 1e-4 mm: the same as WGS 84 at this scale).
A = 6378137.0
F = 1 / 298.257222101
E2 = F * (2 - F)
DEFAULT_HEIGHT_M = 12.0
STAMP_PATH = "stamp"
# Colours of the plant (RGBA), readable on the dark command-centre theme.
TANK = (214, 220, 226, 255)
UNIT = (112, 138, 164, 255)
COLUMN = (168, 182, 196, 255)
CONTROL = (222, 200, 160, 255)
BUILDING = (176, 184, 196, 255)
Y_UP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=float)  # ENU z-up -> glTF y-up


@dataclass
class SiteShape:
    id: int
    name: str
    footprint: MultiPolygon  # lon/lat
    height_m: float | None
    zones: list[tuple[str, MultiPolygon, float | None, float | None]]  # kind, geometry, height_min, height_max


def ecef(lon: np.ndarray, lat: np.ndarray, h: np.ndarray | float = 0.0) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    n = A / np.sqrt(1 - E2 * np.sin(lat) ** 2)
    return np.column_stack(
        [(n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon), (n * (1 - E2) + h) * np.sin(lat)]
    )


def enu_frame(lon0: float, lat0: float) -> np.ndarray:
    """The 4x4 east-north-up to Earth-centred matrix at a point (the tile's transform)."""
    lo, la = math.radians(lon0), math.radians(lat0)
    east = [-math.sin(lo), math.cos(lo), 0.0]
    north = [-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)]
    up = [math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)]
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = east, north, up, ecef(np.array([lon0]), np.array([lat0]))[0]
    return m


def _to_local(geom, frame: np.ndarray):
    """Lon/lat geometry -> metres east and north of the frame's origin (exact through ECEF)."""
    inv = np.linalg.inv(frame)

    def move(c: np.ndarray) -> np.ndarray:
        p = ecef(c[:, 0], c[:, 1])
        local = (np.column_stack([p, np.ones(len(p))]) @ inv.T)[:, :2]
        return local

    return shapely.transform(geom, move)


def _polygons(geom) -> list[Polygon]:
    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]


def _paint(mesh: trimesh.Trimesh, rgba: tuple[int, int, int, int]) -> trimesh.Trimesh:
    mesh.metadata["rgba"] = rgba
    return mesh


def _prism(poly: Polygon, bottom: float, top: float, rgba) -> trimesh.Trimesh:
    mesh = trimesh.creation.extrude_polygon(shapely.orient_polygons(poly), top - bottom, engine="earcut")
    mesh.apply_translation([0, 0, bottom])
    return _paint(mesh, rgba)


def _cylinder(x: float, y: float, radius: float, height: float, rgba) -> trimesh.Trimesh:
    mesh = trimesh.creation.cylinder(radius=radius, height=height, sections=20)
    mesh.apply_translation([x, y, height / 2])
    return _paint(mesh, rgba)


def _grid_inside(area: Polygon, spacing: float) -> list[tuple[float, float]]:
    xmin, ymin, xmax, ymax = area.bounds
    out = []
    for x in np.arange(xmin + spacing / 2, xmax, spacing):
        for y in np.arange(ymin + spacing / 2, ymax, spacing):
            if area.contains(Point(x, y).buffer(spacing * 0.42)):
                out.append((float(x), float(y)))
    return out


def plant(site: SiteShape, frame: np.ndarray) -> list[trimesh.Trimesh]:
    """The meshes of one site in metres east/north/up of its frame."""
    top = site.height_m or DEFAULT_HEIGHT_M
    meshes: list[trimesh.Trimesh] = []
    for kind, geom, _h_min, h_max in site.zones:
        for poly in _polygons(_to_local(geom, frame)):
            inner = poly.buffer(-3.0)
            if inner.is_empty or not isinstance(inner, Polygon):
                continue
            w = min(inner.bounds[2] - inner.bounds[0], inner.bounds[3] - inner.bounds[1])
            if kind == "forbidden":  # the tank farm: tanks in rows, spaced by their diameter and a half
                spacing = float(np.clip(w / 3, 14.0, 32.0))
                for x, y in _grid_inside(inner, spacing):
                    meshes.append(_cylinder(x, y, spacing * 0.36, min(top, spacing * 0.8), TANK))
            elif kind == "work_area":  # the process unit: frames at a third of the height, columns to the top
                cx, cy = inner.centroid.x, inner.centroid.y
                for dx in (-0.25, 0.25):
                    frame_box = box(cx + dx * w - w * 0.18, cy - w * 0.3, cx + dx * w + w * 0.18, cy + w * 0.3)
                    part = frame_box.intersection(inner)
                    for p in _polygons(part):
                        meshes.append(_prism(p, 0.0, top * 0.35, UNIT))
                for k, (dx, dy) in enumerate(((-0.3, 0.38), (0.0, 0.4), (0.3, 0.38))):
                    x, y = cx + dx * w, cy + dy * w
                    if inner.contains(Point(x, y)):
                        meshes.append(_cylinder(x, y, max(1.5, w * 0.03), top * (0.8 + 0.1 * k), COLUMN))
            elif kind == "post":  # the control room: the zone's own height range, a floor above its top
                height = (h_max or 6.0) + 3.0
                meshes.append(_prism(poly, 0.0, height, CONTROL))
    if not meshes:  # no plant known: the footprint is the building
        meshes = [_prism(p, 0.0, top, BUILDING) for p in _polygons(_to_local(site.footprint, frame))]
    return meshes


def glb(meshes: list[trimesh.Trimesh]) -> bytes:
    """One glTF binary, a mesh per colour with its material, y-up as glTF wants it (3D Tiles turns it back)."""
    scene = trimesh.Scene()
    for rgba in sorted({m.metadata["rgba"] for m in meshes}):
        mesh = trimesh.util.concatenate([m for m in meshes if m.metadata["rgba"] == rgba])
        mesh.apply_transform(Y_UP)
        material = trimesh.visual.material.PBRMaterial(baseColorFactor=rgba, metallicFactor=0.2, roughnessFactor=0.7)
        mesh.visual = trimesh.visual.TextureVisuals(material=material)
        scene.add_geometry(mesh)
    return scene.export(file_type="glb")


def read_sites() -> list[SiteShape]:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT s.id, s.name, ST_AsBinary(s.footprint), s.height_m,
                      coalesce(json_agg(json_build_object('kind', z.kind, 'wkb', encode(ST_AsBinary(z.geom), 'hex'),
                                                          'h0', z.height_min, 'h1', z.height_max))
                               FILTER (WHERE z.id IS NOT NULL), '[]')
               FROM geo_core_site s
               LEFT JOIN geo_core_zone z ON z.enterprise_id = s.enterprise_id AND z.active
                    AND z.kind IN ('forbidden', 'work_area', 'post')
                    AND ST_Covers(ST_Buffer(s.footprint, 1e-6), z.geom)
               GROUP BY s.id ORDER BY s.id"""
        )
        rows = cur.fetchall()
    out = []
    for sid, name, wkb, height, zones in rows:
        zs = orjson.loads(zones) if isinstance(zones, str | bytes) else zones
        out.append(
            SiteShape(
                id=sid,
                name=name,
                footprint=shapely.from_wkb(bytes(wkb)),
                height_m=height,
                zones=[(z["kind"], shapely.from_wkb(bytes.fromhex(z["wkb"])), z["h0"], z["h1"]) for z in zs],
            )
        )
    return out


def stamp_of(sites: list[SiteShape]) -> str:
    h = hashlib.sha256(b"tiles3d-v2")  # v2: files stored gzipped (a v1 tileset is rebuilt, not misread)
    for s in sites:
        h.update(orjson.dumps([s.id, s.height_m, shapely.to_wkb(s.footprint).hex()]))
        for kind, geom, h0, h1 in s.zones:
            h.update(orjson.dumps([kind, h0, h1, shapely.to_wkb(geom).hex()]))
    return h.hexdigest()[:32]


def tileset(sites: list[SiteShape], progress=None) -> dict[str, bytes]:
    """Files of the tileset by path: tileset.json and one site-<id>.glb per site."""
    files: dict[str, bytes] = {}
    children = []
    west = south = math.inf
    east = north = -math.inf
    for k, site in enumerate(sites):
        c = site.footprint.centroid
        frame = enu_frame(c.x, c.y)
        meshes = plant(site, frame)
        body = glb(meshes)
        files[f"site-{site.id}.glb"] = body
        top = max(float(m.bounds[1][2]) for m in meshes)  # z-up, before glb() turns them
        w, s, e, n = site.footprint.bounds
        west, south, east, north = min(west, w), min(south, s), max(east, e), max(north, n)
        children.append(
            {
                "boundingVolume": {
                    "region": [math.radians(w), math.radians(s), math.radians(e), math.radians(n), 0.0, top + 1.0]
                },
                "geometricError": 0.0,
                "content": {
                    "uri": f"site-{site.id}.glb",
                    "metadata": {"class": "site", "properties": {"id": site.id, "name": site.name}},
                },
                "transform": frame.T.reshape(-1).tolist(),  # column-major
            }
        )
        if progress:
            progress(k + 1, len(sites))
    top = max((ch["boundingVolume"]["region"][5] for ch in children), default=1.0)
    doc = {
        "asset": {"version": "1.1", "generator": "geoservice layers.tiles3d (trimesh)"},
        "schema": {
            "id": "geoservice",
            "classes": {
                "site": {"properties": {"id": {"type": "SCALAR", "componentType": "INT32"}, "name": {"type": "STRING"}}}
            },
        },
        "geometricError": 2000.0,
        "root": {
            "boundingVolume": {
                "region": [math.radians(west), math.radians(south), math.radians(east), math.radians(north), 0.0, top]
            },
            "geometricError": 500.0,
            "refine": "ADD",
            "children": children,
        },
    }
    if not children:
        doc["root"] = {"boundingVolume": {"region": [0, 0, 0, 0, 0, 0]}, "geometricError": 0.0, "refine": "ADD"}
    files["tileset.json"] = orjson.dumps(doc)
    return files


def build(force: bool = False, progress=None) -> dict:
    """Generate and store the tileset when the sites or their zones changed since the stored one (or when forced)."""
    from geo_core.models import TilesetFile

    sites = read_sites()
    stamp = stamp_of(sites)
    stored = TilesetFile.objects.filter(path=STAMP_PATH).values_list("etag", flat=True).first()
    if stored == stamp and not force:
        return {"built": False, "sites": len(sites), "stamp": stamp}
    files = tileset(sites, progress)
    with transaction.atomic():
        TilesetFile.objects.all().delete()
        TilesetFile.objects.bulk_create(
            [
                TilesetFile(
                    path=path,
                    content=gzip.compress(body, 9),
                    etag=hashlib.sha256(body).hexdigest()[:32],
                    content_type="application/json" if path.endswith(".json") else "model/gltf-binary",
                )
                for path, body in files.items()
            ]
            + [TilesetFile(path=STAMP_PATH, content=b"", etag=stamp, content_type="text/plain")]
        )
    size = sum(len(b) for b in files.values())
    log.info("3d tiles built", extra={"sites": len(sites), "files": len(files), "bytes": size})
    return {"built": True, "sites": len(sites), "files": len(files), "bytes": size, "stamp": stamp}


def visible_sites(scope) -> set[int]:
    where, params = Site.VISIBILITY.where(scope, "s.enterprise_id", "s.footprint")
    with connection.cursor() as cur:
        cur.execute(f"SELECT s.id FROM geo_core_site s WHERE {where}", params)
        return {r[0] for r in cur.fetchall()}


def served(path: str, scope) -> tuple[bytes, str, str, bool]:
    """(body, content type, etag, gzipped) of a stored tileset file as the caller may see it: the tileset lists only
    the sites in the caller's scope (plain JSON), and a site's glTF is answered only within it (gzipped as stored:
    compressed once when built, not per request). NotFoundError when there is none."""
    from geo_core.models import TilesetFile

    if path == STAMP_PATH:
        raise NotFoundError(f"no 3D Tiles file {path!r}")
    row = TilesetFile.objects.filter(path=path).values_list("content", "content_type", "etag").first()
    if row is None:
        raise NotFoundError(f"no 3D Tiles file {path!r} (manage.py build_3dtiles generates the park's tileset)")
    body, kind, tag = bytes(row[0]), row[1], row[2]
    visible = visible_sites(scope)
    if path == "tileset.json":
        doc = orjson.loads(gzip.decompress(body))
        kids = doc["root"].get("children", [])
        doc["root"]["children"] = [c for c in kids if c["content"]["metadata"]["properties"]["id"] in visible]
        body = orjson.dumps(doc)
        return body, kind, hashlib.sha256(body).hexdigest()[:32], False
    if path.startswith("site-") and path.endswith(".glb"):
        try:
            site = int(path[5:-4])
        except ValueError:
            raise NotFoundError(f"no 3D Tiles file {path!r}") from None
        if site not in visible:
            raise NotFoundError(f"no 3D Tiles file {path!r}")
    return body, kind, tag, True
