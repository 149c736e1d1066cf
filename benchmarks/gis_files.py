"""GIS files in and out against GDAL's own ogr2ogr (issue 15).

    eval "$(scripts/services.sh env)"; .venv/bin/python benchmarks/gis_files.py [--polygons 10000] [--fixes 100000]
        [--repeat 5]

Import: a seeded GeoPackage of --polygons fences over Jinshan (written by ogr2ogr from generated GeoJSON), imported
as zones by geo_core.gisfiles.importer (read, CRS from the file, checks and repair, upsert, audit) against
`ogr2ogr -f PostgreSQL` of the same file into a plain table of the same database (the baseline: no checks, no
keys). Each run starts from an empty table; the figure is the median of --repeat runs, and the ratio is ours over
ogr2ogr's. A re-import of the unchanged file (every feature matched, nothing written) is timed too.

Export: --fixes positions of one subject over six days, exported as a GeoPackage track (points with times and the
line) by the same code as /api/tracks/{id}?f=gpkg, against `ogr2ogr -f GPKG` of the same fixes selected from PostGIS
(points with times only). Then the same export over HTTP from a uvicorn worker started here, end to end.

Runs in a database of its own (dropped afterwards); nothing touches the service's database or files.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import BenchDatabase, log, start_server


def median_time(fn, repeat: int, before=None) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fences(folder: Path, n: int, seed: int = 15) -> Path:
    """n small quadrilaterals (some with a self-intersection to repair) over Jinshan, as a GeoPackage by ogr2ogr."""
    rng = np.random.default_rng(seed)
    lon0, lat0 = 121.20, 30.80
    feats = []
    for k in range(n):
        x, y = lon0 + rng.uniform(0, 0.15), lat0 + rng.uniform(0, 0.08)
        d = rng.uniform(0.0002, 0.001)
        ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
        if k % 100 == 0:  # a bow-tie: the importer repairs it, ogr2ogr copies it as it is
            ring = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
        props = {
            "名称": f"围栏{k}",
            "类型": "作业区域",
            "编号": f"B-{k}",
            "管理单位": "基准测试园区",
            "最多人数": int(rng.integers(1, 50)),
        }
        feats.append({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    src = folder / "fences.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")
    out = folder / "fences.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), str(src), "-a_srs", "EPSG:4490", "-nln", "fences"], check=True)
    return out


def bench_import(db: BenchDatabase, folder: Path, n: int, repeat: int) -> dict:
    from django.db import connection

    from geo_core.gisfiles import importer
    from geo_core.models import Zone

    gpkg = fences(folder, n)
    pg = f"PG:{db.dsn}"

    def ogr() -> None:
        subprocess.run(
            [
                "ogr2ogr",
                "-f",
                "PostgreSQL",
                pg,
                str(gpkg),
                "-nln",
                "bench_ogr_fences",
                "-overwrite",
                "-lco",
                "GEOMETRY_NAME=geom",
                "-lco",
                "SPATIAL_INDEX=GIST",
            ],
            check=True,
        )

    def empty() -> None:
        Zone.objects.all().delete()

    reports = []

    def ours() -> None:
        reports.append(importer.run(gpkg, "zones"))

    baseline = median_time(ogr, repeat)
    mine = median_time(ours, repeat, before=empty)
    last = reports[-1]
    assert last.counts["created"] == n, last.counts
    again = median_time(lambda: reports.append(importer.run(gpkg, "zones")), repeat)
    assert reports[-1].counts["unchanged"] == n, reports[-1].counts
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_ogr_fences")
        assert cur.fetchone()[0] == n
        cur.execute("DROP TABLE bench_ogr_fences")
    return {
        "polygons": n,
        "ogr2ogr_s": round(baseline, 3),
        "import_s": round(mine, 3),
        "ratio": round(mine / baseline, 2),
        "reimport_unchanged_s": round(again, 3),
        "repaired": last.counts["repaired"],
    }


def fixes_of_a_subject(n: int) -> tuple[str, datetime, datetime]:
    from geo_core.ingest.writer import FixBatch, write_fixes
    from geo_core.models import Subject
    from geo_core.partitions import ensure_partitions

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=6)
    ensure_partitions((start - timedelta(days=1)).date(), (datetime.now(UTC) + timedelta(days=1)).date())
    s = Subject.objects.create(kind="person", external_id="BENCH-TRACK", person_type="01")
    step = 6 * 86400 / n
    rng = np.random.default_rng(7)
    lon = 121.30 + np.cumsum(rng.normal(0, 2e-5, n))
    lat = 30.80 + np.cumsum(rng.normal(0, 2e-5, n))
    times = [start + timedelta(seconds=k * step) for k in range(n)]
    for i in range(0, n, 20_000):
        j = min(n, i + 20_000)
        batch = FixBatch(
            subject_id=np.full(j - i, s.id),
            time=times[i:j],
            lon=lon[i:j],
            lat=lat[i:j],
            source="simulator",
            raw_x=lon[i:j],
            raw_y=lat[i:j],
            raw_crs=["cgcs2000"] * (j - i),
        )
        write_fixes(batch)
    return s.external_id, start - timedelta(seconds=1), times[-1] + timedelta(seconds=1)


def bench_export(db: BenchDatabase, folder: Path, n: int, repeat: int) -> dict:
    from geo_core.gisfiles import writing
    from geo_core.models import Subject
    from geo_core.scope import EVERYTHING
    from layers.queries import track_tables

    code, start, end = fixes_of_a_subject(n)
    sid = Subject.objects.get(external_id=code).id
    sql = (
        f"SELECT time, geom FROM geo_core_positionfix WHERE subject_id = {sid} AND time >= '{start.isoformat()}' "
        f"AND time < '{end.isoformat()}' ORDER BY time"
    )
    out = folder / "ogr-track.gpkg"

    def ogr() -> None:
        out.unlink(missing_ok=True)
        subprocess.run(
            ["ogr2ogr", "-f", "GPKG", str(out), f"PG:{db.dsn}", "-sql", sql, "-nln", "track_points"], check=True
        )

    def ours() -> None:
        path = writing.write(track_tables(code, start, end, EVERYTHING, "gpkg"), "gpkg")
        assert path.stat().st_size > 0
        for p in path.parent.iterdir():
            p.unlink()
        path.parent.rmdir()

    baseline = median_time(ogr, repeat)
    mine = median_time(ours, repeat)
    http = bench_http_export(code, start, end, repeat)
    return {
        "fixes": n,
        "ogr2ogr_s": round(baseline, 3),
        "export_s": round(mine, 3),
        "ratio": round(mine / baseline, 2),
        **http,
    }


def bench_http_export(code: str, start: datetime, end: datetime, repeat: int) -> dict:
    from geo_core.access import create_user
    from geo_core.models import ApiToken

    token = ApiToken.issue(create_user("bench-export", "Pw-strong-123!", "supervisor"))[1]
    proc, base = start_server()
    try:
        q = f"from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B")
        url = f"{base}/api/tracks/{code}?f=gpkg&{q}"

        def get() -> int:
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=120) as r:
                return len(r.read())

        size = get()
        t = median_time(get, repeat)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return {"http_s": round(t, 3), "bytes": size}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polygons", type=int, default=10_000)
    ap.add_argument("--fixes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    db = BenchDatabase("gis")
    folder = Path(tempfile.mkdtemp(prefix="bench-gis-"))
    try:
        from django.core.management import call_command

        from geo_core.management.commands.load_regions import load_regions

        call_command("migrate", verbosity=0)
        load_regions(prefixes=("31",), progress=False)
        log(event="import", **bench_import(db, folder, args.polygons, args.repeat))
        log(event="export", **bench_export(db, folder, args.fixes, args.repeat))
    finally:
        db.drop()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
