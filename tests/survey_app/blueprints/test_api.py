"""POST /api/v1/responses: every status of issue 2 §6, and nothing stored on any error.

201 created · 200 same receipt for a retry · 409 same id, other content · 422 every problem
with code/path/message · 404 unknown or closed campaign / library · 413 over the size limit ·
never a 500 for any body · OpenAPI document · /healthz.

Every request here presents an integration token (paper, any campaign, the whole region);
what happens without one, or outside its scope, is in test_api_credentials.py.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import select

from survey_app import create_app
from survey_app.db import head_revision
from survey_app.models import Answer
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Response
from tests.database import configured_url
from tests.factories import NOK_ANSWERS
from tests.factories import submission as any_submission

URL = "/api/v1/responses"


@pytest.fixture
def client(api_client):
    """The test client with an integration token for channel paper (see conftest.py)."""
    return api_client


def submission(campaign: Campaign, answers: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A submission as an integration sends it: no channel (the token's is recorded)."""
    body = any_submission(campaign, answers, **overrides)
    if "channel" not in overrides:
        del body["channel"]
    return body


def stored(session) -> tuple[int, int]:
    """(responses, answers) rows in the database."""
    return (
        session.scalar(select(func.count()).select_from(Response)),
        session.scalar(select(func.count()).select_from(Answer)),
    )


def test_valid_response__is_created_with_typed_answers(client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS)

    reply = client.post(URL, json=body)

    assert reply.status_code == 201
    assert reply.json["id"] == body["id"]
    response = session.scalar(select(Response))
    assert response.client_uuid == uuid.UUID(body["id"])
    assert response.channel == "paper"  # the token's channel
    assert response.writer_kind == "integration" and response.writer_id is not None
    assert (response.instrument_id, response.instrument_version) == ("nok_culture", 1)
    assert len(response.instrument_sha256) == 64
    values = {a.item_id: a.value_num for a in response.answers}
    assert values["q1"] == 1.0 and values["q4"] == 0.0 and "q2" in values and "q7" not in values


def test_same_id_same_content__returns_the_same_receipt_once_stored(client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS)

    first = client.post(URL, json=body)
    # the same answers spelled differently are the same content
    respelled = {
        **body,
        "answers": {k: {1: "yes", 0: "no"}.get(v, v) for k, v in NOK_ANSWERS.items()},
    }
    second = client.post(URL, json=respelled)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json == second.json
    assert stored(session)[0] == 1


def test_same_id_other_content__is_a_conflict(client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS)
    client.post(URL, json=body)

    changed = {**body, "answers": {**NOK_ANSWERS, "q14": 0}}
    reply = client.post(URL, json=changed)

    assert reply.status_code == 409
    assert "error" in reply.json
    assert session.scalar(select(Answer.value_num).filter_by(item_id="q14")) == 1.0


def test_invalid_answers__422_lists_every_problem_and_stores_nothing(
    client, session, make_campaign
):
    campaign = make_campaign("nok_culture")
    answers = {**NOK_ANSWERS, "q5": 7, "q99": 1}
    del answers["q8"]

    reply = client.post(URL, json=submission(campaign, answers))

    assert reply.status_code == 422
    paths = {p["path"] for p in reply.json["problems"]}
    assert {"answers.q5", "answers.q99", "answers.q8"} <= paths
    assert all(set(p) == {"code", "path", "message"} for p in reply.json["problems"])
    assert all(p["code"].startswith("ANS") for p in reply.json["problems"])
    assert stored(session) == (0, 0)


