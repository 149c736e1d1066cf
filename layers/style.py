"""The MapLibre style of the 2D view (`/maps/style.json`) and its sprite, both generated from the registry: one
source for the layers, each layer's default paint, permits as distinct icons (a shape per GB 30871 operation type,
a colour per AQ 3064.2 status), alarm severities as colours. The sprite is drawn here with numpy (no image assets
to keep in step with the code) and written as PNG by rasterio."""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from geo_core import vocabulary
from geo_core.permit_codes import OPERATION_TYPE, STATUSES
from layers import basemap
from layers.glyphs import DEFAULT_STACK
from layers.registry import HEAT, LAYERS, ByTerm, Layer

ICON = 24  # pixels at 1x
OPERATIONS = sorted(set(OPERATION_TYPE.values()))


def _status_colour(status: int) -> tuple[int, int, int]:
    """A permit status's colour (geo_core.vocabulary `permit_status`) as RGB."""
    hexa = next(t.colour for t in vocabulary.get("permit_status").terms if t.code == str(status))
    return int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16)


def _shape(operation: str, n: int) -> np.ndarray:
    """A boolean mask of the operation's shape on an n x n canvas."""
    c = (n - 1) / 2
    yy, xx = np.mgrid[0:n, 0:n]
    dx, dy = (xx - c) / c, (yy - c) / c
    r = np.hypot(dx, dy)
    shapes = {
        "hot_work": (dy > -0.85) & (dy < 0.8) & (np.abs(dx) < (dy + 0.85) * 0.6),  # triangle (flame)
        "confined_space": (np.abs(dx) < 0.75) & (np.abs(dy) < 0.75),  # square (a vessel)
        "blinding": np.abs(dx) + np.abs(dy) < 0.9,  # diamond
        "height": (dy < 0.85) & (dy > -0.8) & (np.abs(dx) < (0.85 - dy) * 0.55),  # inverted triangle
        "lifting": (r < 0.9) & (r > 0.45),  # ring (a hook's eye)
        "temporary_power": (np.abs(dx + dy * 0.4) < 0.3) & (np.abs(dy) < 0.9),  # slanted bar (a bolt)
        "excavation": ((np.abs(dx) < 0.25) | (np.abs(dy) < 0.25)) & (r < 0.95),  # cross
        "road_closure": (np.abs(dy) < 0.35) & (np.abs(dx) < 0.9),  # bar
    }
    return shapes[operation]


def _icon(operation: str, status: int, n: int) -> np.ndarray:
    mask = _shape(operation, n)
    edge = mask & ~(np.roll(mask, 1, 0) & np.roll(mask, -1, 0) & np.roll(mask, 1, 1) & np.roll(mask, -1, 1))
    rgba = np.zeros((4, n, n), dtype=np.uint8)
    for k, v in enumerate(_status_colour(status)):
        rgba[k][mask] = v
    rgba[:3, edge] = 255  # a white outline reads on any basemap
    rgba[3][mask] = 255
    return rgba


