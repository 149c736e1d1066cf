"""python -m coord_transform: convert CSV (chosen columns) and GeoJSON files between coordinate systems.

    python -m coord_transform points.csv -o out.csv --src gcj02 --dst cgcs2000 --x lng --y lat
    python -m coord_transform fences.geojson -o fences_sh.geojson --src cgcs2000 --dst sh2000
    python -m coord_transform ... --calibration park-calibration.json   # a calibration exported as JSON

CSV is converted in chunks, the output written to a temporary file that replaces the target only when every row
converted: a bad row stops the run with its line number and column, and no half-converted file is left behind.
Progress goes to stderr as one JSON object per chunk (the room allows numpy and pyproj only, so no tqdm here).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from coord_transform.calibration import Calibration
from coord_transform.core import transform
from coord_transform.crs import known_names
from coord_transform.errors import CalibrationError, TransformError
from coord_transform.geojson import transform_geojson

CHUNK_ROWS = 100_000


def _progress(**fields: object) -> None:
    print(json.dumps({"event": "progress", **fields}), file=sys.stderr, flush=True)


def _column(header: list[str], name: str, path: Path) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise SystemExit(f"{path}: no column {name!r}; columns are {header}") from None


def convert_csv(src_path: Path, dst_path: Path, args: argparse.Namespace, calibration: Calibration | None) -> int:
    size = src_path.stat().st_size or 1
    started = time.monotonic()
    rows_done = 0
    read = [0]  # characters read so far, for progress (tell() is unavailable while csv iterates)

    def counted(fh):
        for text in fh:
            read[0] += len(text)
            yield text

    with open(src_path, newline="", encoding="utf-8-sig") as fin:
        reader = csv.reader(counted(fin), delimiter=args.delimiter)
        header = next(reader, None)
        if header is None:
            raise SystemExit(f"{src_path}: empty file")
        cols = [_column(header, c, src_path) for c in (args.x, args.y)]
        zcol = _column(header, args.z, src_path) if args.z else None
        out_x = args.out_x or args.x
        out_y = args.out_y or args.y
        out_header = list(header)
        for name in (out_x, out_y):
            if name not in out_header:
                out_header.append(name)
        targets = [out_header.index(out_x), out_header.index(out_y)]
        fd, tmp_name = tempfile.mkstemp(dir=dst_path.parent, prefix=f".{dst_path.name}.")
        try:
            with open(fd, "w", newline="", encoding="utf-8") as fout:
                writer = csv.writer(fout, delimiter=args.delimiter)
                writer.writerow(out_header)
                line = 1
                while True:
                    chunk = [row for _, row in zip(range(CHUNK_ROWS), reader, strict=False)]
                    if not chunk:
                        break
                    values = np.empty((len(chunk), 3))
                    for i, row in enumerate(chunk):
                        for k, c in enumerate([*cols, zcol] if zcol is not None else cols):
                            try:
                                values[i, k] = float(row[c])
                            except (ValueError, IndexError):
                                cell = row[c] if c < len(row) else "<missing>"
                                raise TransformError(
                                    f"line {line + 1 + i}, column {header[c]!r}: {cell!r} is not a number"
                                ) from None
                    try:
                        zs = values[:, 2] if zcol is not None else None
                        res = transform(values[:, 0], values[:, 1], args.src, args.dst, zs=zs, calibration=calibration)
                    except TransformError as exc:
                        if exc.index is None:
                            raise
                        raise TransformError(f"line {line + 1 + exc.index}: {exc.reason}") from None
                    fmt = f"{{:.{args.precision}f}}"
                    xs, ys = res.x.tolist(), res.y.tolist()
                    for i, row in enumerate(chunk):
                        row = row + [""] * (len(out_header) - len(row))
                        row[targets[0]] = fmt.format(xs[i])
                        row[targets[1]] = fmt.format(ys[i])
                        if zcol is not None and res.z is not None:
                            row[zcol] = fmt.format(res.z[i])
                        writer.writerow(row)
                    line += len(chunk)
                    rows_done += len(chunk)
                    _progress(
                        rows=rows_done,
                        percent=min(100.0, round(100 * read[0] / size, 1)),
                        seconds=round(time.monotonic() - started, 2),
                    )
            os.replace(tmp_name, dst_path)
        except BaseException:
            os.unlink(tmp_name)
            raise
    return rows_done


def convert_geojson(src_path: Path, dst_path: Path, args: argparse.Namespace, calibration: Calibration | None) -> int:
    with open(src_path, encoding="utf-8") as fh:
        try:
            obj = json.load(fh)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{src_path}: not JSON: {exc}") from None
    out, info = transform_geojson(obj, args.src, args.dst, calibration=calibration, inplace=True)
    tmp = dst_path.with_name(f".{dst_path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)
    os.replace(tmp, dst_path)
    features = len(out.get("features", [])) if out.get("type") == "FeatureCollection" else 1
    _progress(features=features, percent=100.0, **{k: v for k, v in info.items() if v is not None})
    return features


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m coord_transform", description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--src", required=True, help=f"one of: {', '.join(known_names())}")
    ap.add_argument("--dst", required=True)
    ap.add_argument("--format", choices=["csv", "geojson"], help="default: from the input's extension")
    ap.add_argument("--x", default="x", help="CSV column of x (longitude, or north for sh2000)")
    ap.add_argument("--y", default="y", help="CSV column of y (latitude, or east for sh2000)")
    ap.add_argument("--z", help="CSV column of heights (optional)")
    ap.add_argument("--out-x", help="write x to this column instead of replacing --x")
    ap.add_argument("--out-y", help="write y to this column instead of replacing --y")
    ap.add_argument("--delimiter", default=",")
    ap.add_argument("--precision", type=int, default=9, help="decimals written to CSV (default 9)")
    ap.add_argument("--calibration", type=Path, help="a calibration as JSON (Calibration.to_dict())")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    fmt = args.format or ("geojson" if args.input.suffix.lower() in (".geojson", ".json") else "csv")
    calibration = None
    if args.calibration:
        try:
            calibration = Calibration.from_dict(json.loads(args.calibration.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError, CalibrationError) as exc:
            print(f"{args.calibration}: {exc}", file=sys.stderr)
            return 2
    if not args.input.is_file():
        print(f"{args.input}: no such file", file=sys.stderr)
        return 2
    try:
        n = (convert_geojson if fmt == "geojson" else convert_csv)(args.input, args.output, args, calibration)
    except TransformError as exc:
        print(f"{args.input}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"event": "done", "output": str(args.output), "records": n}), file=sys.stderr)
    return 0
