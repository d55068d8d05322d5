"""The points-split page and same-page skip logic in a real headless Chromium (issue 9 §4).

* A page whose numbers must add up to 100 shows the running total as the visitor types (with
  JavaScript); a wrong sum is refused with a message stating the current sum, and the focus
  moves to the error summary; the numbers are not labelled "optional".  Without JavaScript
  the total is not shown and the server refuses the same sum with the same message.
* A question whose condition depends on an answer on the same page is hidden until it
  applies (with JavaScript); without JavaScript it stays, with its "answer this if ..." note,
  and an answer given to it when it does not apply is discarded by the server, not stored.
axe-core finds no serious or critical violation on these pages.
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

#: a visit page with a same-page condition, then a 100-point split
SPLIT = """id: split_check
version: 1
locales: [ru, en]
title: {ru: Проверка распределения баллов, en: Points check}
formats:
  points: {type: number, integer: true, min: 0, max: 100, required: false}
sections:
  - id: visit
    title: {ru: Ваш визит, en: Your visit}
    items:
      - id: purpose
        type: single
        text: {ru: Зачем Вы пришли сегодня?, en: Why did you come today?}
        choices:
          - {value: books, label: {ru: За книгами, en: For books}}
          - {value: event, label: {ru: На мероприятие, en: For an event}}
      - id: event_name
        type: text
        show_if: {item: purpose, eq: event}
        text: {ru: На какое мероприятие?, en: Which event?}
      - id: again
        type: yes_no
        text: {ru: Придёте ли Вы снова?, en: Will you come again?}
  - id: weights
    title: {ru: Что для Вас важнее, en: What matters most}
    help: {ru: Распределите 100 баллов между тремя сторонами работы., en: Share 100 points.}
    sum_to: 100
    items:
      - {id: w_books, format: points, text: {ru: Книги, en: Books}}
      - {id: w_staff, format: points, text: {ru: Сотрудники, en: Staff}}
      - {id: w_rooms, format: points, text: {ru: Помещения, en: Rooms}}
"""


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def survey(session: Session, make_campaign: Callable[..., Campaign]) -> str:
    campaign = make_campaign(SPLIT)
    session.commit()
    return f"/s/{campaign.code}/{campaign.libraries[0].code}"


def phone_context(browser: Any, *, javascript: bool) -> Any:
    return browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="ru-RU",
        java_script_enabled=javascript,
    )


def test_with_javascript__condition_hides_until_it_applies_and_the_total_runs(
    live_server: str, survey: str, browser: Any, session: Session
) -> None:
    context = phone_context(browser, javascript=True)
    page = context.new_page()
    page.goto(f"{live_server}{survey}?ch=qr")
    violations = serious_violations(page)
    event_name = page.get_by_label("На какое мероприятие?")
    expect(event_name).to_be_hidden()
    page.get_by_text("На мероприятие", exact=True).tap()
    expect(event_name).to_be_visible()
    event_name.fill("Встреча с писателем")
    page.get_by_text("За книгами", exact=True).tap()
    expect(event_name).to_be_hidden()
    page.get_by_text("Да", exact=True).tap()
    violations += serious_violations(page)
    page.get_by_role("button", name="Далее", exact=True).tap()

    total = page.locator("#sum-total")
    expect(total).to_have_text("Распределено баллов: 0 из 100. Осталось распределить: 100.")
    expect(page.locator("main")).not_to_contain_text("необязательно")
    page.get_by_label("Книги").fill("50")
    page.get_by_label("Сотрудники").fill("30")
    expect(total).to_have_text("Распределено баллов: 80 из 100. Осталось распределить: 20.")
    page.get_by_label("Помещения").fill("30")
    expect(total).to_have_text("Распределено баллов: 110 из 100. Это на 10 больше, чем нужно.")
    violations += serious_violations(page)
    page.get_by_role("button", name="Отправить ответы", exact=True).tap()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Сумма чисел на этой странице — 110, а должна быть 100.")
    expect(summary).to_be_focused()
    expect(total).to_have_text("Распределено баллов: 110 из 100. Это на 10 больше, чем нужно.")
    violations += serious_violations(page)
    page.get_by_label("Помещения").fill("20")
    expect(total).to_have_text("Распределено баллов: 100 из 100. Всё верно.")
    page.get_by_role("button", name="Отправить ответы", exact=True).tap()
    expect(page).to_have_url(re.compile(r"/thanks$"))

    session.expire_all()
    (response,) = session.scalars(select(Response))
    values = {a.item_id: (a.value_num, a.value_text) for a in response.answers}
    assert values == {
        "purpose": (None, "books"),
        "again": (1.0, None),
        "w_books": (50.0, None),
        "w_staff": (30.0, None),
        "w_rooms": (20.0, None),
    }
    assert violations == []
    context.close()


def test_without_javascript__note_stays_answer_discarded_and_sum_refused(
    live_server: str, survey: str, browser: Any, session: Session
) -> None:
    context = phone_context(browser, javascript=False)
    page = context.new_page()
    page.goto(f"{live_server}{survey}?ch=qr")
    event_name = page.get_by_label("На какое мероприятие?")
    expect(event_name).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Ответьте, если на предыдущий вопрос Вы ответили «На мероприятие»."
    )
    page.get_by_text("За книгами", exact=True).tap()
    event_name.fill("ответ, который не относится к делу")
    page.get_by_text("Нет", exact=True).tap()
    page.get_by_role("button", name="Далее", exact=True).tap()

    expect(page.locator("#sum-total")).to_be_hidden()
    page.get_by_label("Книги").fill("10")
    page.get_by_role("button", name="Отправить ответы", exact=True).tap()
    expect(page.locator("#error-summary")).to_contain_text(
        "Сумма чисел на этой странице — 10, а должна быть 100."
    )
    page.get_by_label("Книги").fill("100")
    page.get_by_role("button", name="Отправить ответы", exact=True).tap()
    expect(page).to_have_url(re.compile(r"/thanks$"))
    session.expire_all()
    (response,) = session.scalars(select(Response))
    assert {a.item_id for a in response.answers} == {"purpose", "again", "w_books"}
    context.close()
