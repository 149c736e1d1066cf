"""Counts per region computed once for every caller (issue 16): `layers_region_counts(level, max_age)` returns the
level's counts split by enterprise and by the districts each counted row lies in, so any scope's counts are a sum over
these rows (`Scope.sql(..., districts=...)`) instead of a spatial count of every machine per scope, per tile, per
process. The rows are refreshed in the call when older than `max_age` seconds or when a counted table other than the
machines' positions changed since (a sequence every such statement advances), by one caller at a time (advisory
lock; the others read the rows as they are). On a replica the rows are the primary's, as replicated (the replica
monitor keeps them fresh there, geo_core.replica.KEEP_FRESH)."""

from django.db import migrations

# table -> the columns whose change changes a count (an alarm's evidence, updated every second, does not)
TABLES = {
    "geo_core_site": "footprint, district_id, enterprise_id",
    "geo_core_specialequipment": "location, monitoring, enterprise_id",
    "geo_core_region": "level, geom",
    "geo_core_subject": "kind, active, enterprise_id",
    "alarms_alarm": "status, location, enterprise_id",
}

FUNCTION = """
CREATE FUNCTION layers_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('layers_counts_changes');
  RETURN NULL;
END $$;

CREATE FUNCTION layers_region_counts(lvl text, max_age double precision) RETURNS SETOF layers_regioncount
LANGUAGE plpgsql AS $$
DECLARE
  changes bigint;
BEGIN
  IF NOT pg_is_in_recovery() THEN
    SELECT last_value INTO changes FROM layers_counts_changes;  -- read before counting: a change after it counts again
    IF NOT EXISTS (SELECT 1 FROM layers_regioncount_made m WHERE m.level = lvl AND m.seen = changes
                   AND m.made_at > clock_timestamp() - make_interval(secs => max_age))
       AND pg_try_advisory_xact_lock(19523, hashtext(lvl)) THEN
      DELETE FROM layers_regioncount k WHERE k.level = lvl;
      INSERT INTO layers_regioncount
      WITH r AS (SELECT id, geom FROM geo_core_region WHERE level = lvl),
      parts AS (
        SELECT r.id AS region_id, s.enterprise_id, s.footprint AS g, 1 AS sites, 0 AS welders, 0 AS powered,
               0 AS open_alarms, 0 AS equipment, 0 AS equipment_faults
        FROM geo_core_site s JOIN r ON CASE WHEN lvl = 'district' THEN s.district_id = r.id
                                            ELSE s.footprint && r.geom AND ST_Intersects(r.geom, ST_PointOnSurface(s.footprint)) END
        UNION ALL
        SELECT r.id, sb.enterprise_id, st.geom, 0, 1, (st.live->>'power' = 'on')::int, 0, 0, 0
        FROM geo_core_subjectstate st JOIN geo_core_subject sb ON sb.id = st.subject_id
        JOIN r ON ST_Intersects(r.geom, st.geom)
        WHERE sb.kind = 'welder' AND sb.active
        UNION ALL
        SELECT r.id, al.enterprise_id, al.location, 0, 0, 0, 1, 0, 0
        FROM alarms_alarm al JOIN r ON ST_Intersects(r.geom, al.location)
        WHERE al.status IN ('raised', 'acknowledged', 'dispatched')
        UNION ALL
        SELECT r.id, eq.enterprise_id, eq.location, 0, 0, 0, 0, 1, (eq.monitoring IN ('fault', 'alarm'))::int
        FROM geo_core_specialequipment eq JOIN r ON ST_Intersects(r.geom, eq.location)
      )
      SELECT lvl, p.region_id, p.districts, p.enterprise_id, sum(p.sites), sum(p.welders), coalesce(sum(p.powered), 0),
             sum(p.open_alarms), sum(p.equipment), coalesce(sum(p.equipment_faults), 0)
      FROM (
        -- A point counted in a district lies in that district (one lookup saved per machine: on a border it is
        -- counted in each district's row, and seen there by that district's officer).
        SELECT parts.*, CASE WHEN lvl = 'district' AND ST_Dimension(parts.g) = 0 THEN ARRAY[parts.region_id]
                             ELSE coalesce((SELECT array_agg(dr.id ORDER BY dr.id) FROM geo_core_region dr
                                            WHERE dr.level = 'district' AND ST_Intersects(dr.geom, parts.g)), '{}')
                        END AS districts
        FROM parts) p
      GROUP BY p.region_id, p.districts, p.enterprise_id;
      INSERT INTO layers_regioncount_made (level, made_at, seen) VALUES (lvl, clock_timestamp(), changes)
      ON CONFLICT (level) DO UPDATE SET made_at = EXCLUDED.made_at, seen = EXCLUDED.seen;
    END IF;
  END IF;
  RETURN QUERY SELECT * FROM layers_regioncount k WHERE k.level = lvl;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0001_live_batches"),
        ("alarms", "0006_work_order_assignees"),
        ("geo_core", "0015_import_jobs"),
    ]

    operations = [
        migrations.RunSQL(
            """
            CREATE TABLE layers_regioncount (
                level text NOT NULL,
                region_id bigint NOT NULL,
                districts bigint[] NOT NULL,  -- the district-level regions the counted row's geometry lies in
                enterprise_id bigint,
                sites int NOT NULL,
                welders int NOT NULL,
                powered int NOT NULL,
                open_alarms int NOT NULL,
                equipment int NOT NULL,
                equipment_faults int NOT NULL
            );
            CREATE INDEX layers_regioncount_level ON layers_regioncount (level, region_id);
            CREATE TABLE layers_regioncount_made (level text PRIMARY KEY, made_at timestamptz NOT NULL,
                                                  seen bigint NOT NULL);
            CREATE SEQUENCE layers_counts_changes;
            """
            + FUNCTION
            + "".join(
                f"CREATE TRIGGER layers_counts_changed AFTER INSERT OR UPDATE OF {cols} OR DELETE OR TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION layers_counts_changed();\n"
                for t, cols in TABLES.items()
            ),
            "".join(f"DROP TRIGGER layers_counts_changed ON {t};\n" for t in TABLES)
            + """
            DROP FUNCTION layers_region_counts(text, double precision);
            DROP FUNCTION layers_counts_changed();
            DROP SEQUENCE layers_counts_changes;
            DROP TABLE layers_regioncount_made;
            DROP TABLE layers_regioncount;
            """,
        )
    ]
