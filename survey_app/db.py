"""Database helpers that are not models: engine set-up and Alembic access."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (about 10 MB) is imported by the functions that migrate or read revisions: the
# web and report workers import this module for the engine helpers alone.


def _migrations_dir() -> Path:
    """Where the Alembic scripts are: inside the installed package, or the checkout's folder.

    A wheel installs the top-level ``migrations/`` folder as ``survey_app/migrations``
    (setup.py); a checkout has it beside this package.
    """
    package = Path(__file__).resolve().parent
    installed = package / "migrations"
    return installed if installed.is_dir() else package.parent / "migrations"


MIGRATIONS_DIR = _migrations_dir()


#: how long a SQLite connection waits for another's write lock before "database is locked"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def enable_sqlite_foreign_keys(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and wait on locks, like PostgreSQL does."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _connection_record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade_losses(database_url: str, revision: str) -> dict[str, int]:
    """Rows that the downgrade to ``revision`` would delete, per table that has any.

    Each revision script names the tables its downgrade empties in ``LOSES`` (the others keep
    their rows, see :mod:`survey_app.migration_data`); they are counted here, before.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(database_url))
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current is None:
                return {}
            lost: list[str] = []
            for step in script.iterate_revisions(current, revision):
                lost.extend(getattr(step.module, "LOSES", ()))
            present = set(inspect(connection).get_table_names())
            counts = {
                name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in lost
                if name in present
            }
    finally:
        engine.dispose()
    return {name: count for name, count in counts.items() if count}


def downgrade_database(database_url: str, revision: str) -> None:
    """Revert the migrations down to ``revision`` (``"base"`` empties the schema)."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def safe_url(database_url: str) -> str:
    """The database URL with its password hidden (for messages)."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unreadable database URL>"


def head_revision() -> str | None:
    """The newest migration of this code base."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The migration the connected database is at (None: not migrated at all)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def applied_between(before: str | None, after: str | None) -> list[str]:
    """``"<revision> <message>"`` for each migration after ``before`` up to ``after``."""
    if after is None or after == before:
        return []
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    found = script.iterate_revisions(after, before or "base")
    return [f"{r.revision} {r.doc.splitlines()[0] if r.doc else ''}".strip() for r in found][::-1]


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


class DatabaseUnavailable(Exception):
    """The database cannot be reached or read; the message is one line saying why."""


def revision_of(database_url: str) -> str | None:
    """The revision the database at ``database_url`` is at (None: not migrated at all).

    Raises
    ------
    DatabaseUnavailable
        When the database cannot be reached or read.
    """
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    except SQLAlchemyError as error:
        problem = database_problem(database_url)
        raise DatabaseUnavailable(problem or str(error).splitlines()[0]) from error
    finally:
        engine.dispose()


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
