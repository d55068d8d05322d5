"""The visitor survey in a real headless Chromium, on a 360×740 phone.

Covers: a visitor opens the QR link for nok_culture, answers in Russian by tapping labels,
submits, and the response is counted in the database with channel qr; every page and the
library_gap battery page fit 360 px (no horizontal scroll) with touch targets of at least
44 px; the skip logic and error focus work with JavaScript switched off; axe-core reports no
serious or critical violations on the survey pages (yes/no, battery, rating tiles) and on
the error state, where the focus lands on the first field in error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Response

pytestmark = pytest.mark.browser

#: nok_culture as a visitor answers it: (item, label of the chosen option or typed text)
NOK_ANSWERS: list[list[tuple[str, str]]] = [
    [("q1", "Да"), ("q2", "Да"), ("q3", "Нет")],
    [("q5", "Да"), ("q6", "Нет")],
    [("q8", "Да"), ("q9", "Да"), ("q10", "Нет")],
    [("q12", "Да"), ("q13", "Нет"), ("q14", "Да")],
    [("q15", "Продлите часы работы в субботу"), ("q16", "Женский"), ("q17", "41")],
]


def open_survey(session: Session, make_campaign: Callable[..., Campaign], instrument: str) -> str:
    """Create an open campaign, commit it for the server thread, return its survey path."""
    campaign = make_campaign(instrument)
    path = f"/s/{campaign.code}/{campaign.libraries[0].code}"
    session.commit()
    return path


def answer(page: Page, item: str, value: str) -> None:
    """Answer one item the way a visitor does: tap the option's label, or type."""
    field = page.locator(f"[name='{item}']")
    kind = field.first.get_attribute("type")
    if kind == "radio":
        group = page.locator(f"fieldset:has(input[name='{item}'])")
        group.get_by_text(value, exact=True).tap()
        expect(group.get_by_label(value, exact=True)).to_be_checked()
    else:
        field.fill(value)


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide: {page.url}"