@cache
def sprite(ratio: int = 1) -> tuple[bytes, dict]:
    """(PNG, index) with one icon `permit-<operation>-<status>` for every pair."""
    n = ICON * ratio
    names = [(op, st) for op in OPERATIONS for st in sorted(STATUSES)]
    cols = len(STATUSES)
    rows = -(-len(names) // cols)
    sheet = np.zeros((4, rows * n, cols * n), dtype=np.uint8)
    index = {}
    for k, (op, st) in enumerate(names):
        r, c = divmod(k, cols)
        sheet[:, r * n : (r + 1) * n, c * n : (c + 1) * n] = _icon(op, st, n)
        index[f"permit-{op}-{st}"] = {"x": c * n, "y": r * n, "width": n, "height": n, "pixelRatio": ratio}
    with warnings.catch_warnings(), MemoryFile() as mem:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with mem.open(driver="PNG", width=cols * n, height=rows * n, count=4, dtype="uint8") as dst:
            dst.write(sheet)
        return mem.read(), index


TEXT = {"text-font": list(DEFAULT_STACK), "text-size": 12}
HALO = {"text-color": "#24292e", "text-halo-color": "#ffffff", "text-halo-width": 1.2}
NOT_CLUSTER = ["!", ["has", "point_count"]]


def resolve(value):
    """A registry style with its ByTerm colours as MapLibre `match` expressions from their vocabularies."""
    if isinstance(value, ByTerm):
        return vocabulary.get(value.vocabulary).colour_match(value.field, codes=value.codes)
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


def legend_of(layer: Layer) -> dict | None:
    """What a layer's legend shows: the vocabulary it is coloured by and which of its codes (null: all)."""
    found = [v for v in (layer.style.get("paint") or {}).values() if isinstance(v, ByTerm)]
    if not found:
        return None
    return {"vocabulary": found[0].vocabulary, "codes": list(found[0].codes) if found[0].codes else None}


def _meta(layer: Layer, **more) -> dict:
    """What a page needs to know of a style layer: which registry layer it draws (its group in a switcher), and for
    live ones which stream feeds it (the page re-points it at that stream's GeoJSON source)."""
    out = {"geoservice:layer": layer.id, **more}
    if layer.live:
        out["geoservice:live"] = layer.live
    return out


def _clusters(layer: Layer, colour: str) -> list[dict]:
    """A clustered layer's clusters (tiles.mvt: features with `point_count` at low zooms; a clustered GeoJSON source
    gives the same property): a circle growing with the count, and the count written on it."""
    common = {
        "source": "geoservice",
        "source-layer": layer.id,
        "minzoom": layer.minzoom,
        "maxzoom": layer.cluster_maxzoom + 1,
        "filter": ["has", "point_count"],
        "metadata": _meta(layer),
    }
    radius = ["step", ["get", "point_count"], 10, 10, 14, 100, 19, 1000, 25]
    return [
        {
            "id": f"{layer.id}-clusters",
            "type": "circle",
            **common,
            "paint": {
                "circle-color": colour,
                "circle-opacity": 0.8,
                "circle-radius": radius,
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1.5,
            },
        },
        {
            "id": f"{layer.id}-cluster-count",
            "type": "symbol",
            **common,
            "layout": {**TEXT, "text-field": ["to-string", ["get", "point_count"]], "text-allow-overlap": True},
            "paint": {"text-color": "#ffffff"},
        },
    ]


def _label(layer: Layer, field: str, minzoom: int) -> dict:
    return {
        "id": f"{layer.id}-label",
        "type": "symbol",
        "source": "geoservice",
        "source-layer": layer.id,
        "minzoom": max(minzoom, layer.minzoom),
        "maxzoom": min(layer.maxzoom + 1, 24),
        **({"filter": NOT_CLUSTER} if layer.cluster_maxzoom is not None else {}),
        "layout": {**TEXT, "text-field": ["get", field], "text-anchor": "top", "text-offset": [0, 0.8]},
        "paint": HALO,
        "metadata": _meta(layer),
    }


def _halo(layer: Layer, radius: float) -> dict:
    """Under a live point: a ring in the colour of its open alarm's severity. The pages set `alarm` (a subject's
    open alarm) and `ended` (an alarm whose condition is over) on the features of the stream; tiles carry neither,
    so there a subject has no ring and every open alarm has its halo."""
    severity = vocabulary.get("severity")
    if layer.live == "alarms":
        field, when = "severity", ["!", ["to-boolean", ["get", "ended"]]]
    else:
        field, when = "alarm", ["all", NOT_CLUSTER, ["!=", ["coalesce", ["get", "alarm"], ""], ""]]
    return {
        "id": f"{layer.id}-halo",
        "type": "circle",
        "source": "geoservice",
        "source-layer": layer.id,
        "minzoom": layer.minzoom,
        "maxzoom": min(layer.maxzoom + 1, 24),
        "filter": when,
        "paint": {
            "circle-radius": radius * 2.5,
            "circle-color": severity.colour_match(field),
            "circle-opacity": 0.3,
            "circle-stroke-width": 2 if layer.live == "positions" else 0,
            "circle-stroke-color": severity.colour_match(field),
        },
        "metadata": _meta(layer),
    }


def _heat(base: str) -> tuple[dict, list[dict]]:
    """The heat maps the registry declares (a layer's `heat`), as raster sources and hidden layers."""
    sources, layers = {}, []
    for name in HEAT:
        sources[f"heat-{name}"] = {
            "type": "raster",
            "tiles": [f"{base}/tiles/heat/{name}/{{z}}/{{x}}/{{y}}.png"],
            "tileSize": 256,
        }
        layers.append(
            {
                "id": f"heat-{name}",
                "type": "raster",
                "source": f"heat-{name}",
                "layout": {"visibility": "none"},
                "paint": {"raster-opacity": 0.7},
                "metadata": {"geoservice:layer": f"heat_{name}", "geoservice:heat": name},
            }
        )
    return sources, layers


def live_sources() -> dict:
    """The live layers, for a page to feed from its streams: the stream, the subject kinds (positions) and how the
    GeoJSON source clusters (as the layer's tiles do)."""
    return {
        layer.id: {"stream": layer.live, "kinds": list(layer.live_kinds), "cluster_maxzoom": layer.cluster_maxzoom}
        for layer in LAYERS
        if layer.live
    }


def style(base: str) -> dict:
    ids = ",".join(layer.id for layer in LAYERS)
    layers: list[dict] = [{"id": "background", "type": "background", "paint": {"background-color": "#f4f6f8"}}]
    labels: list[dict] = []
    heat_sources, heat_layers = _heat(base)
    layers.extend(heat_layers)
    for layer in LAYERS:
        spec = resolve(dict(layer.style))
        kind = spec.pop("type", "circle")
        cluster_colour = spec.pop("cluster-color", "#586069")
        label = spec.pop("label", None)
        legend = legend_of(layer)
        out = {
            "id": layer.id,
            "type": kind,
            "source": "geoservice",
            "source-layer": layer.id,
            "minzoom": layer.minzoom,
            "maxzoom": min(layer.maxzoom + 1, 24),
            **spec,
            "metadata": _meta(layer, **({"geoservice:legend": legend} if legend else {})),
        }
        if kind == "symbol":
            out.setdefault("layout", {}).update({"icon-allow-overlap": True, "icon-size": 1})
        if layer.cluster_maxzoom is not None:
            out["filter"] = NOT_CLUSTER
            layers.extend(_clusters(layer, cluster_colour))
        if layer.live and kind == "circle":
            layers.append(_halo(layer, float((spec.get("paint") or {}).get("circle-radius", 5))))
        layers.append(out)
        if label:
            labels.append(_label(layer, label["field"], label["minzoom"]))
        if layer.height:  # zones with a height range also as 3D extrusions (for clients that tilt the map)
            lo, hi = layer.height
            layers.append(
                {
                    "id": f"{layer.id}-3d",
                    "type": "fill-extrusion",
                    "source": "geoservice",
                    "source-layer": layer.id,
                    "minzoom": 15,
                    "filter": ["has", hi],
                    "paint": {
                        "fill-extrusion-color": "#6f42c1",
                        "fill-extrusion-opacity": 0.5,
                        "fill-extrusion-base": ["coalesce", ["get", lo], 0],
                        "fill-extrusion-height": ["get", hi],
                    },
                    "metadata": _meta(layer),
                }
            )
    layers.extend(labels)  # labels above every shape
    # A configured base map (GEO_BASEMAP) under everything, through this server (layers.basemap).
    sources: dict = {"geoservice": {"type": "vector", "url": f"{base}/tiles/{ids}.json"}, **heat_sources}
    for i, _template in enumerate(basemap.templates()):
        sources[f"basemap-{i}"] = {
            "type": "raster",
            "tiles": [f"{base}/maps/basemap/{i}/{{z}}/{{x}}/{{y}}"],
            "tileSize": 256,
            "maxzoom": 18,
        }
        layers.insert(
            1 + i,
            {
                "id": f"basemap-{i}",
                "type": "raster",
                "source": f"basemap-{i}",
                "metadata": {"geoservice:layer": "basemap"},
            },
        )
    return {
        "version": 8,
        "name": "geoservice 2D",
        "metadata": {
            "auth": "send Authorization: Bearer <token> with transformRequest; districts are public",
            "geoservice:live": live_sources(),
        },
        "center": [121.45, 30.78],
        "zoom": 12,
        "sprite": f"{base}/maps/sprite",
        "glyphs": f"{base}/maps/fonts/{{fontstack}}/{{range}}.pbf",
        "sources": sources,
        "layers": layers,
    }
