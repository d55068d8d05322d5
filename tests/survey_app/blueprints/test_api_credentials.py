"""Who may write through POST /api/v1/responses (issue 12 §1): a credential, never anyone.

No token, an unknown or a revoked one -> 401 with WWW-Authenticate and nothing stored; a
campaign or library outside the token's -> 403; the channel is the token's (a body naming
another is refused, API012); each response records the token that wrote it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from survey_app.models import IntegrationToken
from survey_app.models import Response
from survey_app.services.tokens import revoke_token
from tests.factories import NOK_ANSWERS
from tests.factories import bearer
from tests.factories import submission

URL = "/api/v1/responses"


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Response))


def body(campaign, **overrides):
    """A valid submission that names no channel (the token's is recorded)."""
    sent = submission(campaign, NOK_ANSWERS, **overrides)
    if "channel" not in overrides:
        del sent["channel"]
    return sent


@pytest.mark.parametrize(
    ("header", "challenge"),
    [
        (None, 'Bearer realm="survey-api"'),
        ("Bearer", 'Bearer realm="survey-api"'),
        ("Basic dXNlcjpwYXNz", 'Bearer realm="survey-api"'),
        ("Bearer it_" + "A" * 43, 'Bearer realm="survey-api", error="invalid_token"'),
        ("Bearer kd_" + "A" * 43, 'Bearer realm="survey-api", error="invalid_token"'),
        ("Bearer " + "x" * 5000, 'Bearer realm="survey-api", error="invalid_token"'),
    ],
    ids=["missing", "no-token", "basic", "unknown-integration", "unknown-kiosk", "huge"],
)
def test_without_a_valid_token__401_with_a_challenge_and_nothing_stored(
    client, session, make_campaign, header, challenge
):
    campaign = make_campaign("nok_culture")
    headers = {"Authorization": header} if header else {}

    reply = client.post(URL, json=body(campaign), headers=headers)

    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"] == challenge
    assert reply.is_json and reply.json["error"]
    assert count(session) == 0


def test_revoked_token__401_at_once(client, session, make_campaign, make_token):
    campaign = make_campaign("nok_culture")
    token = make_token()
    assert client.post(URL, json=body(campaign), headers=bearer(token)).status_code == 201

    row = session.scalar(select(IntegrationToken))
    revoke_token(session, row)
    reply = client.post(URL, json=body(campaign), headers=bearer(token))

    assert reply.status_code == 401
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert count(session) == 1


def test_the_token_is_checked_before_the_body(client, session):
    reply = client.post(URL, data="{", content_type="application/json")

    assert reply.status_code == 401


def test_response__records_the_token_that_wrote_it_and_its_channel(
    client, session, make_campaign, make_token
):
    campaign = make_campaign("nok_culture")
    token = make_token("web", name="Импорт из Яндекс Форм")
    row = session.scalar(select(IntegrationToken))

    reply = client.post(URL, json=body(campaign), headers=bearer(token))

    assert reply.status_code == 201
    stored = session.scalar(select(Response))
    assert (stored.channel, stored.writer_kind, stored.writer_id) == ("web", "integration", row.id)


def test_body_channel__the_tokens_is_accepted_another_is_refused(
    client, session, make_campaign, make_token
):
    campaign = make_campaign("nok_culture")
    token = make_token("paper")

    same = client.post(URL, json=body(campaign, channel="paper"), headers=bearer(token))
    forged = [
        client.post(URL, json=body(campaign, channel=channel), headers=bearer(token))
        for channel in ("kiosk", "qr", "web")
    ]

    assert same.status_code == 201
    for reply in forged:
        assert reply.status_code == 422
        assert [(p["code"], p["path"]) for p in reply.json["problems"]] == [("API012", "channel")]
    assert count(session) == 1


def test_token_for_one_campaign__another_campaign_is_403(
    client, session, make_campaign, make_token
):
    mine = make_campaign("nok_culture")
    other = make_campaign("nok_culture", libraries=mine.libraries)
    token = make_token(campaign=mine)

    allowed = client.post(URL, json=body(mine), headers=bearer(token))
    refused = client.post(URL, json=body(other), headers=bearer(token))

    assert (allowed.status_code, refused.status_code) == (201, 403)
    assert refused.json["error"]
    assert count(session) == 1


def test_token_for_one_library_system__a_library_of_another_is_403(
    client, session, make_campaign, make_library, make_token
):
    inside = make_library()
    sibling = make_library(system=inside.system)
    outside = make_library()
    campaign = make_campaign("nok_culture", libraries=[inside, sibling, outside])
    token = make_token(scope=f"system:{inside.system.code}")

    replies = [
        client.post(URL, json=body(campaign, library=library.code), headers=bearer(token))
        for library in (inside, sibling, outside)
    ]

    assert [r.status_code for r in replies] == [201, 201, 403]
    assert count(session) == 2


def test_token_for_one_library__another_library_is_403(
    client, session, make_campaign, make_library, make_token
):
    mine, other = make_library(), make_library()
    campaign = make_campaign("nok_culture", libraries=[mine, other])
    token = make_token(scope=f"library:{mine.code}")

    replies = [
        client.post(URL, json=body(campaign, library=library.code), headers=bearer(token))
        for library in (mine, other)
    ]

    assert [r.status_code for r in replies] == [201, 403]


def test_unknown_campaign_with_a_valid_token__still_404(client, session, make_token):
    reply = client.post(
        URL,
        json={"id": "0b5e0c1e-9f5b-4a7e-9d3a-1c2b3d4e5f60", "campaign": "nope", "library": "x",
              "answers": {}},
        headers=bearer(make_token()),
    )  # fmt: skip

    assert reply.status_code == 404


def test_openapi__declares_the_bearer_scheme_and_401_403(client):
    document = client.get("/api/v1/openapi.json").json
    post = document["paths"]["/api/v1/responses"]["post"]

    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert post["security"] == [{"bearer": []}]
    assert "WWW-Authenticate" in post["responses"]["401"]["headers"]
    assert "403" in post["responses"]
    assert "channel" not in post["requestBody"]["content"]["application/json"]["schema"]["required"]
