"""manage.py calibrate_sh2000: fit a Shanghai 2000 calibration from control points and store it as the park's
next version (optionally activating it). A refused fit prints its residuals and stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coord_transform import CalibrationError
from coord_transform.sh2000 import names
from geo_core.calibrations import create_calibration, read_points_csv
from geo_core.models import Park


class Command(BaseCommand):
    help = "Fit a Shanghai 2000 calibration from a CSV of control points (lon, lat, x=north, y=east[, h, H])"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--park", required=True, help="park code")
        parser.add_argument("--points", type=Path, required=True)
        parser.add_argument("--method", choices=["similarity", "affine", "helmert7"], default="similarity")
        parser.add_argument("--definition", choices=names(), help="default: GEO_SH2000_DEFINITION")
        parser.add_argument("--activate", action="store_true")
        parser.add_argument("--note", default="")

    def handle(self, *args, park, points, method, definition, activate, note, **options) -> None:
        try:
            park_obj = Park.objects.get(code=park)
        except Park.DoesNotExist:
            raise CommandError(f"no park with code {park!r}") from None
        try:
            cal, report = create_calibration(
                park_obj, read_points_csv(points), method, definition=definition, note=note, activate=activate
            )
        except CalibrationError as exc:
            detail = json.dumps(exc.report.to_dict(), indent=1) if exc.report else ""
            raise CommandError(f"{points}: {exc}\n{detail}") from None
        self.stdout.write(
            json.dumps(
                {
                    "event": "calibration stored",
                    "park": park,
                    "version": cal.version,
                    "active": cal.active,
                    **report.to_dict(),
                },
                ensure_ascii=False,
            )
        )
