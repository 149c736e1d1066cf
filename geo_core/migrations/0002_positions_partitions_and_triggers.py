"""Database-side parts Django cannot declare: the day-partitioned position history, the spatial derivation
of a site's district (kept right when a site or a region changes), and the rule that a permit's site
belongs to the permit's enterprise."""

from django.db import migrations

POSITIONS = r"""
CREATE TABLE geo_core_positionfix (
  subject_id bigint NOT NULL REFERENCES geo_core_subject (id) DEFERRABLE INITIALLY DEFERRED,
  time timestamptz NOT NULL,
  geom geometry(PointZ, 4490) NOT NULL,
  accuracy_m double precision CHECK (accuracy_m IS NULL OR accuracy_m >= 0),
  floor smallint,
  speed_mps double precision CHECK (speed_mps IS NULL OR speed_mps >= 0),
  heading_deg double precision CHECK (heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)),
  source varchar(16) NOT NULL,
  raw_x double precision NOT NULL,
  raw_y double precision NOT NULL,
  raw_z double precision,
  raw_crs varchar(32) NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject_id, time),
  CONSTRAINT positionfix_lonlat_range CHECK (ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90)
) PARTITION BY RANGE (time);
CREATE INDEX geo_core_positionfix_time_brin ON geo_core_positionfix USING brin (time);

-- One partition per Asia/Shanghai day; safe to call concurrently.
CREATE OR REPLACE FUNCTION geo_core_ensure_position_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  name text := format('geo_core_positionfix_p%s', to_char(day, 'YYYYMMDD'));
BEGIN
  IF to_regclass(name) IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext(name));
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF geo_core_positionfix FOR VALUES FROM (%L) TO (%L)',
      name,
      (day::timestamp AT TIME ZONE 'Asia/Shanghai'),
      ((day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'));
  END IF;
  RETURN name;
END $$;
"""

POSITIONS_REVERSE = """
DROP TABLE IF EXISTS geo_core_positionfix CASCADE;
DROP FUNCTION IF EXISTS geo_core_ensure_position_partition(date);
"""

SITE_DISTRICT = r"""
-- The district (or, where a city has no districts, the city) holding the largest part of a footprint.
CREATE OR REPLACE FUNCTION geo_core_derive_district(g geometry) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT r.id FROM geo_core_region r
  WHERE r.level IN ('district', 'city') AND r.geom && g AND ST_Intersects(r.geom, g)
  ORDER BY r.level = 'district' DESC, ST_Area(ST_Intersection(r.geom, g)) DESC, r.code
  LIMIT 1
$$;

CREATE OR REPLACE FUNCTION geo_core_site_set_district() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  d bigint;
BEGIN
  IF NOT ST_IsValid(NEW.footprint) THEN
    RETURN NEW;  -- the site_footprint_valid CHECK reports it
  END IF;
  d := geo_core_derive_district(NEW.footprint);
  IF d IS NULL THEN
    RAISE EXCEPTION 'site % of enterprise %: field footprint lies outside every district in the regions table',
        quote_literal(NEW.name), NEW.enterprise_id
      USING ERRCODE = 'check_violation', TABLE = 'geo_core_site', COLUMN = 'footprint',
            CONSTRAINT = 'site_footprint_in_region';
  END IF;
  NEW.district_id := d;
  RETURN NEW;
END $$;

CREATE TRIGGER geo_core_site_district
  BEFORE INSERT OR UPDATE OF footprint ON geo_core_site
  FOR EACH ROW EXECUTE FUNCTION geo_core_site_set_district();

-- A region added, moved or removed: re-derive the sites it touched before or touches now.
CREATE OR REPLACE FUNCTION geo_core_region_rederive_sites() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE geo_core_site s SET district_id = geo_core_derive_district(s.footprint)
    WHERE s.footprint && OLD.geom;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    UPDATE geo_core_site s SET district_id = geo_core_derive_district(s.footprint)
    WHERE s.footprint && NEW.geom;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER geo_core_region_sites
  AFTER INSERT OR DELETE OR UPDATE OF geom, level ON geo_core_region
  FOR EACH ROW EXECUTE FUNCTION geo_core_region_rederive_sites();
"""

SITE_DISTRICT_REVERSE = """
DROP TRIGGER IF EXISTS geo_core_region_sites ON geo_core_region;
DROP TRIGGER IF EXISTS geo_core_site_district ON geo_core_site;
DROP FUNCTION IF EXISTS geo_core_region_rederive_sites();
DROP FUNCTION IF EXISTS geo_core_site_set_district();
DROP FUNCTION IF EXISTS geo_core_derive_district(geometry);
"""

PERMIT_SITE = """
ALTER TABLE geo_core_workpermit ADD CONSTRAINT permit_site_of_enterprise
  FOREIGN KEY (site_id, enterprise_id) REFERENCES geo_core_site (id, enterprise_id)
  DEFERRABLE INITIALLY DEFERRED;
"""

PERMIT_SITE_REVERSE = "ALTER TABLE geo_core_workpermit DROP CONSTRAINT IF EXISTS permit_site_of_enterprise;"


class Migration(migrations.Migration):
    dependencies = [("geo_core", "0001_initial")]

    operations = [
        migrations.RunSQL(POSITIONS, POSITIONS_REVERSE),
        migrations.RunSQL(SITE_DISTRICT, SITE_DISTRICT_REVERSE),
        migrations.RunSQL(PERMIT_SITE, PERMIT_SITE_REVERSE),
    ]
