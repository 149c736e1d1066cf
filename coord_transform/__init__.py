"""coord_transform: coordinate systems our users live in (CGCS2000, WGS84, GCJ-02, BD-09, Shanghai 2000, EPSG).

A plain library over numpy and pyproj: no Django. Arrays in, arrays out, no Python loop per point.
"""