def test_answer_to_a_skipped_question__is_rejected(client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    answers = {**NOK_ANSWERS, "q6": 0, "q7": 1}  # q7 is only asked when q6 = yes

    reply = client.post(URL, json=submission(campaign, answers))

    assert reply.status_code == 422
    assert [p["path"] for p in reply.json["problems"]] == ["answers.q7"]
    assert stored(session) == (0, 0)


def test_malformed_envelope__422_names_each_field(client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(
        campaign, NOK_ANSWERS, id="not-a-uuid", channel="fax", started_at="yesterday", extra=1
    )

    reply = client.post(URL, json=body)

    assert reply.status_code == 422
    assert {(p["code"], p["path"]) for p in reply.json["problems"]} == {
        ("API004", "id"),
        ("API012", "channel"),  # not the token's channel
        ("API006", "started_at"),
        ("API002", "extra"),
    }
    assert stored(session) == (0, 0)


def test_channel_not_accepted_by_the_campaign__422(client, session, make_campaign):
    campaign = make_campaign("nok_culture", channels=["kiosk"])

    reply = client.post(URL, json=submission(campaign, NOK_ANSWERS))  # the token's: paper

    assert reply.status_code == 422
    assert reply.json["problems"][0]["code"] == "API008"
    assert stored(session) == (0, 0)


@pytest.mark.parametrize("target", ["campaign", "library", "closed", "foreign-library", "inactive"])
def test_unknown_or_closed_target__404(client, session, make_campaign, make_library, target):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS)
    if target == "campaign":
        body["campaign"] = "no-such-campaign"
    elif target == "library":
        body["library"] = "no-such-library"
    elif target == "closed":
        campaign.status = CampaignStatus.closed
        session.flush()
    elif target == "foreign-library":
        body["library"] = make_library().code  # exists, but not in this campaign
    else:
        campaign.libraries[0].active = False
        session.flush()

    reply = client.post(URL, json=body)

    assert reply.status_code == 404
    assert stored(session) == (0, 0)


def test_body_over_the_size_limit__413(client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, {**NOK_ANSWERS, "q15": "x" * 300_000})

    reply = client.post(URL, data=json.dumps(body), content_type="application/json")

    assert reply.status_code == 413
    assert stored(session) == (0, 0)


WEIRD_BODIES: list[Any] = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"123",
    b"\xff\xfe\x00",
    b'{"id": null}',
    b'{"answers": []}',
    b'{"answers": {"q1": {"deep": [1, 2, {"x": NaN}]}}}',
    b'{"id": 5, "campaign": 5, "library": [], "channel": {}, "answers": "q1"}',
    b'{"started_at": "9999-99-99T99:99:99Z"}',
    b'{"page_timings": {"p": -1}}',
    b'{"page_timings": {"p": 1e999}}',
]


@pytest.mark.parametrize("raw", WEIRD_BODIES)
def test_any_body__gets_a_4xx_never_a_500(client, session, make_campaign, raw):
    make_campaign("nok_culture", code="c-weird")

    reply = client.post(URL, data=raw, content_type="application/json")

    assert 400 <= reply.status_code < 500
    assert "error" in reply.json
    assert stored(session) == (0, 0)


@pytest.mark.parametrize(
    "answers",
    [
        {"q1": None},
        {"q1": [1]},
        {"q1": {"a": 1}},
        {"q1": 1.5},
        {"q1": True, "q2": "maybe"},
        {"q17": "сто"},
        {"q17": 1e308},
        {"q16": ["f", "m"]},
        {"q15": 12},
        {"": 1},
    ],
)
def test_wrong_answer_types__422_never_500(client, session, make_campaign, answers):
    campaign = make_campaign("nok_culture")

    reply = client.post(URL, json=submission(campaign, {**NOK_ANSWERS, **answers}))

    assert reply.status_code == 422
    assert reply.json["problems"]
    assert stored(session) == (0, 0)


def test_openapi_document__describes_every_status(client):
    reply = client.get("/api/v1/openapi.json")

    assert reply.status_code == 200
    statuses = reply.json["paths"]["/api/v1/responses"]["post"]["responses"]
    assert set(statuses) == {"200", "201", "401", "403", "404", "409", "413", "422", "503"}
    assert reply.json["openapi"].startswith("3.")


def test_healthz__an_unmigrated_database_is_not_ready(tmp_path):
    """Issue 9 §7: a database without the schema answers 503, not "ok"."""
    fresh = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"}
    )
    reply = fresh.test_client().get("/healthz")
    assert reply.status_code == 503
    assert reply.json["status"] == "not migrated" and reply.json["revision"] is None
    assert reply.json["expected"] == head_revision()
    assert reply.json["error"] == "run 'survey-app db upgrade'"


def test_healthz__reports_the_database(client):
    reply = client.get("/healthz")

    assert reply.status_code == 200
    expected = "postgresql" if configured_url() else "sqlite"
    assert reply.json == {"status": "ok", "database": expected, "revision": head_revision()}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    envelope=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "campaign",
                "library",
                "channel",
                "started_at",
                "answers",
                "page_timings",
                "lite_items",
                "device",
                "other",
            ]
        ),
        JSON,
        max_size=6,
    ),
    answers=st.dictionaries(st.sampled_from([f"q{i}" for i in range(1, 19)]), JSON, max_size=8),
)
def test_fuzzed_submissions__get_a_4xx_and_store_nothing(
    client, session, make_campaign, envelope, answers
):
    """Property: whatever the JSON, the answer is a 4xx with a reason, never a 500."""
    if session.scalar(select(func.count()).select_from(Response)):
        pytest.fail("a previous example stored a response")
    # fixtures are shared by every example of one test run: create the campaign once
    campaign = session.scalar(select(Campaign).filter_by(code="fuzz")) or make_campaign(
        "nok_culture", code="fuzz"
    )
    body = {
        "id": str(uuid.uuid4()),
        "campaign": "fuzz",
        "library": campaign.libraries[0].code,
        "channel": "paper",
        **envelope,
        "answers": answers,
    }

    reply = client.post(URL, json=body)

    assert 400 <= reply.status_code < 500 or reply.status_code in (200, 201)
    assert reply.is_json and ("error" in reply.json or "id" in reply.json)
    if reply.status_code >= 400:
        assert stored(session) == (0, 0)
    else:  # a random body that happens to be a valid response: remove it for the next example
        session.execute(Answer.__table__.delete())
        session.execute(Response.__table__.delete())
        session.commit()


