"""``record``: the one entry point every channel stores a response through.

It alone chooses how a response is written: committed on its own (the API, each item of a
kiosk batch) or inside the caller's transaction (the web form with its draft, a paper
import). A refused response leaves nothing behind and does not spoil the caller's
transaction; flags are stored with a new response and kept by its retries.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Response
from survey_app.services.errors import Invalid
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record
from tests.factories import NOK_ANSWERS
from tests.factories import submission


def stored(session) -> int:
    return session.scalar(select(func.count()).select_from(Response))


def test_committed_response__is_visible_to_another_connection(session, make_campaign):
    campaign = make_campaign("nok_culture")
    session.commit()

    receipt = record(session, parse_submission(submission(campaign, NOK_ANSWERS)))

    assert receipt.created
    with db.engine.connect() as other:
        assert other.scalar(select(func.count()).select_from(Response)) == 1


def test_refused_response__leaves_the_callers_transaction_usable(session, make_campaign):
    campaign = make_campaign("nok_culture")
    record(session, parse_submission(submission(campaign, NOK_ANSWERS)))

    with pytest.raises(Invalid):
        record(session, parse_submission(submission(campaign, {**NOK_ANSWERS, "q1": 9})))

    assert record(session, parse_submission(submission(campaign, NOK_ANSWERS))).created
    assert stored(session) == 2


def test_within_the_callers_transaction__a_rollback_takes_it_back(session, make_campaign):
    campaign = make_campaign("nok_culture")
    session.commit()

    record(session, parse_submission(submission(campaign, NOK_ANSWERS)), commit=False)
    session.rollback()

    assert stored(session) == 0


def test_flags__are_stored_sorted_and_a_retry_keeps_the_first(session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS)

    record(session, parse_submission(body), flags=["kiosk_interval", "burst"])
    again = record(session, parse_submission(body))

    assert not again.created
    assert session.scalars(select(Response.flags)).all() == [["burst", "kiosk_interval"]]


def test_no_flags__stored_as_null(session, make_campaign):
    campaign = make_campaign("nok_culture")

    record(session, parse_submission(submission(campaign, NOK_ANSWERS)))

    assert session.scalars(select(Response.flags)).all() == [None]


def test_unknown_flag__is_a_programming_error_not_stored(session, make_campaign):
    campaign = make_campaign("nok_culture")

    with pytest.raises(ValueError, match="unknown response flags"):
        record(session, parse_submission(submission(campaign, NOK_ANSWERS)), flags=["spam"])
    assert stored(session) == 0
