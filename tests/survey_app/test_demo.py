"""`survey-app demo --seed-only`: the demo region, its campaigns and responses; idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Response
from survey_app.models import User
from survey_app.services.demo import CAMPAIGNS
from survey_app.services.demo import DEMO_ACCOUNTS
from survey_app.services.demo import DEMO_PASSWORD


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_demo_seed_only__creates_the_region_and_is_idempotent(runner, session):
    first = runner.invoke(args=["demo", "--seed-only", "--responses", "60"])
    assert first.exit_code == 0, first.output
    counts = (count(session, LibrarySystem), count(session, Library), count(session, Response))

    second = runner.invoke(args=["demo", "--seed-only", "--responses", "60"])

    assert second.exit_code == 0, second.output
    assert (
        count(session, LibrarySystem),
        count(session, Library),
        count(session, Response),
    ) == counts
    assert counts[0] >= 12 and 38 <= counts[1] <= 45
    assert counts[2] == sum(round(60 * share) for _, share, _ in CAMPAIGNS.values())
    # issue 9 §7: a re-run says it added nothing, row by row
    assert "added 0 libraries, 0 campaigns, 0 accounts, 0 responses" in second.output
    assert f"added {counts[1]} libraries, {len(CAMPAIGNS)} campaigns" in first.output
    codes = set(session.scalars(select(Campaign.code)))
    assert codes == set(CAMPAIGNS)
    # --seed-only serves nothing, so it prints no addresses as if they answered
    assert "nothing is served" in first.output
    assert "http://127.0.0.1:5000/s/" not in first.output and "/healthz" not in first.output
    assert count(session, User) == len(DEMO_ACCOUNTS)


def test_demo_accounts__can_sign_in_with_the_printed_password(runner, client, session):
    runner.invoke(args=["demo", "--seed-only", "--responses", "0"])
    reply = client.post("/login", data={"email": "librarian@demo.local", "password": DEMO_PASSWORD})
    assert reply.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_demo_responses__use_every_channel_and_every_instrument(runner, session):
    runner.invoke(args=["demo", "--seed-only", "--responses", "200"])

    channels = set(session.scalars(select(Response.channel).distinct()))
    instruments = set(session.scalars(select(Response.instrument_id).distinct()))

    assert channels == {"qr", "kiosk", "web", "paper"}
    assert instruments == {spec[0] for spec in CAMPAIGNS.values()}


def test_demo__refuses_a_database_it_did_not_make(runner, session, make_user):
    make_user(email="director@library.example")
    session.commit()

    result = runner.invoke(args=["demo", "--seed-only", "--responses", "0"])

    assert result.exit_code == 1
    assert result.output.count("\n") == 1  # one line, no traceback
    assert "not empty and was not made by the demo" in result.output
    assert "users" in result.output
    assert session.scalar(select(User.id).filter_by(email="admin@demo.local")) is None
    assert count(session, Library) == 0


def test_demo__runs_again_on_a_database_it_made(runner, session):
    assert runner.invoke(args=["demo", "--seed-only", "--responses", "0"]).exit_code == 0

    again = runner.invoke(args=["demo", "--seed-only", "--responses", "0"])

    assert again.exit_code == 0, again.output
    markers = session.scalars(select(AuditEvent.action).filter_by(action="demo.seed")).all()
    assert markers == ["demo.seed"]


def test_demo__force_seeds_a_non_empty_development_database(runner, session, make_user):
    make_user(email="developer@library.example")
    session.commit()

    result = runner.invoke(args=["demo", "--seed-only", "--responses", "0", "--force"])

    assert result.exit_code == 0, result.output
    assert session.scalar(select(User.id).filter_by(email="admin@demo.local")) is not None


@pytest.mark.parametrize("extra", [[], ["--force"]])
def test_demo__always_refuses_in_production(app, runner, session, extra):
    app.config["ENV"] = "production"
    try:
        result = runner.invoke(args=["demo", "--seed-only", "--responses", "0", *extra])
    finally:
        app.config["ENV"] = "development"

    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "production" in result.output
    assert count(session, User) == 0 and count(session, AuditEvent) == 0


def test_demo_seed__computes_a_report_run_for_every_campaign(runner, session):
    from survey_app.models import ReportResult
    from survey_app.models import ReportRun

    result = runner.invoke(args=["demo", "--seed-only", "--responses", "200"])

    assert result.exit_code == 0, result.output
    runs = session.scalars(select(ReportRun)).all()
    assert sorted(run.campaign.code for run in runs) == sorted(CAMPAIGNS)
    assert {run.status for run in runs} == {"done"}
    assert sum(run.responses_counted or 0 for run in runs) == count(session, Response)
    assert count(session, ReportResult) > 0
    assert "computing a report run for every campaign" in result.output
