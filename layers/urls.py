from django.urls import path, re_path, register_converter

from geo_core.replica import on_read_only_routes
from layers import views
from layers.live import live_stream


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
        path("maps/style.json", views.style_json, name="style"),
        path("maps/basemap/<int:index>/<int:z>/<int:x>/<int:y>", views.basemap_tile, name="basemap"),
        re_path(r"^maps/3dtiles/(?P<path>[A-Za-z0-9_.-]{1,100})$", views.tiles3d_file, name="tiles3d"),
        re_path(r"^maps/fonts/(?P<fontstack>[^/]+)/(?P<start>\d+)-(?P<end>\d+)\.pbf$", views.glyphs, name="glyphs"),
        re_path(r"^maps/sprite(?P<ratio>@2x)?\.(?P<ext>json|png)$", views.sprite_file, name="sprite"),
        path("api/search", views.search, name="search"),
        path("api/live/stream", live_stream, name="live-stream"),
        path("api/nearby/<str:layer>", views.nearby, name="nearby"),
        path("api/counts/districts", views.district_counts, name="district-counts"),
        path("api/counts/regions", views.region_counts, name="region-counts"),
        path("api/regions", views.regions, name="regions"),
        path("api/stats/key-areas", views.key_area_stats, name="key-area-stats"),
        path("api/tracks/<str:external_id>", views.track, name="track"),
        path("tiles/stats", views.tile_stats, name="tile-stats"),
        path("tiles/heat/<slug:source>/<int:z>/<int:x>/<int:y>.png", views.heat_tile, name="heat-tile"),
        path("api/heat/<slug:source>.tif", views.heat_geotiff, name="heat-geotiff"),
        path("api/offline/package.pmtiles", views.offline_package, name="offline-package"),
        path("tiles/<str:layers>.json", views.tilejson, name="tilejson"),
        path("tiles/<str:layers>/<int:z>/<int:x>/<int:y>.pbf", views.xyz_tile, name="tile"),
        path("ogc/", views.landing, name="ogc"),
        path("ogc/api", views.openapi, name="ogc-api"),
        path("ogc/conformance", views.conformance, name="ogc-conformance"),
        path("ogc/tileMatrixSets", views.tile_matrix_sets, name="ogc-tms-list"),
        path("ogc/tileMatrixSets/<str:tms>", views.tile_matrix_set, name="ogc-tms"),
        path("ogc/collections", views.collections, name="ogc-collections"),
        path("ogc/collections/<str:collection>", views.collection, name="ogc-collection"),
        path("ogc/collections/<str:collection>/queryables", views.queryables, name="ogc-queryables"),
        path("ogc/collections/<str:collection>/items", views.items, name="ogc-items"),
        path("ogc/collections/<str:collection>/items/<sint:fid>", views.item, name="ogc-item"),
        path("ogc/collections/<str:collection>/tiles", views.tilesets, name="ogc-tilesets"),
        path("ogc/collections/<str:collection>/tiles/<str:tms>", views.tileset, name="ogc-tileset"),
        path(
            "ogc/collections/<str:collection>/tiles/<str:tms>/<int:z>/<int:y>/<int:x>", views.ogc_tile, name="ogc-tile"
        ),
    ]
)