def small_targets(page: Page) -> list[str]:
    """Visible controls (option labels, selects, inputs, buttons) under 44 px in a dimension."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '.choice label, .tile label, select, .input-number, textarea, button, .lang-link'))
            .filter(e => e.offsetParent !== null)
            .map(e => [e.id || e.htmlFor || e.textContent.trim().slice(0, 20),
                       e.getBoundingClientRect()])
            .filter(([_, r]) => r.height < 44 || r.width < 44)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_phone_visitor__answers_nok_culture_in_russian_and_is_counted(
    live_server: str,
    phone: Page,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "nok_culture")
    phone.goto(f"{live_server}{path}?ch=qr")
    expect(phone.locator("html")).to_have_attribute("lang", "ru")
    expect(phone.locator("h1")).to_contain_text("Анкета для оценки качества")
    for number, answers in enumerate(NOK_ANSWERS, start=1):
        expect(phone.locator(".progress")).to_have_text(f"Страница {number} из 5")
        no_horizontal_scroll(phone)
        assert small_targets(phone) == []
        for item, value in answers:
            answer(phone, item, value)
        label = "Отправить ответы" if number == len(NOK_ANSWERS) else "Далее"
        phone.get_by_role("button", name=label, exact=True).tap()
    expect(phone).to_have_url(re.compile(r"/thanks$"))
    expect(phone.locator("h1")).to_have_text("Спасибо!")

    session.expire_all()
    responses = list(session.scalars(select(Response)))
    assert len(responses) == 1
    assert responses[0].channel == "qr"
    values = {a.item_id: (a.value_num, a.value_text) for a in responses[0].answers}
    assert values["q13"] == (0.0, None)
    assert values["q16"] == (2.0, "female")
    assert values["q17"] == (41.0, None)
    assert values["q15"] == (None, "Продлите часы работы в субботу")
    assert "q4" not in values and "q7" not in values and "q11" not in values


def test_battery_page__fits_a_360px_phone(
    live_server: str,
    phone: Page,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "library_gap")
    phone.goto(f"{live_server}{path}")
    # each statement is a card of tile rows, one per column: no dropdowns
    assert phone.locator("select").count() == 0
    no_horizontal_scroll(phone)
    assert small_targets(phone) == []
    statement = phone.locator("fieldset.q-battery").first
    columns = statement.locator("fieldset.column")
    expect(columns).to_have_count(3)
    for column, value in zip(columns.all(), ["5", "8", "6"], strict=True):
        column.get_by_label(value, exact=True).tap()
        expect(column.get_by_label(value, exact=True)).to_be_checked()
    # "not applicable" clears the ratings, and a rating clears "not applicable"
    statement.get_by_label("Не применимо").tap()
    expect(statement.locator("input[type=radio]:checked")).to_have_count(0)
    columns.last.get_by_label("7", exact=True).tap()
    expect(statement.get_by_label("Не применимо")).not_to_be_checked()
    phone.get_by_role("button", name="Далее").tap()
    # the other statements are unanswered: shown on the same page without leaving it
    expect(phone.locator(".error-summary")).to_be_visible()
    no_horizontal_scroll(phone)


def test_battery_without_javascript__ratings_and_na_together_are_refused(
    live_server: str,
    new_context: Any,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "library_gap")
    page = new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
        locale="ru-RU",
    ).new_page()
    page.goto(f"{live_server}{path}")
    statement = page.locator("fieldset.q-battery").first
    statement.locator("fieldset.column").first.get_by_label("5", exact=True).tap()
    statement.get_by_label("Не применимо").tap()
    expect(statement.get_by_label("Не применимо")).to_be_checked()
    page.get_by_role("button", name="Далее").tap()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("fieldset.q-battery.has-error").first).to_contain_text(
        statement.locator("legend").first.inner_text()
    )


def test_axe__survey_pages_have_no_serious_violations(
    live_server: str,
    phone: Page,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    paths = [
        open_survey(session, make_campaign, name)
        for name in ("nok_culture", "library_gap", "satisfaction_short", "kiosk_pulse")
    ]
    for path in paths:
        phone.goto(f"{live_server}{path}")
        assert serious_violations(phone) == [], path
        no_horizontal_scroll(phone)


def test_axe__error_state_has_no_serious_violations_and_focuses_the_first_error(
    live_server: str,
    phone: Page,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "nok_culture")
    phone.goto(f"{live_server}{path}")
    phone.get_by_role("button", name="Далее").tap()
    expect(phone).to_have_title(re.compile("^Ошибка:"))
    summary = phone.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(2)  # q1 and q3; q2 and q4 wait on them
    expect(phone.locator("#q1-0")).to_be_focused()
    assert serious_violations(phone) == []
    # the summary links lead to the fields
    summary.get_by_role("link").first.click()
    expect(phone).to_have_url(re.compile("#q1-0$"))


def test_without_javascript__skip_logic_and_error_focus_still_work(
    live_server: str,
    new_context: Any,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "nok_culture")
    page = new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
        locale="ru-RU",
    ).new_page()
    page.goto(f"{live_server}{path}")
    answer(page, "q1", "Нет")
    answer(page, "q3", "Нет")
    page.get_by_role("button", name="Далее").tap()
    expect(page.locator(".section-title")).to_have_text("Комфорт и доступность")
    page.get_by_role("button", name="Далее").tap()  # nothing answered
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#q5-0")).to_be_focused()  # the autofocus attribute, no script


def test_axe__battery_error_state_has_no_serious_violations_and_focuses_the_first_tile(
    live_server: str,
    phone: Page,
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    path = open_survey(session, make_campaign, "library_gap")
    phone.goto(f"{live_server}{path}")
    phone.get_by_role("button", name="Далее").tap()
    expect(phone.locator(".error-summary")).to_be_visible()
    # the first unanswered statement's first tile ("1" of the minimum level) has the focus
    expect(phone.locator("#AS1-minimum-0")).to_be_focused()
    assert serious_violations(phone) == []
    no_horizontal_scroll(phone)
    assert small_targets(phone) == []
