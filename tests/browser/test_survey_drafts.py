"""Back, reload and reopening the link never lose answers (issue 9 §2), in real Chromium.

Every survey page is a GET reached by a redirect after the posted page (POST-redirect-GET),
and the answers so far are kept server-side in a draft found by a random token in the
session cookie.  So the phone's Back gesture shows the previous page with its answers (no
"Confirm Form Resubmission"), reload keeps them, and reopening the QR link offers "continue
where you left off" or "start again".  A sent response can never be reopened or changed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Response
from tests.browser.test_survey import NOK_ANSWERS
from tests.browser.test_survey import answer
from tests.browser.test_survey import open_survey

pytestmark = pytest.mark.browser

#: where screenshots of the pages go when SURVEY_SCREENSHOTS is set (for a human to look at)
SHOTS = os.environ.get("SURVEY_SCREENSHOTS", "")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def checked(page: Page, item: str, label: str) -> None:
    group = page.locator(f"fieldset:has(input[name='{item}'])")
    expect(group.get_by_label(label, exact=True)).to_be_checked()


def test_back_reload_and_reopening_the_link__keep_the_answers(
    live_server: str,
    phone: Page,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "nok_culture")
    link = f"{live_server}{path}?ch=qr"
    phone.goto(link)
    for answers in NOK_ANSWERS[:2]:
        for item, value in answers:
            answer(phone, item, value)
        phone.get_by_role("button", name="Далее", exact=True).tap()
    expect(phone.locator(".progress")).to_have_text("Страница 3 из 5")

    # the Back gesture: page 2, then page 1, each with its answers and no resubmission prompt
    back = phone.go_back()
    assert back is not None and back.ok and back.request.method == "GET"
    expect(phone.locator(".progress")).to_have_text("Страница 2 из 5")
    checked(phone, "q5", "Да")
    checked(phone, "q6", "Нет")
    back = phone.go_back()
    assert back is not None and back.ok
    expect(phone.locator(".progress")).to_have_text("Страница 1 из 5")
    checked(phone, "q1", "Да")
    checked(phone, "q3", "Нет")
    shot(phone, "survey-page1-after-back-360")

    # reload shows the same page and answers
    reloaded = phone.reload()
    assert reloaded is not None and reloaded.ok
    checked(phone, "q1", "Да")

    # reopening the QR link offers to continue; continuing restores the page and the answers
    phone.goto(link)
    keep = phone.get_by_role("button", name="Продолжить с того места, где остановились")
    expect(keep).to_be_visible()
    expect(phone.get_by_role("button", name="Начать заново")).to_be_visible()
    shot(phone, "survey-resume-360")
    keep.tap()
    expect(phone.locator(".progress")).to_have_text("Страница 3 из 5")
    phone.get_by_role("button", name="Назад", exact=True).tap()
    expect(phone.locator(".progress")).to_have_text("Страница 2 из 5")
    checked(phone, "q5", "Да")
    phone.get_by_role("button", name="Далее", exact=True).tap()

    # finish and send
    for number, answers in enumerate(NOK_ANSWERS[2:], start=3):
        expect(phone.locator(".progress")).to_have_text(f"Страница {number} из 5")
        for item, value in answers:
            answer(phone, item, value)
        label = "Отправить ответы" if number == len(NOK_ANSWERS) else "Далее"
        phone.get_by_role("button", name=label, exact=True).tap()
    expect(phone.locator("h1")).to_have_text("Спасибо!")

    # Back into the sent form: it says the answers cannot change; nothing can be resent
    phone.go_back()
    expect(phone).to_have_url(re.compile(r"/thanks\?sent=1$"))
    expect(phone.locator("main")).to_contain_text("ответы больше нельзя изменить")
    shot(phone, "survey-already-sent-360")
    # reopening the link starts a new, empty form instead of the sent one
    phone.goto(link)
    expect(phone.locator(".progress")).to_have_text("Страница 1 из 5")
    expect(phone.locator("input[name='q1']:checked")).to_have_count(0)

    session.expire_all()
    (response,) = session.scalars(select(Response))
    values = {a.item_id: a.value_num for a in response.answers}
    assert values["q1"] == 1.0 and values["q5"] == 1.0 and values["q17"] == 41.0
    assert response.channel == "qr"


def test_resume_page__on_a_desktop_in_english(
    live_server: str,
    new_context: Callable[..., object],
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "nok_culture")
    context = new_context(viewport={"width": 1366, "height": 800}, has_touch=True)
    page: Page = context.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server}{path}?lang=en")
    answer(page, "q1", "No")
    answer(page, "q3", "No")
    page.get_by_role("button", name="Next", exact=True).click()
    page.goto(f"{live_server}{path}")
    restart = page.get_by_role("button", name="Start again")
    expect(page.get_by_role("button", name="Continue where you left off")).to_be_visible()
    shot(page, "survey-resume-1366-en")
    restart.click()
    expect(page.locator(".progress")).to_have_text("Page 1 of 5")
    expect(page.locator("input[name='q1']:checked")).to_have_count(0)
