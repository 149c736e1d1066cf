"""Which cameras show a place (VID-2), GIS-native: those whose field of view holds it (nearest first), else the
nearest within a distance, else the subject's own body camera; within the caller's scope. The alarm card and the
permit card offer them in this order, and the evidence records which were offered."""

from __future__ import annotations

from django.db import connection

from geo_core.scope import Scope
from video.models import VideoChannel

NEAR_M = 150.0  # a camera farther than this, not aimed at the place, shows it too small to use

RANKED = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490) AS g),
c AS (
  SELECT c.id, c.code, c.name, c.kind, c.enterprise_id,
         coalesce(c.location, ST_Force2D(st.geom)) AS place,
         CASE WHEN c.fov IS NOT NULL AND ST_Covers(c.fov, p.g) THEN 0
              WHEN c.subject_id = %(subject)s THEN 2
              ELSE 1 END AS rank
  FROM video_videochannel c CROSS JOIN p
  LEFT JOIN geo_core_subjectstate st ON st.subject_id = c.subject_id
  WHERE c.active AND {scope}
)
SELECT c.id, c.code, c.name, c.kind, c.rank,
       round(ST_Distance(c.place::geography, p.g::geography)::numeric, 1)::float8 AS distance_m
FROM c CROSS JOIN p
WHERE c.rank = 0 OR c.rank = 2
   OR (c.place IS NOT NULL AND ST_DWithin(c.place::geography, p.g::geography, %(near)s))
ORDER BY c.rank, distance_m NULLS LAST, c.code
LIMIT %(limit)s
"""
WHY = {0: "field_of_view", 1: "nearest", 2: "own"}


def cameras_at(
    lon: float, lat: float, scope: Scope, subject: int | None = None, near_m: float = NEAR_M, limit: int = 8
) -> list[dict]:
    """The channels that show (lon, lat), best first, each with why it was chosen and how far it is."""
    rule = VideoChannel.VISIBILITY.sql("c.enterprise_id", "coalesce(c.location, ST_Force2D(st.geom))")
    params = {"lon": lon, "lat": lat, "subject": subject, "near": near_m, "limit": limit, **scope.params()}
    with connection.cursor() as cur:
        cur.execute(RANKED.format(scope=rule), params)
        rows = cur.fetchall()
    return [
        {"id": i, "code": code, "name": name, "kind": kind, "why": WHY[rank], "distance_m": d}
        for i, code, name, kind, rank, d in rows
    ]
