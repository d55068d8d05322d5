"""``survey-app tokens issue|list|revoke`` (issue 12 §1): the token is printed once and only
its SHA-256 is stored; revoking takes effect on the next request; problems are one line each
with exit status 1; every change is audited with no actor (the command line)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import IntegrationToken
from tests.factories import NOK_ANSWERS
from tests.factories import bearer
from tests.factories import submission


def issue(runner, *args: str):
    return runner.invoke(args=["tokens", "issue", *args])


def test_tokens_issue__prints_the_token_once_and_stores_only_its_hash(runner, session):
    result = issue(runner, "--name", "Бумажные анкеты", "--channel", "paper")

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("it_") and len(token) == 3 + 43  # 32 random bytes, URL-safe
    row = session.scalar(select(IntegrationToken))
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.name, row.hint, row.token_sha256}
    assert row.hint == token[:8]
    event = session.scalar(select(AuditEvent))
    assert (event.action, event.actor_id, event.target) == ("token.issue", None, f"token:{row.id}")
    assert token not in str(event.details)


def test_tokens_issue__scoped_to_a_campaign_and_a_library(runner, session, make_campaign):
    campaign = make_campaign("nok_culture", code="NOK-26")
    library = campaign.libraries[0]

    result = issue(
        runner, "--name", "x", "--channel", "web", "--campaign", "nok-26",
        "--scope", f"library:{library.code}",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    row = session.scalar(select(IntegrationToken))
    assert (row.channel, row.campaign_id, row.library_id, row.system_id) == (
        "web", campaign.id, library.id, None,
    )  # fmt: skip


def test_tokens_issue__every_problem_on_its_own_line(runner, session, make_campaign):
    make_campaign("nok_culture", code="PAPERLESS", channels=["qr"])

    result = issue(
        runner, "--name", " ", "--channel", "paper", "--campaign", "PAPERLESS",
        "--scope", "system:nowhere",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "TOK001 name" in result.output
    assert "TOK004 channel" in result.output
    assert "ACC007 scope" in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(IntegrationToken)) is None


def test_tokens_issue__kiosk_is_not_an_integration_channel(runner, session):
    result = issue(runner, "--name", "x", "--channel", "kiosk")

    assert result.exit_code == 2  # refused by the option's choices
    assert "kiosk" in result.output


def test_tokens_list_and_revoke__revoked_token_is_refused_by_the_api(
    runner, session, client, make_campaign
):
    campaign = make_campaign("nok_culture")
    token = issue(runner, "--name", "Импорт", "--channel", "paper").stdout.strip()
    body = {k: v for k, v in submission(campaign, NOK_ANSWERS).items() if k != "channel"}
    assert client.post("/api/v1/responses", json=body, headers=bearer(token)).status_code == 201

    listed = runner.invoke(args=["tokens", "list"])
    revoked = runner.invoke(args=["tokens", "revoke", token[:8]])
    again = runner.invoke(args=["tokens", "revoke", token[:8]])
    after = client.post(
        "/api/v1/responses",
        json={**body, "id": "6f1c1f44-6a55-4d8e-8d11-36b3c1f9a0aa"},
        headers=bearer(token),
    )

    row = session.scalar(select(IntegrationToken))
    assert listed.output.split("\t")[:3] == [str(row.id), f"{token[:8]}…", "paper"]
    assert listed.output.rstrip("\n").split("\t")[-2:] == ["1", "Импорт"]  # 1 response written
    assert revoked.exit_code == 0 and "revoked token" in revoked.output
    assert again.exit_code == 1 and "already revoked" in again.output
    assert after.status_code == 401
    assert [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
        "token.issue",
        "token.revoke",
    ]


def test_tokens_revoke__unknown_token_is_one_line(runner, session):
    result = runner.invoke(args=["tokens", "revoke", "999"])

    assert result.exit_code == 1
    assert result.output == "Error: No such token.\n"
