"""manage.py import_features FILE --as zones|sites|enterprises|regions|subjects|equipment
[--layer] [--crs] [--axes] [--mapping mapping.toml] [--dry-run] [--report report.json]: a GIS file into the
service (geo_core.gisfiles).

Prints one JSON line per refused or repaired feature and a summary; exits 1 when the run was refused (nothing
written) and 0 otherwise, refused features included (they are in the report)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo_core.gisfiles import importer, jobs, reading, sandbox, targets


class Command(BaseCommand):
    help = "Import a Shapefile, GeoPackage, GeoJSON, FlatGeobuf, KML/KMZ, DXF or CSV as zones, sites, enterprises..."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="target", required=True, choices=sorted(targets.TARGETS))
        parser.add_argument("--layer", help="the layer of a file with several (GeoPackage, DXF)")
        parser.add_argument(
            "--crs",
            help="the file's coordinate system when it does not say, or says wrong: "
            "cgcs2000, wgs84, gcj02, bd09, sh2000, EPSG:4549 ...",
        )
        parser.add_argument("--axes", choices=["as-read", "swapped"], help="override the detected axis order")
        parser.add_argument("--mapping", type=Path, help="TOML: [fields], [values.<field>], [defaults]")
        parser.add_argument("--encoding", help="the attribute encoding when the file does not say (GBK ...)")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
        parser.add_argument("--report", type=Path, help="write the full report (every feature) as JSON here")

    def handle(self, *args, file: Path, target: str, **o) -> None:
        if not sandbox.sandboxed():
            return self._sandboxed(file, target, o)
        sandbox.guard()
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if o["verbosity"] < 1:
                return
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(total=total, desc=stage, unit="feature")
            bar.update(done - bar.n)

        report = importer.run(
            file,
            target,
            layer=o["layer"],
            crs=o["crs"],
            axes=o["axes"],
            mapping=o["mapping"],
            dry_run=o["dry_run"],
            encoding=o["encoding"],
            progress=progress,
        )
        for bar in bars.values():
            bar.close()
        data = report.as_dict()
        if o["report"]:
            o["report"].write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        for f in data["features"]:
            if f["action"] == "refused" or f.get("repaired") or o["verbosity"] > 1:
                self.stdout.write(json.dumps({"event": "feature", **f}, ensure_ascii=False))
        summary = {k: v for k, v in data.items() if k not in ("features",)}
        self.stdout.write(json.dumps({"event": "import", **summary}, ensure_ascii=False))
        if report.refused:
            raise CommandError(report.refused)

    def _sandboxed(self, file: Path, target: str, o: dict) -> None:
        """The same command again in a process that reads only the file's declared format, within the import
        limits (geo_core.gisfiles.sandbox): an operator's file from outside is as hostile as an upload."""
        try:
            fmt = jobs.declared_format(file)
        except reading.FileError as exc:
            raise CommandError(str(exc)) from None
        args = ["import_features", str(file.resolve()), "--as", target, "-v", str(o["verbosity"])]
        for name in ("layer", "crs", "axes", "encoding"):
            if o[name]:
                args += [f"--{name}", o[name]]
        for name in ("mapping", "report"):
            if o[name]:
                args += [f"--{name}", str(Path(o[name]).resolve())]
        if o["dry_run"]:
            args.append("--dry-run")
        proc = sandbox.popen(args, fmt, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate()
        self.stdout.write(out, ending="")
        self.stderr.write(err, ending="")
        if proc.returncode != 0:
            raise CommandError(
                err.strip().splitlines()[-1]
                if err.strip() and proc.returncode == 1
                else sandbox.ending(proc.returncode)
            )
