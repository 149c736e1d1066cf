"""Counts of what the database holds: for /healthz, the demo loader's report and the tests."""

from __future__ import annotations

from geo_core.replica import reader


def scene_counts() -> dict[str, int]:
    with reader().cursor() as cur:
        cur.execute(
            """
            SELECT
              (SELECT count(*) FROM geo_core_region WHERE level = 'district' AND code LIKE '31%'),
              (SELECT count(*) FROM geo_core_region),
              (SELECT count(*) FROM geo_core_enterprise),
              (SELECT count(*) FROM geo_core_site),
              (SELECT count(*) FROM geo_core_zone),
              (SELECT count(*) FROM geo_core_subject WHERE kind = 'person' AND NOT provisional),
              (SELECT count(*) FROM geo_core_subject WHERE provisional),
              (SELECT count(*) FROM geo_core_subject WHERE kind = 'welder'),
              (SELECT count(*) FROM geo_core_subject WHERE kind = 'body_camera'),
              (SELECT count(*) FROM geo_core_workpermit),
              (SELECT count(*) FROM geo_core_subjectstate)
            """
        )
        row = cur.fetchone()
    keys = (
        "shanghai_districts",
        "regions",
        "enterprises",
        "sites",
        "zones",
        "people",
        "provisional_subjects",
        "welding_machines",
        "body_cameras",
        "permits",
        "live_subjects",
    )
    return dict(zip(keys, row, strict=True))
