from django.urls import path, re_path, register_converter

from geo_core.replica import on_read_only_routes
from layers.live import live_stream
from layers.views import heat, maps, ogc, queries, tiles


class SignedInt:
    regex = "-?[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(SignedInt, "sint")

# The read-only paths may read from a replica (geo_core/replica.py: which routes, and how stale).
urlpatterns = on_read_only_routes(
    [
        path("maps/style.json", maps.style_json, name="style"),
        path("maps/basemap/<int:index>/<int:z>/<int:x>/<int:y>", maps.basemap_tile, name="basemap"),
        re_path(r"^maps/3dtiles/(?P<path>[A-Za-z0-9_.-]{1,100})$", maps.tiles3d_file, name="tiles3d"),
        re_path(r"^maps/fonts/(?P<fontstack>[^/]+)/(?P<start>\d+)-(?P<end>\d+)\.pbf$", maps.glyphs, name="glyphs"),
        re_path(r"^maps/sprite(?P<ratio>@2x)?\.(?P<ext>json|png)$", maps.sprite_file, name="sprite"),
        path("api/search", queries.search, name="search"),
        path("api/live/stream", live_stream, name="live-stream"),
        path("api/nearby/<str:layer>", queries.nearby, name="nearby"),
        path("api/counts/districts", queries.district_counts, name="district-counts"),
        path("api/counts/regions", queries.region_counts, name="region-counts"),
        path("api/regions", queries.regions, name="regions"),
        path("api/stats/key-areas", queries.key_area_stats, name="key-area-stats"),
        path("api/tracks/<str:external_id>", queries.track, name="track"),
        path("tiles/stats", tiles.tile_stats, name="tile-stats"),
        path("tiles/heat/<slug:source>/<int:z>/<int:x>/<int:y>.png", heat.heat_tile, name="heat-tile"),
        path("api/heat/<slug:source>.tif", heat.heat_geotiff, name="heat-geotiff"),
        path("api/offline/package.pmtiles", maps.offline_package, name="offline-package"),
        path("tiles/<str:layers>.json", tiles.tilejson, name="tilejson"),
        path("tiles/<str:layers>/<int:z>/<int:x>/<int:y>.pbf", tiles.xyz_tile, name="tile"),
        path("ogc/", ogc.landing, name="ogc"),
        path("ogc/api", ogc.openapi, name="ogc-api"),
        path("ogc/conformance", ogc.conformance, name="ogc-conformance"),
        path("ogc/tileMatrixSets", ogc.tile_matrix_sets, name="ogc-tms-list"),
        path("ogc/tileMatrixSets/<str:tms>", ogc.tile_matrix_set, name="ogc-tms"),
        path("ogc/collections", ogc.collections, name="ogc-collections"),
        path("ogc/collections/<str:collection>", ogc.collection, name="ogc-collection"),
        path("ogc/collections/<str:collection>/queryables", ogc.queryables, name="ogc-queryables"),
        path("ogc/collections/<str:collection>/items", ogc.items, name="ogc-items"),
        path("ogc/collections/<str:collection>/items/<sint:fid>", ogc.item, name="ogc-item"),
        path("ogc/collections/<str:collection>/tiles", ogc.tilesets, name="ogc-tilesets"),
        path("ogc/collections/<str:collection>/tiles/<str:tms>", ogc.tileset, name="ogc-tileset"),
        path(
            "ogc/collections/<str:collection>/tiles/<str:tms>/<int:z>/<int:y>/<int:x>", tiles.ogc_tile, name="ogc-tile"
        ),
    ]
)
