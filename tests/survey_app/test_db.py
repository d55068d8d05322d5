"""survey_app.db: the autocommit engine the API stores through on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from survey_app.db import autocommit_engine
from survey_app.extensions import db
from survey_app.models import Region


def regions(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Region))


def test_autocommit_engine__is_made_once_and_shares_the_pool(app_context):
    engine = db.engine

    assert autocommit_engine(engine) is autocommit_engine(engine)
    assert autocommit_engine(engine).pool is engine.pool


def test_autocommit_engine__commits_each_statement(app_context):
    with autocommit_engine(db.engine).connect() as connection:
        connection.execute(insert(Region).values(code="r-auto", name="Автокоммит"))
        # no commit: closing would roll back a transaction, but there is none

    assert regions(db.engine) == 1


def test_autocommit_engine__leaves_pooled_connections_transactional(app_context):
    with autocommit_engine(db.engine).connect():
        pass

    with db.engine.connect() as connection:  # the same pooled connection, reset
        connection.execute(insert(Region).values(code="r-tx", name="Транзакция"))
        # closed without commit: rolled back

    assert regions(db.engine) == 0
