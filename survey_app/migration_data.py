"""Data across schema migrations: rows kept through a downgrade, and what a downgrade loses.

A downgrade that drops a table or a column first copies what it drops into a *kept* table
(``kept_<revision>_<name>``, plain columns, no constraints); the upgrade of the same revision
puts the rows back and drops the copy. So a downgrade followed by an upgrade changes no row.
A revision whose downgrade cannot keep its data names the tables it empties in a module-level
``LOSES`` tuple; ``survey-app db downgrade`` counts their rows and asks before going on.

Table and column names come from the revision scripts, never from input, so the statements
are built as text (bandit B608 is silenced for that reason). Used from the scripts in
``migrations/versions`` (inside Alembic's ``op`` context) and by the
command line; SQL is written so that it runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: every kept table's name starts with this (Alembic's autogenerate leaves them alone)
KEPT_PREFIX = "kept_"


def kept_name(revision: str, name: str) -> str:
    """The name of the table holding ``name``'s rows kept by the downgrade of ``revision``."""
    return f"{KEPT_PREFIX}{revision}_{name}"


def _exists(table: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(table)


def _quoted(names: Sequence[str]) -> str:
    preparer = op.get_bind().dialect.identifier_preparer
    return ", ".join(preparer.quote(name) for name in names)


def keep_table(revision: str, table: str) -> None:
    """Copy every row of ``table`` into its kept table (call before dropping ``table``)."""
    kept = kept_name(revision, table)
    op.execute(f"DROP TABLE IF EXISTS {kept}")
    op.execute(f"CREATE TABLE {kept} AS SELECT * FROM {table}")  # nosec B608


def restore_table(revision: str, table: str, columns: Sequence[str]) -> None:
    """Put the kept rows of ``table`` back (call after creating it) and drop the copy.

    ``columns`` are the table's columns as the revision creates them; on PostgreSQL the id
    sequence then continues after the highest restored id.
    """
    kept = kept_name(revision, table)
    if not _exists(kept):
        return
    names = _quoted(columns)
    op.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {kept}")  # nosec B608
    op.execute(f"DROP TABLE {kept}")
    if op.get_bind().dialect.name == "postgresql" and "id" in columns:
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608
            f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
        )


def keep_columns(revision: str, table: str, columns: Sequence[str], key: str = "id") -> None:
    """Copy ``key`` and ``columns`` of ``table`` into a kept table (before dropping them)."""
    kept = kept_name(revision, table)
    op.execute(f"DROP TABLE IF EXISTS {kept}")
    op.execute(f"CREATE TABLE {kept} AS SELECT {_quoted([key, *columns])} FROM {table}")  # nosec B608


def restore_columns(revision: str, table: str, columns: Sequence[str], key: str = "id") -> None:
    """Put kept column values back into the rows with the same ``key`` and drop the copy.

    Rows added while the columns were gone keep the columns' defaults.
    """
    kept = kept_name(revision, table)
    if not _exists(kept):
        return
    preparer = op.get_bind().dialect.identifier_preparer
    key_q = preparer.quote(key)
    for column in columns:
        col = preparer.quote(column)
        op.execute(
            f"UPDATE {table} SET {col} = (SELECT k.{col} FROM {kept} AS k "  # nosec B608
            f"WHERE k.{key_q} = {table}.{key_q}) "
            f"WHERE {key_q} IN (SELECT {key_q} FROM {kept})"
        )
    op.execute(f"DROP TABLE {kept}")


def drop_kept_tables() -> None:
    """Drop every kept table (the downgrade to an empty schema leaves nothing behind)."""
    for table in sa.inspect(op.get_bind()).get_table_names():
        if table.startswith(KEPT_PREFIX):
            op.execute(f"DROP TABLE {table}")
