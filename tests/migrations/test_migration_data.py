"""Migrations keep data both ways (issue 12 §3).

A database holding every kind of row (the demo region with accounts, campaigns, responses,
an exclusion, audit events, an instrument version with lineage and uploader, a campaign
with a non-default partial policy) is taken down by every number of steps that stays above
the empty schema and up again: every row of every table is the same afterwards, and new
rows still get fresh ids. Runs on the suite's database (SQLite or PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from survey_app import create_app
from survey_app.db import alembic_config
from survey_app.db import downgrade_database
from survey_app.db import upgrade_database
from survey_app.extensions import db
from survey_app.migration_data import KEPT_PREFIX
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import Response
from survey_app.models import User
from survey_app.services.accounts import create_user
from survey_app.services.demo import seed_demo
from survey_app.services.exclusions import exclude_response
from survey_app.services.tokens import issue_token
from survey_app.services.tokens import revoke_token
from tests.database import scratch_database

Rows = dict[str, list[tuple[tuple[str, Any], ...]]]


def revisions_above_base() -> list[str]:
    """Every revision but the first, newest first: the targets of a downgrade that keeps data."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    walked = [rev.revision for rev in script.walk_revisions()]  # head ... first
    return walked[1:]


@pytest.fixture
def full_database(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """A migrated scratch database holding every kind of row, and an app on it."""
    with scratch_database(tmp_path) as url:
        upgrade_database(url)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            session = db.session
            seed_demo(session, responses=40)
            admin = session.scalars(select(User).filter_by(role="admin")).first()
            manager = session.scalars(select(User).filter_by(role="quality_manager")).first()
            assert admin is not None and manager is not None
            first = session.scalars(select(Response).order_by(Response.id)).first()
            assert first is not None
            exclude_response(session, manager, first.client_uuid, "entered twice")
            session.execute(
                update(InstrumentVersion).values(
                    lineage={"q1": "same", "q2": "reworded"}, uploaded_by_id=admin.id
                )
            )
            session.execute(update(Campaign).values(partial_policy="keep"))
            _secret, token = issue_token(session, name="Ввод бумажных анкет", channel="paper")
            revoke_token(session, token, actor=admin)
            session.execute(
                update(Response)
                .where(Response.id == first.id)
                .values(writer_kind="integration", writer_id=token.id)
            )
            session.commit()
            db.engine.dispose()
        yield url, app


def snapshot(url: str) -> Rows:
    """Every row of every table (but Alembic's own), each as sorted (column, value) pairs."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sorted(set(inspect(connection).get_table_names()) - {"alembic_version"})
            return {
                table: sorted(
                    (
                        tuple(sorted(row._mapping.items()))
                        for row in connection.execute(text(f'SELECT * FROM "{table}"'))
                    ),
                    key=repr,
                )
                for table in tables
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("target", revisions_above_base())
def test_down_to_each_revision_and_up__every_row_is_kept(
    full_database: tuple[str, Flask], target: str
) -> None:
    url, app = full_database
    before = snapshot(url)
    assert before["users"] and before["audit_events"] and before["answers"]
    assert any(dict(row)["excluded_reason"] == "entered twice" for row in before["responses"])
    assert before["integration_tokens"]
    assert any(dict(row)["writer_kind"] == "integration" for row in before["responses"])

    downgrade_database(url, target)
    assert not any(table.startswith(KEPT_PREFIX) for table in before)
    upgrade_database(url)

    after = snapshot(url)
    assert not [table for table in after if table.startswith(KEPT_PREFIX)]
    assert after == before
    with app.app_context():  # ids continue after the restored rows (PostgreSQL sequences)
        user = create_user(
            db.session, email="new@example.org", name="New", password="a-long-password-1",
            role="admin",
        )  # fmt: skip
        db.session.commit()
        assert user.id > max(dict(row)["id"] for row in before["users"])
        db.engine.dispose()


def test_cli_downgrade__that_keeps_everything__does_not_ask(full_database) -> None:
    url, app = full_database
    before = snapshot(url)
    second = revisions_above_base()[-1]
    result = app.test_cli_runner().invoke(args=["db", "downgrade", second])  # no input given
    assert result.exit_code == 0, result.output
    upgrade_database(url)
    assert snapshot(url) == before


def test_cli_downgrade_to_base__states_the_loss_and_asks(full_database) -> None:
    url, app = full_database
    before = snapshot(url)
    runner = app.test_cli_runner()

    declined = runner.invoke(args=["db", "downgrade", "base"], input="n\n")
    assert declined.exit_code == 1
    assert f"{len(before['responses']):,} rows of responses" in declined.output
    assert f"{len(before['libraries']):,} rows of libraries" in declined.output
    assert snapshot(url) == before

    accepted = runner.invoke(args=["db", "downgrade", "base", "--yes"])
    assert accepted.exit_code == 0, accepted.output
    assert snapshot(url) == {}


def test_cli_downgrade_to_base__refused_in_production(full_database) -> None:
    url, _ = full_database
    before = snapshot(url)
    production = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "a-long-random-secret",
            "PUBLIC_BASE_URL": "https://survey.example.org",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
        }
    )
    result = production.test_cli_runner().invoke(args=["db", "downgrade", "base", "--yes"])
    assert result.exit_code == 1
    assert "refusing in production" in result.output and "rows of responses" in result.output
    assert snapshot(url) == before
