"""The API tokens page (issue 12 §1): administrators only; the token is shown once, on the
answer to the issuing POST (never cached, never in a cookie or a later page); revoking works
at once; forms carry CSRF tokens; problems are shown in Russian beside their fields."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import IntegrationToken
from tests.factories import NOK_ANSWERS
from tests.factories import STAFF_PASSWORD
from tests.factories import bearer
from tests.factories import submission

TOKEN = re.compile(r"it_[A-Za-z0-9_-]{43}")


class StaffClient(FlaskClient):
    """A test client that forgets Flask-Login's per-request user cache between requests."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def sign_in(app, user) -> StaffClient:
    client = StaffClient(app, app.response_class, use_cookies=True)
    reply = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return client


@pytest.fixture
def admin(app, session, make_user):
    user = make_user("admin", email="admin@example.org")
    session.commit()
    return sign_in(app, user)


@pytest.mark.parametrize("role", ["methodologist", "quality_manager", "library_staff"])
def test_tokens_page__administrators_only(app, session, make_user, role):
    user = make_user(role)
    session.commit()
    client = sign_in(app, user)

    assert client.get("/admin/tokens/").status_code == 403
    assert client.post("/admin/tokens/", data={"name": "x", "channel": "paper"}).status_code == 403
    assert session.scalar(select(IntegrationToken)) is None


def test_tokens_page__anonymous_is_sent_to_sign_in(client):
    assert client.get("/admin/tokens/").status_code == 302


def test_issue__shows_the_token_once_and_stores_its_hash(admin, session, make_campaign):
    campaign = make_campaign("nok_culture", code="NOK-26")
    library = campaign.libraries[0]
    session.commit()

    reply = admin.post(
        "/admin/tokens/",
        data={
            "name": "Бумажные анкеты",
            "channel": "paper",
            "campaign": "NOK-26",
            "scope": f"library:{library.code}",
        },
    )

    page = reply.get_data(as_text=True)
    shown = TOKEN.findall(page)
    assert reply.status_code == 201
    assert len(set(shown)) == 1
    assert "no-store" in reply.headers["Cache-Control"]
    assert "Set-Cookie" not in reply.headers or shown[0] not in reply.headers["Set-Cookie"]
    row = session.scalar(select(IntegrationToken))
    assert row.token_sha256 == hashlib.sha256(shown[0].encode()).hexdigest()
    assert (row.campaign_id, row.library_id, row.channel) == (campaign.id, library.id, "paper")
    assert "Токен выпущен" in page
    listed = admin.get("/admin/tokens/").get_data(as_text=True)
    assert not TOKEN.search(listed)  # never shown again
    assert f"{shown[0][:8]}…" in listed and "Бумажные анкеты" in listed
    event = session.scalar(select(AuditEvent).filter_by(action="token.issue"))
    assert event.actor.email == "admin@example.org"


def test_issue__problems_are_shown_in_russian_and_nothing_is_stored(admin, session, make_campaign):
    make_campaign("nok_culture", code="QR-ONLY", channels=["qr"])
    session.commit()

    reply = admin.post(
        "/admin/tokens/",
        data={"name": "Импорт", "channel": "paper", "campaign": "QR-ONLY", "scope": "region"},
    )

    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "Эта кампания не принимает этот канал." in page
    assert not TOKEN.search(page)
    assert session.scalar(select(IntegrationToken)) is None


def test_issue__kiosk_channel_cannot_be_chosen(admin, session):
    reply = admin.post("/admin/tokens/", data={"name": "x", "channel": "kiosk", "scope": "region"})

    assert reply.status_code == 422
    assert session.scalar(select(IntegrationToken)) is None


def test_revoke__the_api_refuses_the_token_at_once(admin, client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    session.commit()
    page = admin.post(
        "/admin/tokens/", data={"name": "Импорт", "channel": "web", "scope": "region"}
    )
    token = TOKEN.search(page.get_data(as_text=True)).group(0)
    body = {k: v for k, v in submission(campaign, NOK_ANSWERS).items() if k != "channel"}
    assert client.post("/api/v1/responses", json=body, headers=bearer(token)).status_code == 201
    row = session.scalar(select(IntegrationToken))

    reply = admin.post(f"/admin/tokens/{row.id}/revoke", follow_redirects=True)
    later = {**body, "id": "00000000-0000-4000-8000-000000000001"}
    refused = client.post("/api/v1/responses", json=later, headers=bearer(token))

    assert reply.status_code == 200
    assert "отозван" in reply.get_data(as_text=True)
    assert refused.status_code == 401
    session.refresh(row)
    assert row.revoked_by.email == "admin@example.org"


def test_forms__need_the_csrf_token(csrf_app, session, make_user):
    user = make_user("admin", email="csrf-admin@example.org")
    session.commit()
    with csrf_app.test_client() as client:
        login_page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        client.post(
            "/login", data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": csrf}
        )
        page = client.get("/admin/tokens/")
        without = client.post("/admin/tokens/", data={"name": "x", "channel": "paper"})

    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert without.status_code in (400, 422)
    assert session.scalar(select(IntegrationToken)) is None
