"""The pages work under the Content-Security-Policy (issue 12 §6), in a real Chromium: the
policy allows no inline script or style, so the styles, the rating rows' columns, the focus
on the first error and the preview's inert forms come from static files, and Chromium reports
no blocked script or style on the survey, sign-in, administration and preview pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from tests.factories import STAFF_PASSWORD

pytestmark = pytest.mark.browser


def blocked_by_the_policy(page: Page) -> list[str]:
    """Chromium's console reports of anything the Content-Security-Policy refused."""
    reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            reports.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return reports


def test_survey__rating_rows_and_error_focus_work_under_the_policy(
    live_server: str, phone: Page, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    reports = blocked_by_the_policy(phone)
    rating = make_campaign("satisfaction_short")
    yes_no = make_campaign("nok_culture")
    session.commit()

    reply = phone.goto(f"{live_server}/s/{rating.code}/{rating.libraries[0].code}")
    assert reply is not None and "'unsafe-inline'" not in reply.headers["content-security-policy"]
    columns = phone.evaluate(
        """() => Array.from(document.querySelectorAll('.scale[data-points]:not(.scale-nps)'))
             .map(e => [Number(e.dataset.points),
                        getComputedStyle(e).gridTemplateColumns.split(' ').length])"""
    )
    assert columns and all(points == count for points, count in columns), columns

    phone.goto(f"{live_server}/s/{yes_no.code}/{yes_no.libraries[0].code}")
    phone.get_by_role("button", name="Далее").tap()
    expect(phone.locator(".error-summary")).to_be_visible()
    expect(phone.locator("#q1-0")).to_be_focused()  # static/page.js, no inline script
    assert reports == []


def test_staff_pages__styled_and_focused_under_the_policy(
    live_server: str,
    page: Page,
    session: Session,
    make_user: Callable[..., Any],
    instrument_version: Callable[[str], Any],
) -> None:
    reports = blocked_by_the_policy(page)
    methodologist = make_user("methodologist", email="method@example.org")
    version = instrument_version("satisfaction_short")
    preview = f"/admin/instruments/{version.instrument_id}/{version.version}/preview"
    session.commit()

    page.goto(f"{live_server}/login")
    page.locator("#email").fill(methodologist.email)
    page.locator("#password").fill("wrong-password")
    page.locator("form button[type=submit]").click()
    expect(page.locator("#email")).to_be_visible()
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile("/admin/"))
    # admin.css, once a <style> block in the layout, is applied
    # (to_have_css waits: the URL changes before the new page's stylesheet applies)
    expect(page.locator(".admin")).to_have_css("max-width", "1152px")

    page.goto(f"{live_server}/admin/instruments/upload")
    page.locator("form button[type=submit]").last.click()  # no file chosen
    expect(page.locator("#error-summary")).to_be_focused()

    page.goto(f"{live_server}{preview}")
    expect(page.locator(".preview-banner")).to_be_visible()
    assert (
        page.evaluate(
            "getComputedStyle(document.querySelector('.preview-banner')).borderBottomWidth"
        )
        == "4px"
    )
    assert reports == []
