"""Database helpers that are not models: engine set-up and Alembic access."""

from __future__ import annotations

from pathlib import Path
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

#: the Alembic scripts live at the top of the repository, beside this package
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def enable_sqlite_foreign_keys(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and wait on locks, like PostgreSQL does."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # savepoints (one per stored response) would otherwise write temp files to disk
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def autocommit_engine(engine: Engine) -> Engine:
    """Return ``engine`` in autocommit mode, sharing its pool (made once per engine).

    For work that is one statement (an API submission on PostgreSQL): no BEGIN, no COMMIT.
    """
    found = _autocommit_engines.get(engine)
    if found is None:
        found = engine.execution_options(isolation_level="AUTOCOMMIT")
        _autocommit_engines[engine] = found
    return found


_autocommit_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config pointing at our migrations and this database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade_database(database_url: str, revision: str) -> None:
    """Revert the migrations down to ``revision`` (``"base"`` empties the schema)."""
    command.downgrade(alembic_config(database_url), revision)


def safe_url(database_url: str) -> str:
    """The database URL with its password hidden (for messages)."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unreadable database URL>"


def head_revision() -> str | None:
    """The newest migration of this code base."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The migration the connected database is at (None: not migrated at all)."""
    return MigrationContext.configure(connection).get_current_revision()


def applied_between(before: str | None, after: str | None) -> list[str]:
    """``"<revision> <message>"`` for each migration after ``before`` up to ``after``."""
    if after is None or after == before:
        return []
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    found = script.iterate_revisions(after, before or "base")
    return [f"{r.revision} {r.doc.splitlines()[0] if r.doc else ''}".strip() for r in found][::-1]


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def database_problem(database_url: str) -> str | None:
    """What keeps the database from being used, in one line, or None when it is ready.

    "cannot connect to URL: reason" or "the database URL is not migrated ...: run
    'survey-app db upgrade'" (the password is never shown).
    """
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
    except SQLAlchemyError as error:
        return f"cannot connect to {safe_url(database_url)}: {_first_line(error)}"
    finally:
        engine.dispose()
    head = head_revision()
    if current != head:
        state = "is not migrated" if current is None else f"is at {current}, not {head}"
        return f"the database {safe_url(database_url)} {state}: run 'survey-app db upgrade'"
    return None
