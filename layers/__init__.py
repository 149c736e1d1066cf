"""layers: the layer registry and every read API built from it (OGC API Features/Tiles, TileJSON, styles,
GeoJSON, live deltas, heat maps, offline packages). Imports geo_core and tiles; never knows where data came from."""