#: text as hostile clients send it: lone surrogates (escaped as \\udXXX by json.dumps), NUL and
#: other control characters among letters and digits
HOSTILE_TEXT = st.text(st.characters(categories=["Cs", "Cc", "L", "N", "P"]), max_size=12)
#: ISO timestamps anywhere in years 1..9999 with any UTC offset (some overflow when converted)
TIMESTAMPS = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
HOSTILE_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: thousands of digits, too
    | st.floats()  # NaN and ±Infinity, written as such
    | HOSTILE_TEXT
    | TIMESTAMPS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT, children, max_size=3)
    ),
    max_leaves=10,
)
SUBMISSION_FIELDS = [
    "id",
    "campaign",
    "library",
    "service_point",
    "channel",
    "started_at",
    "submitted_at",
    "answers",
    "page_timings",
    "lite_items",
    "device",
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(SUBMISSION_FIELDS) | HOSTILE_TEXT,
    value=HOSTILE_JSON,
    item=st.sampled_from(["q1", "q16", "q17"]) | HOSTILE_TEXT,
    answer=st.none() | HOSTILE_JSON,
    depth=st.sampled_from([0, 0, 0, 17, 1_000, 100_000]) | st.integers(0, 40),
    duplicate=st.sampled_from(["", "", "id", "campaign", "answers"]),
)
def test_hostile_json_text__gets_a_4xx_with_a_reason_never_a_500(
    client, session, make_campaign, field, value, item, answer, depth, duplicate
):
    """Property: a valid submission with one field (and one answer) made hostile, nested deep
    or given twice gets a 4xx with a reason, or is stored when it is still valid; never a 500.
    """
    campaign = session.scalar(select(Campaign).filter_by(code="hostile")) or make_campaign(
        "nok_culture", code="hostile"
    )
    answers = dict(NOK_ANSWERS) if answer is None else {**NOK_ANSWERS, item: answer}
    body = {**submission(campaign, answers), field: value}
    text = json.dumps(body, ensure_ascii=True)  # lone surrogates become "\\udfff" escapes
    if depth:
        text = text[:-1] + ', "page_timings": ' + "[" * depth + "]" * depth + "}"
    if duplicate:
        text = text[:-1] + f", {json.dumps(duplicate)}: {json.dumps(body[duplicate])}}}"

    reply = client.post(URL, data=text, content_type="application/json")

    assert reply.status_code < 500, reply.get_data(as_text=True)
    assert reply.is_json
    if reply.status_code >= 400:
        assert reply.json["error"]
        assert stored(session) == (0, 0)
    else:  # a valid response after all: remove it for the next example
        session.execute(Answer.__table__.delete())
        session.execute(Response.__table__.delete())
        session.commit()


def test_committed_campaign__response_is_stored_and_visible_to_others(
    client, session, make_campaign
):
    # as in production: nothing pending in the request's session (on PostgreSQL the API then
    # stores through its own autocommit connection)
    from survey_app.extensions import db

    campaign = make_campaign("nok_culture")
    session.commit()
    body = submission(campaign, NOK_ANSWERS)

    first = client.post(URL, json=body)
    retry = client.post(URL, json=body)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json == retry.json
    with db.engine.connect() as other:
        assert other.scalar(
            select(func.count())
            .select_from(Answer)
            .join(Response)
            .where(Response.client_uuid == uuid.UUID(body["id"]))
        ) == len(NOK_ANSWERS)


def test_api__opens_no_cookie_session_even_when_a_language_is_asked(client, session, make_campaign):
    campaign = make_campaign("nok_culture")

    created = client.post(f"{URL}?lang=en", json=submission(campaign, NOK_ANSWERS))
    refused = client.post(f"{URL}?lang=en", json=submission(campaign, {"q1": "maybe"}))

    assert (created.status_code, refused.status_code) == (201, 422)
    for reply in (created, refused):
        assert "Set-Cookie" not in reply.headers
        assert "Cookie" not in reply.headers.get("Vary", "")  # the session was never read
