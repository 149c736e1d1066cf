from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Layers"

    def ready(self) -> None:
        from geo_core import metrics
        from layers.fanout import collect_metrics
        from tiles.cache import collect_metrics as tile_metrics

        metrics.register(collect_metrics)
        metrics.register(tile_metrics)

        from geo_core import replica
        from layers.registry import COUNTS_MAX_AGE_S

        # Counts read on a replica are the primary's rows: the replica monitor refreshes them there when stale.
        replica.KEEP_FRESH.append(
            f"SELECT (SELECT count(*) FROM layers_region_counts(l.level, {COUNTS_MAX_AGE_S})) "
            "FROM (SELECT DISTINCT level FROM geo_core_region) l"
        )
