"""Statistics the seeds ask for that are not a layer: welding work and alarms inside versus outside key areas
(seed 003: 对所选时间段的施工情况按区域、按是否在重点区域内进行统计), and the region tree (seed 001: 行政区划, served
by API) with counts at any level (seed 004: statistics down to township and street).

Key areas are the active zones of kind `key_place` (重点场所) the caller may see. Welding work is a machine's
power-on (a work start, where its last fix before then put it); hot work is a hot-work permit (动火作业, any level)
at its place; alarms are where they were raised. Each is counted inside when it lies in at least one key area."""

from __future__ import annotations

from datetime import datetime

from geo_core.errors import BadRequestError, NotFoundError
from geo_core.gisfiles.targets import region_prefix
from geo_core.models import Site, Subject, WorkPermit, Zone
from geo_core.replica import reader
from geo_core.scope import Scope
from layers import registry
from layers.registry import LEVELS, OWNED

HOT_WORK = ("01", "02", "03")  # AQ 3064.2 ticket types: hot work, special, level 1, level 2


def regions(level: str | None, parent: str | None, text: str | None) -> list[dict]:
    """The region tree one level at a time: `level`, `parent` (a code), or a name to look for."""
    if level is not None and level not in LEVELS:
        raise BadRequestError(f"level: {level[:20]!r} is not one of {', '.join(LEVELS)}")
    where, params = ["TRUE"], []
    if parent:
        with reader().cursor() as cur:
            cur.execute("SELECT id FROM geo_core_region WHERE code = %s", [parent])
            row = cur.fetchone()
        if row is None:
            raise NotFoundError(f"no region {parent!r}")
        where.append("r.parent_id = %s")
        params.append(row[0])
    elif level is None and not text:
        where.append("r.parent_id IS NULL")  # the top of the tree
    if level:
        where.append("r.level = %s")
        params.append(level)
    if text:
        where.append("r.name ILIKE %s")
        params.append(f"%{text}%")
    with reader().cursor() as cur:
        cur.execute(
            f"""SELECT r.code, r.name, r.level, p.code,
                       (SELECT count(*) FROM geo_core_region c WHERE c.parent_id = r.id)::int,
                       ST_XMin(r.geom), ST_YMin(r.geom), ST_XMax(r.geom), ST_YMax(r.geom)
                FROM geo_core_region r LEFT JOIN geo_core_region p ON p.id = r.parent_id
                WHERE {" AND ".join(where)} ORDER BY r.code LIMIT 5000""",
            params,
        )
        return [
            {
                "code": c,
                "name": n,
                "level": lv,
                "parent_code": p,
                "children": k,
                "bbox": [round(v, 6) for v in (x0, y0, x1, y1)],
            }
            for c, n, lv, p, k, x0, y0, x1, y1 in cur.fetchall()
        ]


def distinct_enterprises(scope: Scope, level: str, parent: str | None) -> int:
    """Enterprises with a site in any region of the level (under `parent`): each once, however many regions."""
    site_in = registry.site_in_region(level)
    s_sql, s_params = Site.VISIBILITY.where(scope, "s.enterprise_id", "s.footprint")
    prefix = [] if not parent else [region_prefix(parent)]
    with reader().cursor() as cur:
        cur.execute(
            f"""SELECT count(DISTINCT s.enterprise_id) FROM geo_core_site s WHERE {s_sql} AND EXISTS (
                  SELECT 1 FROM geo_core_region r WHERE r.level = %s {"AND r.code LIKE %s" if parent else ""}
                  AND {site_in})""",
            [*s_params, level, *[p + "%" for p in prefix]],
        )
        return cur.fetchone()[0]


