"""Migrations: upgrade from empty yields exactly the models' schema; downgrade empties it.

Runs on the database selected for the suite (SQLite or PostgreSQL), each test in a
database of its own.
"""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy import inspect

from survey_app.db import MIGRATIONS_DIR
from survey_app.db import alembic_config
from survey_app.db import downgrade_database
from survey_app.db import upgrade_database
from survey_app.models import Base
from tests.database import scratch_database


def test_history_has_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert MIGRATIONS_DIR.name == "migrations"


def test_upgrade_from_empty__matches_the_models(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        upgrade_database(url)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection, opts={"compare_type": True, "render_as_batch": True}
                )
                differences = compare_metadata(context, Base.metadata)
                tables = set(inspect(connection).get_table_names())
        finally:
            engine.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_downgrade_to_base__removes_every_table(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        upgrade_database(url)
        downgrade_database(url, "base")
        engine = create_engine(url)
        try:
            left = set(inspect(engine).get_table_names()) - {"alembic_version"}
        finally:
            engine.dispose()
        upgrade_database(url)  # and up again: the down/up cycle is consistent
    assert left == set()
