"""Recording a response when what it was checked against changes in between.

``record_response`` keeps each submission's target (campaign, library, service point,
instrument version) per process and the insert checks it again in the same statement. These
tests warm that cache with one stored response, change the network or the campaign, and
check that the next submission sees the change: nothing stored for a closed campaign, an
inactive or renamed library, a library that left the campaign, a deleted service point; a
campaign re-created under the same code (SQLite reuses its row id) is read afresh. A retry of
a response stored before the campaign closed still gets its receipt.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select

from survey_app.models import Answer
from survey_app.models import CampaignStatus
from survey_app.models import Response
from survey_app.models import ServicePoint
from survey_app.models import campaign_libraries
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import NotFound
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import submission

#: responses the ``warm`` fixture stores
WARM = 2


def record(session, body):
    """Record a JSON submission through the service, as every channel does."""
    return record_response(session, parse_submission(body))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def warm(session, make_campaign, make_library):
    """A campaign with one library (service point "desk") and two responses stored there,
    one given at the desk: both targets are now known to the process."""
    library = make_library(service_points=["desk"])
    campaign = make_campaign("nok_culture", libraries=[library])
    assert record(session, submission(campaign, NOK_ANSWERS)).created
    assert record(session, submission(campaign, NOK_ANSWERS, service_point="desk")).created
    return campaign


def test_campaign_closed_after_a_response__refuses_the_next(session, warm):
    warm.status = CampaignStatus.closed
    session.flush()

    with pytest.raises(NotFound, match="No open survey"):
        record(session, submission(warm, NOK_ANSWERS))
    assert count(session, Response) == WARM


def test_campaign_reopened__accepts_again(session, warm):
    warm.status = CampaignStatus.closed
    session.flush()
    with pytest.raises(NotFound):
        record(session, submission(warm, NOK_ANSWERS))

    warm.status = CampaignStatus.open
    session.flush()

    assert record(session, submission(warm, NOK_ANSWERS)).created
    assert count(session, Response) == WARM + 1


def test_library_deactivated_after_a_response__refuses_the_next(session, warm):
    warm.libraries[0].active = False
    session.flush()

    with pytest.raises(NotFound, match="does not take part"):
        record(session, submission(warm, NOK_ANSWERS))
    assert count(session, Response) == WARM


def test_library_left_the_campaign__refuses_the_next(session, warm):
    body = submission(warm, NOK_ANSWERS)
    session.execute(delete(campaign_libraries).where(campaign_libraries.c.campaign_id == warm.id))

    with pytest.raises(NotFound, match="does not take part"):
        record(session, body)
    assert count(session, Response) == WARM


def test_library_renamed__old_code_refused_new_code_accepted(session, warm):
    library = warm.libraries[0]
    old_code = library.code
    library.code = f"{old_code}-renamed"
    session.flush()

    with pytest.raises(NotFound):
        record(session, submission(warm, NOK_ANSWERS, library=old_code))
    assert record(session, submission(warm, NOK_ANSWERS, library=library.code)).created
    assert count(session, Response) == WARM + 1


def test_service_point_deleted__is_a_422_not_a_broken_reference(session, warm):
    library = warm.libraries[0]
    desk = library.service_points[0]
    # the stored response points at "desk"; detach it so the point can go, as staff would
    session.execute(Response.__table__.update().values(service_point_id=None))
    session.delete(desk)
    session.flush()

    with pytest.raises(Invalid) as caught:
        record(session, submission(warm, NOK_ANSWERS, service_point="desk"))
    assert [issue.code for issue in caught.value.issues] == ["API009"]
    assert count(session, Response) == WARM


def test_campaign_recreated_under_the_same_code__is_read_afresh(session, warm, make_campaign):
    library = warm.libraries[0]
    code = warm.code
    session.execute(delete(Answer))
    session.execute(delete(Response))
    session.delete(warm)  # and its campaign_libraries rows
    session.flush()
    # the same code, the same library, another channel set (and on SQLite the same row id)
    again = make_campaign("nok_culture", code=code, libraries=[library], channels=["kiosk"])

    with pytest.raises(Invalid) as caught:
        record(session, submission(again, NOK_ANSWERS, channel="qr"))
    assert [issue.code for issue in caught.value.issues] == ["API008"]
    assert record(session, submission(again, NOK_ANSWERS, channel="kiosk")).created


def test_service_point_created_after_a_submission_named_it__is_accepted(session, warm):
    library = warm.libraries[0]
    with pytest.raises(Invalid):
        record(session, submission(warm, NOK_ANSWERS, service_point="reading-room"))
    library.service_points.append(ServicePoint(code="reading-room", name="Читальный зал"))
    session.flush()

    assert record(session, submission(warm, NOK_ANSWERS, service_point="reading-room")).created
    assert count(session, Response) == WARM + 1


def test_campaign_recreated_accepting_more__is_read_afresh(session, make_campaign, make_library):
    library = make_library()
    old = make_campaign("nok_culture", code="recreated", libraries=[library], channels=["kiosk"])
    assert record(session, submission(old, NOK_ANSWERS, channel="kiosk")).created
    with pytest.raises(Invalid):
        record(session, submission(old, NOK_ANSWERS, channel="qr"))
    session.execute(delete(Answer))
    session.execute(delete(Response))
    session.delete(old)
    session.flush()

    new = make_campaign("nok_culture", code="recreated", libraries=[library], channels=["qr"])

    assert record(session, submission(new, NOK_ANSWERS, channel="qr")).created


def test_retry_after_the_campaign_closed__gets_the_first_receipt(session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS)
    first = record(session, body)
    campaign.status = CampaignStatus.closed
    session.flush()

    again = record(session, body)

    assert (first.created, again.created) == (True, False)
    assert again.id == first.id == uuid.UUID(body["id"])
    assert again.received_at == first.received_at
    assert count(session, Response) == 1


def test_retry_after_the_campaign_closed_with_other_content__is_a_conflict(session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS)
    record(session, body)
    campaign.status = CampaignStatus.closed
    session.flush()

    with pytest.raises(Conflict):
        record(session, {**body, "answers": {**NOK_ANSWERS, "q17": 35}})
    assert count(session, Response) == 1


def test_response_and_its_answers_are_stored_together(session, make_campaign):
    campaign = make_campaign("nok_culture")

    record(session, submission(campaign, NOK_ANSWERS))
    record(session, submission(campaign, NOK_ANSWERS))

    # 14 answered items (q16 a choice, q17 a number), per response
    rows = session.execute(
        select(Answer.item_id, Answer.column, Answer.value_num, Answer.value_text)
        .join(Response)
        .order_by(Response.id, Answer.id)
    ).all()
    assert len(rows) == 2 * len(NOK_ANSWERS)
    first = {row.item_id: (row.column, row.value_num, row.value_text) for row in rows[:14]}
    assert first["q1"] == ("", 1.0, None)
    assert first["q4"] == ("", 0.0, None)
    assert first["q17"] == ("", 34.0, None)
    assert first["q16"][0] == "" and first["q16"][2] == "female"
