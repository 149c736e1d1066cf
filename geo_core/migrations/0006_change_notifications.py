"""NOTIFY geo_core_changes when rows of the mapped tables change (DESIGN: fence, zone and data changes NOTIFY;
caches and engines listen). One notification per statement, with the extent of the rows it touched (old and new),
so a tile cache drops only the tiles under the change."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION geo_core_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  col text := TG_ARGV[0];
  box box2d;
  other box2d;
BEGIN
  IF col <> '' THEN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      EXECUTE format('SELECT ST_Extent(%I) FROM new_rows', col) INTO box;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      EXECUTE format('SELECT ST_Extent(%I) FROM old_rows', col) INTO other;
      box := CASE WHEN box IS NULL THEN other WHEN other IS NULL THEN box
                  ELSE Box2D(ST_Collect(box::geometry, other::geometry)) END;
    END IF;
  END IF;
  PERFORM pg_notify('geo_core_changes', json_build_object(
    'table', TG_TABLE_NAME,
    'bbox', CASE WHEN box IS NULL THEN NULL
                 ELSE json_build_array(ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box)) END)::text);
  RETURN NULL;
END $$;
"""

# table -> geometry column ('' for tables without one: a change there touches every tile of its layers)
TABLES = {
    "geo_core_region": "geom",
    "geo_core_enterprise": "",
    "geo_core_site": "footprint",
    "geo_core_zone": "geom",
    "geo_core_workpermit": "location",
}


def triggers(table: str, col: str) -> str:
    out = []
    for op, ref in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        out.append(
            f"CREATE TRIGGER {table}_notify_{op.lower()} AFTER {op} ON {table} REFERENCING {ref} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION geo_core_notify_change('{col}');"
        )
    return "\n".join(out)


def drop(table: str) -> str:
    return "\n".join(f"DROP TRIGGER IF EXISTS {table}_notify_{op} ON {table};" for op in ("insert", "update", "delete"))


class Migration(migrations.Migration):
    dependencies = [("geo_core", "0005_alter_deviceevent_kind_apitoken_userprofile")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS geo_core_notify_change() CASCADE;"),
        *[migrations.RunSQL(triggers(t, c), drop(t)) for t, c in TABLES.items()],
    ]
