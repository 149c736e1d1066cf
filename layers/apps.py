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
