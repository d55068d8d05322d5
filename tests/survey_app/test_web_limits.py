"""Anonymous web submissions (issue 12 §1): limited per client with keys that hold no
address, and bursts per library flagged for screening, never dropped.

* A client over ``WEB_SUBMIT_RATE_LIMIT`` finished forms gets 429 with ``Retry-After`` and a
  Russian reason; its answers stay in its draft; other clients are not held back.
* Over ``WEB_PAGE_RATE_LIMIT`` page posts: 429.
* The limiter's keys are HMACs of the address with the app's secret: the address is in no
  limiter key, no database row and no log record.
* ``WEB_BURST_RESPONSES`` web responses for one library within ``WEB_BURST_WINDOW_SECONDS``
  are all stored, and all carry the ``burst`` flag; other libraries and API writes do not
  count.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from survey_app import create_app
from survey_app.extensions import db
from survey_app.extensions import limiter
from survey_app.models import Response
from survey_app.models import SurveyDraft
from survey_app.models.base import utcnow
from tests.factories import NOK_ANSWERS
from tests.factories import bearer
from tests.factories import submission
from tests.survey_app.test_public import NOK_PAGES
from tests.survey_app.test_public import open_link
from tests.survey_app.test_public import post_page
from tests.survey_app.test_public import section_of
from tests.survey_app.test_public import survey_url

ADDRESS = "203.0.113.7"  # TEST-NET-3
OTHER_ADDRESS = "198.51.100.23"


@pytest.fixture
def limited_app(database_url: str) -> Iterator[Flask]:
    """The app with rate limiting on (per-process memory store) and small limits."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WEB_SUBMIT_RATE_LIMIT": "2 per 10 minutes",
            "WEB_PAGE_RATE_LIMIT": "100 per minute",
            "QUEUE_URL": "memory://",
        }
    )
    yield app
    with app.app_context():
        limiter.reset()
        db.engine.dispose()


def fill(app: Flask, url: str, address: str):
    """A new visitor (own cookies) at ``address`` answers every page; the last response."""
    client = app.test_client(use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = address
    response = open_link(client, url)
    for expected, answers in NOK_PAGES:
        if response.status_code != 200:
            return response  # refused on the way
        html = response.get_data(as_text=True)
        assert section_of(html) == expected
        response = post_page(client, url, html, answers)
    return response


def web_responses(session) -> list[Response]:
    session.expire_all()
    return list(session.scalars(select(Response).order_by(Response.id)))


def test_finished_forms_over_the_limit__429_answers_kept_other_clients_unaffected(
    limited_app, session, make_campaign
):
    campaign = make_campaign("nok_culture")
    session.commit()
    url = survey_url(campaign)

    first, second = fill(limited_app, url, ADDRESS), fill(limited_app, url, ADDRESS)
    third = fill(limited_app, url, ADDRESS)
    elsewhere = fill(limited_app, url, OTHER_ADDRESS)

    assert [r.request.path.endswith("/thanks") for r in (first, second)] == [True, True]
    assert third.status_code == 429
    assert 0 < int(third.headers["Retry-After"]) <= 600
    page = third.get_data(as_text=True)
    assert "Ваши ответы сохранены" in page and "Слишком много запросов" in page
    assert elsewhere.request.path.endswith("/thanks")
    assert len(web_responses(session)) == 3  # the refused one is not stored...
    kept = [d for d in session.scalars(select(SurveyDraft)) if d.submitted_at is None]
    assert len(kept) == 1 and json.loads(kept[0].state["s-answers"])["q17"] == 34


def test_page_posts_over_the_limit__429(database_url, session, make_campaign):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WEB_PAGE_RATE_LIMIT": "2 per minute",
            "QUEUE_URL": "memory://",
        }
    )
    campaign = make_campaign("nok_culture")
    session.commit()
    try:
        reply = fill(app, survey_url(campaign), ADDRESS)  # the third page post is refused
        assert reply.status_code == 429
        assert "Retry-After" in reply.headers
        assert "слишком много страниц" in reply.get_data(as_text=True)
    finally:
        with app.app_context():
            limiter.reset()
            db.engine.dispose()


def test_keys__are_keyed_hashes_the_address_is_nowhere(limited_app, session, make_campaign, caplog):
    campaign = make_campaign("nok_culture")
    session.commit()
    caplog.set_level(logging.DEBUG)

    for _ in range(3):  # the third is over the limit: a breach, too
        fill(limited_app, survey_url(campaign), ADDRESS)

    with limited_app.app_context():
        storage = limiter.limiter.storage
        keys = " ".join([*storage.storage, *storage.events, *storage.expirations])
    digest = hmac.new(b"test-secret", ADDRESS.encode(), hashlib.sha256).hexdigest()[:40]
    assert f"web-submit:{digest}" in keys and f"web-page:{digest}" in keys
    assert ADDRESS not in keys
    assert not [r for r in caplog.records if ADDRESS in r.getMessage() or digest in r.getMessage()]
    connection = session.connection()
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')):
            assert ADDRESS not in repr(tuple(row)), table
            assert digest not in repr(tuple(row)), table


def test_burst_for_one_library__all_stored_all_flagged(
    app, client, session, make_campaign, make_library, make_token, monkeypatch
):
    monkeypatch.setitem(app.config, "WEB_BURST_RESPONSES", 3)
    monkeypatch.setitem(app.config, "WEB_BURST_WINDOW_SECONDS", 600)
    busy, quiet = make_library(), make_library()
    campaign = make_campaign("nok_culture", libraries=[busy, quiet])
    session.commit()
    # an integration's paper response for the busy library: not a web response, not counted
    paper = {k: v for k, v in submission(campaign, NOK_ANSWERS).items() if k != "channel"}
    assert client.post("/api/v1/responses", json=paper, headers=bearer(make_token())).status_code
    busy_url, quiet_url = f"/s/{campaign.code}/{busy.code}", f"/s/{campaign.code}/{quiet.code}"

    two = [fill(app, busy_url, ADDRESS) for _ in range(2)]
    before = {r.channel: r.flags for r in web_responses(session)}
    fill(app, quiet_url, ADDRESS)
    third = fill(app, busy_url, ADDRESS)

    assert all(r.request.path.endswith("/thanks") for r in [*two, third])
    assert before == {"paper": None, "web": None}  # two in the window: not a burst yet
    flags = [(r.library_id, r.channel, r.flags) for r in web_responses(session)]
    assert flags == [
        (busy.id, "paper", None),
        (busy.id, "web", ["burst"]),
        (busy.id, "web", ["burst"]),
        (quiet.id, "web", None),
        (busy.id, "web", ["burst"]),
    ]


def test_burst__responses_before_the_window_do_not_count(app, session, make_campaign, monkeypatch):
    monkeypatch.setitem(app.config, "WEB_BURST_RESPONSES", 2)
    monkeypatch.setitem(app.config, "WEB_BURST_WINDOW_SECONDS", 600)
    campaign = make_campaign("nok_culture")
    session.commit()
    url = survey_url(campaign)

    fill(app, url, ADDRESS)
    session.execute(update(Response).values(received_at=utcnow() - timedelta(seconds=601)))
    session.commit()
    fill(app, url, ADDRESS)

    assert [r.flags for r in web_responses(session)] == [None, None]