def key_areas(scope: Scope, since: datetime, until: datetime, level: str | None, parent: str | None) -> dict:
    if until <= since:
        raise BadRequestError("until: must be after since")
    if parent and not level:
        raise BadRequestError("parent: give the level of the regions to count under it")
    if (until - since).days > 366:
        raise BadRequestError("at most a year per request")
    z_sql, z_params = Zone.VISIBILITY.where(scope, "z.enterprise_id", "z.geom")
    w_sql, w_params = Subject.VISIBILITY.where(scope, "sb.enterprise_id", "f.geom")
    p_sql, p_params = WorkPermit.VISIBILITY.where(scope, "p.enterprise_id", "p.location")
    a_sql, a_params = OWNED.where(scope, "al.enterprise_id", "al.location")  # alarms_record's rows
    region_join, region_cols, region_params = "", "NULL::text, NULL::text", []
    if level:
        if level not in LEVELS:
            raise BadRequestError(f"level: {level[:20]!r} is not one of {', '.join(LEVELS)}")
        region_join = (
            "LEFT JOIN LATERAL (SELECT r.code, r.name FROM geo_core_region r WHERE r.level = %s "
            "AND ST_Intersects(r.geom, ev.geom) ORDER BY r.code LIMIT 1) rg ON TRUE"
        )
        region_cols, region_params = "rg.code, rg.name", [level]
    sql = f"""
WITH areas AS MATERIALIZED (
  SELECT z.id, z.name, z.geom FROM geo_core_zone z WHERE z.kind = 'key_place' AND z.active AND {z_sql}
),
events AS (
  SELECT 'welding' AS what, f.geom::geometry(Point, 4490) AS geom
  FROM geo_core_deviceevent d
  JOIN geo_core_subject sb ON sb.id = d.subject_id AND sb.kind = 'welder'
  CROSS JOIN LATERAL (SELECT ST_Force2D(x.geom) AS geom FROM geo_core_positionfix x
                      WHERE x.subject_id = d.subject_id AND x.time <= d.time AND x.time > d.time - interval '1 day'
                      ORDER BY x.time DESC LIMIT 1) f
  WHERE d.kind = 'power' AND d.data->>'state' = 'on' AND d.time >= %s AND d.time < %s AND {w_sql}
  UNION ALL
  SELECT 'hot_work', ST_Force2D(p.location) FROM geo_core_workpermit p
  WHERE NOT p.deleted AND p.ticket_type = ANY(%s) AND p.location IS NOT NULL
    AND p.planned_start < %s AND p.planned_end >= %s AND {p_sql}
  UNION ALL
  SELECT 'alarms', al.location FROM alarms_record al
  WHERE al.location IS NOT NULL AND al.raised_at >= %s AND al.raised_at < %s AND {a_sql}
)
SELECT ev.what, {region_cols}, a.id, a.name, count(*)::int
FROM events ev
LEFT JOIN LATERAL (SELECT areas.id, areas.name FROM areas WHERE ST_Intersects(areas.geom, ev.geom)
                   ORDER BY areas.id LIMIT 1) a ON TRUE
{region_join}
GROUP BY 1, 2, 3, 4, 5
"""
    params = [
        *z_params,
        since,
        until,
        *w_params,
        list(HOT_WORK),
        until,
        since,
        *p_params,
        since,
        until,
        *a_params,
        *region_params,
    ]
    with reader().cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
        cur.execute(
            f"SELECT count(*) FROM geo_core_zone z WHERE z.kind = 'key_place' AND z.active AND {z_sql}", z_params
        )
        n_areas = cur.fetchone()[0]
    kinds = ("welding", "hot_work", "alarms")
    totals = {k: {"inside": 0, "outside": 0} for k in kinds}
    by_area: dict[int, dict] = {}
    by_region: dict[str | None, dict] = {}
    for what, code, rname, area, aname, n in rows:
        side = "inside" if area is not None else "outside"
        if parent and (code is None or not code.startswith(parent)):
            continue
        totals[what][side] += n
        if area is not None:
            entry = by_area.setdefault(area, {"zone": area, "name": aname, **dict.fromkeys(kinds, 0)})
            entry[what] += n
        if level:
            empty = {f"{k}_{s}": 0 for k in kinds for s in ("inside", "outside")}
            reg = by_region.setdefault(code, {"code": code, "name": rname, **empty})
            reg[f"{what}_{side}"] += n
    out = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "key_areas": n_areas,
        "totals": totals,
        "by_area": sorted(by_area.values(), key=lambda e: (-sum(e[k] for k in kinds), e["zone"])),
    }
    if level:
        out["level"] = level
        out["by_region"] = sorted(by_region.values(), key=lambda e: e["code"] or "~")
    return out
