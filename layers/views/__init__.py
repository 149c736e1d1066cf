"""HTTP for the layer registry, one module per concern: tiles, OGC API, queries, heat maps, map resources.
Views only read the registry, the tile renderer and the feature provider; access comes from geo_core.access,
errors are answered by geo_core.boundary."""
