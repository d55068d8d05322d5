"""Fixtures shared by the whole suite: the app on the selected database, clients, factories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from survey_app import create_app
from survey_app.db import upgrade_database
from survey_app.extensions import db as _db
from survey_app.models import Base
from survey_app.services import instrument_review
from tests.database import PrivatePostgres
from tests.database import configured_url
from tests.database import scratch_database

pytest_plugins = ["tests.factories"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this test run, migrated to the latest revision."""
    with scratch_database(tmp_path_factory.mktemp("db")) as url:
        upgrade_database(url)
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application, configured for tests, on the run's database."""
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            # report runs are computed at once in the caller (the queue has its own tests)
            "QUEUE_URL": "memory://",
            "QUEUE_IMMEDIATE": True,
        }
    )
    yield application
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    """An application context whose tables are emptied afterwards."""
    with app.app_context():
        yield
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        # SQLite gives the next test's rows the same ids again: a review cached in this
        # process under (version id, response count, last id) would be another test's
        instrument_review.clear_cache()


@pytest.fixture
def session(app_context: None) -> Session:
    """The request-scoped session, as services receive it."""
    return _db.session


@pytest.fixture
def client(app: Flask, app_context: None) -> FlaskClient:
    """A test client (CSRF off; see ``csrf_client`` for the real thing)."""
    return app.test_client()


@pytest.fixture
def api_client(client: FlaskClient, make_token) -> FlaskClient:
    """The test client presenting an integration token (paper, any campaign, whole region)
    with every request, as a client of ``POST /api/v1/responses`` must (issue 12 §1)."""
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token()}"
    return client


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A second app on the run's database with CSRF protection on, as in production."""
    protected = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
        }
    )
    yield protected
    with protected.app_context():
        _db.engine.dispose()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for ``survey-app`` commands."""
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of the test module's own, for tests that stop and start it.

    Skipped (with the reason) only when PostgreSQL's server programs are not installed and
    the suite runs on SQLite; a PostgreSQL run (CI's second pass) fails instead.
    """
    bin_dir = PrivatePostgres.find()
    if bin_dir is None:
        reason = "fault tests need PostgreSQL's initdb and pg_ctl (/usr/lib/postgresql/*/bin)"
        if configured_url():
            pytest.fail(reason)
        pytest.skip(reason)
    server = PrivatePostgres(bin_dir)
    yield server
    server.close()
