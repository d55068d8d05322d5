"""Database outages answer 503 with Retry-After, never 500; a restart costs no request.

Runs against a PostgreSQL server of this module's own (``private_postgres``), which the tests
stop and start; the shared server is never touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app import create_app
from survey_app.db import upgrade_database
from survey_app.extensions import db
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import LibraryType
from survey_app.models import Region
from survey_app.models import Response
from survey_app.services.instruments import register_bundled_instruments
from survey_app.services.tokens import issue_token
from tests.database import PrivatePostgres
from tests.factories import NOK_ANSWERS

URL = "/api/v1/responses"


@pytest.fixture(scope="module")
def outage_app(private_postgres: PrivatePostgres) -> Iterator[Flask]:
    """The app with its default engine options on the private server, holding one campaign."""
    upgrade_database(private_postgres.url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": private_postgres.url,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        versions = {row.instrument_id: row for row in register_bundled_instruments(db.session)}
        region = Region(code="r", name="Регион")
        system = LibrarySystem(region=region, code="s", name="ЦБС")
        library = Library(system=system, code="lib", name="Библиотека", type=LibraryType.branch)
        db.session.add(
            Campaign(
                code="nok",
                title="НОК",
                instrument_version=versions["nok_culture"],
                status=CampaignStatus.open,
                libraries=[library],
            )
        )
        token, _row = issue_token(db.session, name="Ввод бумажных анкет", channel="paper")
        db.session.commit()
    app.config["TEST_API_TOKEN"] = token
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def server(private_postgres: PrivatePostgres) -> Iterator[PrivatePostgres]:
    """The private server, running again after each test whatever the test did to it."""
    yield private_postgres
    private_postgres.ensure_running()


@pytest.fixture
def api(outage_app: Flask) -> FlaskClient:
    client = outage_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {outage_app.config['TEST_API_TOKEN']}"
    return client


def campaign_body() -> dict[str, Any]:
    """A valid submission to the module's campaign, with a new id."""
    return {
        "id": str(uuid.uuid4()),
        "campaign": "nok",
        "library": "lib",
        "channel": "paper",
        "answers": NOK_ANSWERS,
    }


def stored_ids(app: Flask) -> list[uuid.UUID]:
    with app.app_context():
        return list(db.session.scalars(select(Response.client_uuid)))


def test_database_restart__the_next_request_of_a_worker_succeeds(api, server):
    assert api.get("/healthz").status_code == 200  # a connection now waits in the pool
    body = campaign_body()

    server.stop()
    server.start()

    assert api.get("/healthz").status_code == 200
    assert api.post(URL, json=body).status_code == 201


def test_database_down__healthz_answers_json_503_with_retry_after(api, server):
    server.stop()

    reply = api.get("/healthz")

    assert reply.status_code == 503
    assert reply.is_json and reply.json["status"] == "unavailable"
    assert int(reply.headers["Retry-After"]) > 0


def test_database_down__a_submission_gets_503_and_its_retry_is_stored_once(api, server, outage_app):
    body = campaign_body()
    server.stop()

    during = api.post(URL, json=body)
    server.start()
    retry = api.post(URL, json=body)

    assert during.status_code == 503
    assert during.is_json and "retry" in during.json["error"]
    assert int(during.headers["Retry-After"]) > 0
    assert retry.status_code == 201
    assert stored_ids(outage_app).count(uuid.UUID(body["id"])) == 1


def test_stored_before_the_outage__the_retry_after_it_gets_200(api, server, outage_app):
    body = campaign_body()
    first = api.post(URL, json=body)  # stored, but say the client never saw the answer
    server.stop()
    server.start()

    retry = api.post(URL, json=body)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json == first.json
    assert stored_ids(outage_app).count(uuid.UUID(body["id"])) == 1


def test_database_down__a_page_answers_a_russian_503_page(api, server):
    server.stop()

    reply = api.get("/s/nok/lib")

    assert reply.status_code == 503
    assert reply.mimetype == "text/html"
    assert int(reply.headers["Retry-After"]) > 0
    page = reply.get_data(as_text=True)
    assert "Временно недоступно" in page
    assert "Traceback" not in page


def test_openapi__lists_503_for_submissions_and_health(api, server):
    paths = api.get("/api/v1/openapi.json").json["paths"]

    assert "503" in paths["/api/v1/responses"]["post"]["responses"]
    assert "503" in paths["/healthz"]["get"]["responses"]
    header = paths["/api/v1/responses"]["post"]["responses"]["503"]["headers"]
    assert "Retry-After" in header
    with pytest.raises(KeyError):
        _ = paths["/api/v1/responses"]["post"]["responses"]["500"]
