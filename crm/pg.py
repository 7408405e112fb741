"""PostgreSQL features the CRM uses only where the server has them (pg_trgm is a contrib extension)."""

import django.contrib.postgres.indexes
from django.db import connection, migrations
from django.db.models import CharField, lookups

TRGM_EXTENSION = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  END IF;
END $$;
"""


def trgm_index(model_name, table, field, name):
    """A trigram GIN index in Django's state; in the database only where pg_trgm is installed."""
    sql = f"""
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({field} gin_trgm_ops);
  END IF;
END $$;
"""
    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunSQL(sql, f"DROP INDEX IF EXISTS {name};")],
        state_operations=[
            migrations.AddIndex(
                model_name=model_name,
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=[field], name=name, opclasses=["gin_trgm_ops"]
                ),
            )
        ],
    )


def has_trgm() -> bool:
    """Whether pg_trgm is installed in the current database (looked up once per connection)."""
    cached = getattr(connection, "_ccapp_has_trgm", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")
            cached = bool(cursor.fetchone()[0])
        connection._ccapp_has_trgm = cached
    return cached


@CharField.register_lookup
class ILikeContains(lookups.IContains):
    """Case-insensitive "contains" as ILIKE, which a pg_trgm GIN index on the column serves.

    Django's icontains compiles to UPPER(col) LIKE UPPER(...), which that index cannot serve (a full
    scan at a million customers). Without pg_trgm the ILIKE still works, by scanning.
    """

    lookup_name = "ilike_contains"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]
