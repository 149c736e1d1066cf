"""tiles: tile matrix sets (WebMercatorQuad, CGCS2000 geographic), MVT built in PostGIS, the tile cache and its
invalidation by LISTEN/NOTIFY. Imports geo_core only."""
