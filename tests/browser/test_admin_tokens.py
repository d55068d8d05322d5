"""The API tokens page in a real headless Chromium (issue 12 §1), at 360 and 1366 px: an
administrator issues a token (shown once, focused), the list shows its beginning only, the
token works against the API and is refused after revoking; axe-core finds no serious or
critical violations on the empty page, the page with the new token, the error state and the
list. Screenshots go to ``$SURVEY_SCREENSHOTS`` when it is set (for reviewing the layout)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.test_staff_scope import serious_violations
from tests.browser.test_staff_scope import sign_in
from tests.factories import NOK_ANSWERS

pytestmark = pytest.mark.browser


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("SURVEY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def world(session, make_library, make_user, make_campaign):
    library = make_library("KEM-1")
    campaign = make_campaign(code="NOK-26", libraries=[library])
    admin = make_user("admin", email="chief@example.org")
    session.commit()
    return campaign, library, admin


@pytest.mark.parametrize("width", [360, 1366])
def test_tokens_page__issue_see_once_use_revoke(
    live_server: str, world: Any, new_context: Any, width: int
):
    campaign, library, admin = world
    context = new_context(viewport={"width": width, "height": 900}, locale="ru-RU")
    page = context.new_page()
    sign_in(page, live_server, admin.email)

    page.goto(f"{live_server}/admin/tokens/")
    expect(page.locator("h1")).to_have_text("Токены API")
    expect(page.get_by_text("Ни одного токена ещё не выпущено.")).to_be_visible()
    assert serious_violations(page) == []
    shot(page, f"tokens-empty-{width}")

    page.get_by_role("button", name="Выпустить токен").click()  # empty name
    expect(page.locator("#error-summary")).to_be_focused()
    assert serious_violations(page) == []
    shot(page, f"tokens-error-{width}")

    page.get_by_label("Назначение").fill("Бумажные анкеты ЦБС Кемерова")
    page.get_by_label("Ответы, перенесённые из другого онлайн-опроса").check()
    page.get_by_label("Кампания").select_option("NOK-26")
    page.get_by_label("Библиотеки").select_option(f"library:{library.code}")
    page.get_by_role("button", name="Выпустить токен").click()

    expect(page.locator("#token-issued")).to_be_focused()
    token = page.locator("#new-token").input_value()
    assert re.fullmatch(r"it_[A-Za-z0-9_-]{43}", token)
    assert serious_violations(page) == []
    shot(page, f"tokens-issued-{width}")

    body = {
        "id": str(uuid.uuid4()),
        "campaign": "NOK-26",
        "library": "KEM-1",
        "answers": NOK_ANSWERS,
    }
    headers = {"Authorization": f"Bearer {token}"}
    stored = page.request.post(f"{live_server}/api/v1/responses", data=body, headers=headers)
    assert stored.status == 201

    page.goto(f"{live_server}/admin/tokens/")
    assert token not in page.content()
    row = page.locator("tr", has_text="Бумажные анкеты ЦБС Кемерова")
    expect(row).to_contain_text(token[:8] + "…")
    expect(row).to_contain_text("действует")
    expect(row.locator("td").nth(5)).to_contain_text("1")
    shot(page, f"tokens-list-{width}")

    row.get_by_role("button", name=re.compile("^Отозвать")).click()
    expect(page.locator(".flash-success")).to_contain_text("отозван")
    expect(page.locator("tr", has_text="Бумажные анкеты ЦБС Кемерова")).to_contain_text("отозван")
    assert serious_violations(page) == []
    shot(page, f"tokens-revoked-{width}")
    again = page.request.post(
        f"{live_server}/api/v1/responses",
        data={**body, "id": str(uuid.uuid4())},
        headers=headers,
    )
    assert again.status == 401
    context.close()
