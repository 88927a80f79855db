"""Database-level guarantees that CHECK constraints cannot express because they span
two tables: a claim's or annotation's span lies inside its statement's text, and a
statement's party is its actor's party. Both SQLite and PostgreSQL raise an
integrity error, which Django surfaces as IntegrityError."""

from django.db import migrations

SPAN_TABLES = ["incidents_claim", "incidents_annotation"]

SQLITE_UP = []
SQLITE_DOWN = []
for table in SPAN_TABLES:
    for event in ("INSERT", "UPDATE"):
        name = f"{table}_span_{event.lower()}"
        SQLITE_UP.append(
            f"""CREATE TRIGGER {name} BEFORE {event} ON {table}
            WHEN NEW."end" > (SELECT length(text) FROM incidents_statement
                              WHERE id = NEW.statement_id)
              OR NEW."start" < 0
            BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: span outside statement text'); END;"""
        )
        SQLITE_DOWN.append(f"DROP TRIGGER IF EXISTS {name};")
for event in ("INSERT", "UPDATE"):
    name = f"incidents_statement_party_{event.lower()}"
    SQLITE_UP.append(
        f"""CREATE TRIGGER {name} BEFORE {event} ON incidents_statement
        WHEN NEW.party_id IS NOT (SELECT party_id FROM incidents_actor WHERE id = NEW.actor_id)
        BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: statement party is not the actor party'); END;"""
    )
    SQLITE_DOWN.append(f"DROP TRIGGER IF EXISTS {name};")

PG_UP = [
    """CREATE OR REPLACE FUNCTION parallax_check_span() RETURNS trigger AS $$
    BEGIN
      IF NEW."start" < 0 OR NEW."end" > (SELECT char_length(text) FROM incidents_statement
                                          WHERE id = NEW.statement_id) THEN
        RAISE EXCEPTION 'span outside statement text' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;""",
    """CREATE OR REPLACE FUNCTION parallax_check_statement_party() RETURNS trigger AS $$
    BEGIN
      IF NEW.party_id IS DISTINCT FROM (SELECT party_id FROM incidents_actor
                                        WHERE id = NEW.actor_id) THEN
        RAISE EXCEPTION 'statement party is not the actor party' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;""",
    *[
        f"""CREATE TRIGGER {t}_span BEFORE INSERT OR UPDATE ON {t}
        FOR EACH ROW EXECUTE FUNCTION parallax_check_span();"""
        for t in SPAN_TABLES
    ],
    """CREATE TRIGGER incidents_statement_party BEFORE INSERT OR UPDATE ON incidents_statement
    FOR EACH ROW EXECUTE FUNCTION parallax_check_statement_party();""",
]
PG_DOWN = [
    *[f"DROP TRIGGER IF EXISTS {t}_span ON {t};" for t in SPAN_TABLES],
    "DROP TRIGGER IF EXISTS incidents_statement_party ON incidents_statement;",
    "DROP FUNCTION IF EXISTS parallax_check_span();",
    "DROP FUNCTION IF EXISTS parallax_check_statement_party();",
]


def forwards(apps, schema_editor):
    statements = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
