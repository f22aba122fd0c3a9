"""The search index of the public catalogue, per database (see `search.py` for how it is read).

SQLite: an FTS5 table over `SearchRow.search_tokens` (external content, the `ascii`
tokenizer: our tokens are letters and digits, so each stays one token), kept in step with the
search rows by triggers, so every write to the table (the services' upserts, a cascade from a
deleted dataset, a bulk insert) updates the index in the same transaction. PostgreSQL: the tokens are a
`tsvector` column (each token one lexeme) with a GIN index. Migration 0002 installs it; a later migration that makes
SQLite rebuild the search row table (Django's way of altering a column there) drops the triggers
with the old table and must call `install` and `install_version` again (`test_search.py` and
`test_snapshot.py` fail until it does). Migration 0003 adds the version triggers
(`SearchVersion`), on both databases.
"""

from __future__ import annotations

from typing import Any

from steward.catalogue.search import FTS_TABLE

ROW_TABLE = "catalogue_searchrow"
GIN_INDEX = "catalogue_search_tokens_gin"
VERSION_TABLE = "catalogue_searchversion"
VERSION_TRIGGER = "catalogue_search_changed"

_SQLITE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_tokens, "
    f"content='{ROW_TABLE}', content_rowid='entry_id', tokenize='ascii')",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON {ROW_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_tokens) VALUES (new.entry_id, new.search_tokens);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON {ROW_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_tokens)
            VALUES ('delete', old.entry_id, old.search_tokens);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update
        AFTER UPDATE OF entry_id, search_tokens ON {ROW_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_tokens)
            VALUES ('delete', old.entry_id, old.search_tokens);
        INSERT INTO {FTS_TABLE}(rowid, search_tokens) VALUES (new.entry_id, new.search_tokens);
    END""",
]
_SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
_POSTGRESQL = [
    f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {ROW_TABLE} USING gin (search_tokens)",
]
_POSTGRESQL_DROP = [f"DROP INDEX IF EXISTS {GIN_INDEX}"]

# The version (`SearchVersion`): a new random token on every write to the search rows, in
# the writing transaction (written whether or not the row exists: a flush empties the table). SQLite has row triggers only (one UPDATE of a one-row table per row
# written: 0.2 s more for the national import's 53,000 rows); PostgreSQL one per statement.
_SQLITE_VERSION = [
    f"INSERT INTO {VERSION_TABLE} (id, token) SELECT 1, lower(hex(randomblob(16))) "
    f"WHERE NOT EXISTS (SELECT 1 FROM {VERSION_TABLE})",
    *(
        f"""CREATE TRIGGER IF NOT EXISTS {VERSION_TRIGGER}_{event.lower()}
        AFTER {event} ON {ROW_TABLE} BEGIN
            INSERT INTO {VERSION_TABLE} (id, token) VALUES (1, lower(hex(randomblob(16))))
                ON CONFLICT (id) DO UPDATE SET token = excluded.token;
        END"""
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
_SQLITE_VERSION_DROP = [
    f"DROP TRIGGER IF EXISTS {VERSION_TRIGGER}_{event}" for event in ("insert", "update", "delete")
]
_POSTGRESQL_VERSION = [
    f"INSERT INTO {VERSION_TABLE} (id, token) SELECT 1, md5(random()::text) "
    f"WHERE NOT EXISTS (SELECT 1 FROM {VERSION_TABLE})",
    f"""CREATE OR REPLACE FUNCTION {VERSION_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {VERSION_TABLE} (id, token)
            VALUES (1, md5(random()::text || clock_timestamp()::text))
            ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {VERSION_TRIGGER} ON {ROW_TABLE}",
    f"""CREATE TRIGGER {VERSION_TRIGGER}
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {ROW_TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {VERSION_TRIGGER}()""",
]
_POSTGRESQL_VERSION_DROP = [
    f"DROP TRIGGER IF EXISTS {VERSION_TRIGGER} ON {ROW_TABLE}",
    f"DROP FUNCTION IF EXISTS {VERSION_TRIGGER}()",
]


def _run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def install(apps: Any = None, schema_editor: Any = None) -> None:
    """Create the index (and, on SQLite, fill it from the entries and add the triggers)."""
    _run(schema_editor, {"sqlite": _SQLITE, "postgresql": _POSTGRESQL})


def uninstall(apps: Any = None, schema_editor: Any = None) -> None:
    _run(schema_editor, {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRESQL_DROP})


def install_version(apps: Any = None, schema_editor: Any = None) -> None:
    """Create the version's one row and the triggers that change it (migration 0003)."""
    _run(schema_editor, {"sqlite": _SQLITE_VERSION, "postgresql": _POSTGRESQL_VERSION})


def uninstall_version(apps: Any = None, schema_editor: Any = None) -> None:
    _run(schema_editor, {"sqlite": _SQLITE_VERSION_DROP, "postgresql": _POSTGRESQL_VERSION_DROP})
