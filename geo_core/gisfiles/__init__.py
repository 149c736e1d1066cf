"""GIS files in and out (STO-5): the files a park's GIS desk, a phone and a design institute have (Shapefile,
GeoPackage, GeoJSON, FlatGeobuf, KML/KMZ, DXF, CSV) read through GDAL (pyogrio), their coordinate system taken from
the file or detected (coord_transform.detect), and written back out in the formats inspectors and analysts use.

- `reading`: one file (or one layer of it) as rows and shapely geometries, with what the file says of its CRS;
- `targets`: what a row becomes (zone, site, enterprise, region, subject, special equipment) and the columns each
  takes, with the Chinese names people give them;
- `importer`: the run: CRS, repair, idempotent upsert by a key, a report per feature, all or nothing;
- `writing`: rows out as GeoPackage, Shapefile, KML, FlatGeobuf, CSV, XLSX, GPX through the same GDAL.
"""
