"""The kiosk tablet in real headless Chromium against the real app (issue 11 §2-3).

Covers: the idle reset warns with a countdown and a "Продолжить" button that keeps the
visitor's answers (WCAG 2.2.1), then starts again without a trace of them — the partial kept
as partial under partial_policy "keep", dropped under "discard"; the English switch lasts one
visitor; the staff PIN (checked on the tablet against the server's PBKDF2 hash) opens the
settings with the queue, the quarantine of a refused response and its JSON export, and
un-pairs; a revoked tablet is refused at once and asks for a new code, keeping its queue;
the sleep screen outside opening hours; the tablet's skip logic and opening hours agree with
the server's; axe-core finds nothing serious on any kiosk screen and every target is 48 px.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments import load
from instruments import visible_items
from instruments.loader import bundled_paths
from survey_app.models import Response
from survey_app.services import kiosks
from tests.browser.conftest import KIOSK_PIN
from tests.browser.kiosk_steps import answer_pulse
from tests.browser.kiosk_steps import pair_by_link
from tests.browser.kiosk_steps import serious_violations
from tests.browser.kiosk_steps import small_targets
from tests.browser.kiosk_steps import stored_locally

pytestmark = pytest.mark.browser


def kiosk_responses(session: Session) -> list[Response]:
    session.commit()  # end the read transaction: see what the server thread committed
    return list(session.scalars(select(Response).where(Response.channel == "kiosk")))


def wait_until_sent(page: Page, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while stored_locally(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_locally(page) == 0


@pytest.fixture
def short_idle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Idle reset after 2 s without a touch, then a 3 s warning (the config the tablet reads)."""
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 2)
    monkeypatch.setitem(app.config, "KIOSK_WARNING_SECONDS", 3)


def test_idle_reset__warns_lets_the_visitor_continue_then_restarts_keeping_the_partial(
    live_server: str,
    tablet: Page,
    session: Session,
    enrol_kiosk: Callable[..., tuple[Any, str, Any]],
    short_idle: None,
) -> None:
    _, code, _ = enrol_kiosk(partial_policy="keep")
    pair_by_link(tablet, live_server, code)
    entries = tablet.evaluate("history.length")
    assert serious_violations(tablet) == []
    assert small_targets(tablet) == []

    # an English-speaking visitor: the switch lasts until the survey starts again
    tablet.get_by_role("button", name="Switch to English").click()
    expect(tablet.locator("html")).to_have_attribute("lang", "en")
    tablet.get_by_role("button", name="Start the survey").click()
    expect(
        tablet.get_by_role("group", name="How was your visit to the library today?")
    ).to_be_visible()
    tablet.get_by_role("button", name="Переключить на русский").click()
    expect(tablet.locator("html")).to_have_attribute("lang", "ru")
    assert serious_violations(tablet) == []
    assert small_targets(tablet) == []

    tablet.get_by_role("radio", name="плохо", exact=True).tap()  # one tap: on to question 2
    expect(tablet.locator(".progress")).to_have_text("Вопрос 2 из 3")
    # the focus moves to the new question (its legend), which screen readers then read
    expect(tablet.locator("legend")).to_be_focused()
    expect(tablet.locator("legend")).to_have_text(
        "К чему в первую очередь относится Ваша оценка? (необязательно)"
    )
    tablet.get_by_label("Сотрудники", exact=True).check()

    warning = tablet.get_by_role("alertdialog", name="Вы ещё здесь?")
    expect(warning).to_be_visible(timeout=6000)
    expect(warning).to_contain_text("Опрос начнётся заново через")
    expect(tablet.locator("#idle-countdown")).to_have_text(["3 с"], timeout=1000)
    expect(tablet.get_by_role("button", name="Продолжить")).to_be_focused()
    assert serious_violations(tablet) == []
    tablet.get_by_role("button", name="Продолжить").click()
    expect(warning).to_be_hidden()
    expect(tablet.get_by_label("Сотрудники", exact=True)).to_be_checked()  # nothing lost

    # nobody answers the next warning: the survey starts again for the next visitor
    expect(warning).to_be_visible(timeout=6000)
    expect(tablet.get_by_role("button", name="Начать опрос")).to_be_visible(timeout=6000)
    expect(tablet.locator("html")).to_have_attribute("lang", "ru")
    tablet.get_by_role("button", name="Начать опрос").click()
    expect(tablet.locator(".progress")).to_have_text("Вопрос 1 из 3")
    assert tablet.locator("input:checked").count() == 0
    assert tablet.get_by_role("button", name="Назад").count() == 0
    # no history entry leads back into the last response
    assert tablet.evaluate("history.length") == entries

    wait_until_sent(tablet)
    [partial] = kiosk_responses(session)
    assert partial.flags is not None and "partial" in partial.flags
    assert {a.item_id: (a.value_num, a.value_text) for a in partial.answers} == {
        "mood": (2.0, None),
        "topic": (1.0, "staff"),
    }


def test_idle_reset__under_partial_policy_discard_the_half_answer_is_dropped(
    live_server: str,
    tablet: Page,
    session: Session,
    enrol_kiosk: Callable[..., tuple[Any, str, Any]],
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 1)
    monkeypatch.setitem(app.config, "KIOSK_WARNING_SECONDS", 1)
    _, code, _ = enrol_kiosk(partial_policy="discard")
    pair_by_link(tablet, live_server, code)
    tablet.get_by_role("button", name="Начать опрос").click()
    tablet.get_by_role("radio", name="отлично", exact=True).tap()
    expect(tablet.get_by_role("alertdialog")).to_be_visible(timeout=6000)
    expect(tablet.get_by_role("button", name="Начать опрос")).to_be_visible(timeout=6000)
    assert stored_locally(tablet) == 0
    assert stored_locally(tablet, "quarantine") == 0
    assert kiosk_responses(session) == []


def test_staff_pin__opens_the_settings_with_the_queue_and_the_quarantine_and_unpairs(
    live_server: str,
    tablet: Page,
    session: Session,
    enrol_kiosk: Callable[..., tuple[Any, str, Any]],
) -> None:
    device, code, _ = enrol_kiosk()
    pair_by_link(tablet, live_server, code)
    answer_pulse(tablet, 3, topics=("Мероприятия",), comment="Спасибо за выставку")
    # a response the server refuses (made for an older questionnaire: no face 9)
    refused_id = tablet.evaluate(
        """() => new Promise((resolve) => {
          const id = crypto.randomUUID();
          const open = indexedDB.open("kiosk");
          open.onsuccess = () => {
            const tx = open.result.transaction("queue", "readwrite");
            const now = new Date().toISOString();
            tx.objectStore("queue").add({id, answers: {mood: 9}, started_at: now,
                                         submitted_at: now, partial: false});
            tx.oncomplete = () => resolve(id);
          };
        })"""
    )
    answer_pulse(tablet, 4)  # a new response starts the upload at once
    wait_until_sent(tablet)
    assert stored_locally(tablet, "quarantine") == 1
    assert sorted(r.answers[0].value_num for r in kiosk_responses(session)) == [3.0, 4.0]

    tablet.get_by_role("button", name="Для сотрудников").click()
    expect(tablet.get_by_role("heading", name="Вход для сотрудников")).to_be_visible()
    assert serious_violations(tablet) == []
    tablet.get_by_label("PIN-код").fill("1111")
    tablet.get_by_role("button", name="Войти").click()
    expect(tablet.get_by_role("alert")).to_have_text("Неверный PIN-код.")
    tablet.get_by_label("PIN-код").fill(KIOSK_PIN)
    tablet.get_by_role("button", name="Войти").click()

    expect(tablet.get_by_role("heading", name="Настройки планшета")).to_be_visible()
    expect(tablet.locator("#st-queue")).to_have_text("0")
    expect(tablet.locator("#st-oldest")).to_have_text("нет")
    row = tablet.locator("#quarantine tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("rejected")
    expect(row).to_contain_text(refused_id[:8])
    assert serious_violations(tablet) == []
    assert small_targets(tablet) == []
    with tablet.expect_download() as download:
        tablet.get_by_role("button", name="Скачать карантин (JSON)").click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert exported["device"]["id"] == device.public_id
    [entry] = exported["entries"]
    assert (entry["id"], entry["status"], entry["item"]["answers"]) == (
        refused_id,
        "rejected",
        {"mood": 9},
    )

    tablet.get_by_role("button", name="Отключить планшет").click()
    expect(tablet.locator("#settings-notice")).to_contain_text("Нажмите ещё раз")
    tablet.get_by_role("button", name="Отключить планшет").click()
    expect(tablet.get_by_role("heading", name="Подключение планшета")).to_be_visible()
    assert stored_locally(tablet, "quarantine") == 1  # never deleted by the app
    assert serious_violations(tablet) == []


def test_revoked_tablet__is_refused_at_once_and_keeps_its_queue(
    live_server: str,
    tablet: Page,
    session: Session,
    enrol_kiosk: Callable[..., tuple[Any, str, Any]],
) -> None:
    device, code, staff = enrol_kiosk()
    pair_by_link(tablet, live_server, code)
    # offline while the visitor answers, so the revocation meets the tablet at its next
    # upload, not mid-survey (a config refresh could otherwise catch it first)
    tablet.context.set_offline(True)
    answer_pulse(tablet, 2)
    assert stored_locally(tablet) == 1
    kiosks.revoke(session, device, actor=staff)
    session.commit()

    tablet.context.set_offline(False)  # online: the upload is refused with 401
    expect(tablet.get_by_role("heading", name="Подключение планшета")).to_be_visible()
    expect(tablet.get_by_text("Этот планшет отключён от системы.")).to_be_visible()
    assert stored_locally(tablet) == 1  # kept for a new pairing, not thrown away
    assert kiosk_responses(session) == []

    token = kiosks.TOKEN_PREFIX  # the token itself stays on the tablet; ask the API as it would
    status = tablet.evaluate(
        """async (prefix) => {
          const headers = {Authorization: `Bearer ${prefix}x`};
          const r = await fetch("/api/v1/kiosk/config", {headers});
          return [r.status, (await r.json()).code];
        }""",
        token,
    )
    assert status == [401, "KIO401"]


def test_sleep_screen__outside_the_opening_hours_no_survey_starts(
    live_server: str,
    tablet: Page,
    enrol_kiosk: Callable[..., tuple[Any, str, Any]],
) -> None:
    # open one minute a week (Monday 03:00-03:01 in the library's zone): closed now
    _, code, _ = enrol_kiosk(hours={"mon": "03:00-03:01"})
    tablet.goto(f"{live_server}/kiosk?pair={code}")
    expect(tablet.get_by_role("heading", name="Библиотека закрыта")).to_be_visible()
    expect(tablet.get_by_role("table", name="Часы работы")).to_contain_text("Понедельник")
    assert tablet.get_by_role("button", name="Начать опрос").count() == 0
    assert serious_violations(tablet) == []


def test_tablet_logic__agrees_with_the_server_on_skip_logic_and_opening_hours(
    live_server: str, tablet: Page
) -> None:
    tablet.goto(f"{live_server}/kiosk")
    expect(tablet.get_by_role("heading", name="Подключение планшета")).to_be_visible()
    nok = load(next(p for p in bundled_paths() if p.parent.name == "nok_culture"))
    cases: list[dict[str, Any]] = [
        {},
        {"q1": 1, "q2": 1, "q3": 0},
        {"q1": 0, "q3": 1, "q5": 0, "q6": 1},
        {"q1": 1, "q3": 1, "q4": 1, "q5": 1, "q8": 0, "q12": 0},
    ]
    shown = tablet.evaluate(
        """async ([instrument, cases]) => {
          const form = await import("/kiosk/assets/form.js");
          const all = form.questions(instrument);
          return cases.map((answers) => form.visible(all, answers).shown.map((q) => q.item.id));
        }""",
        [kiosks.instrument_json(nok), cases],
    )
    assert [set(ids) for ids in shown] == [visible_items(nok, answers) for answers in cases]

    hours = kiosks.parse_opening_hours({"mon": "09:00-13:00, 14:00-19:00", "sat": "10:00-16:00"})
    zone = "Asia/Novokuznetsk"  # UTC+7
    moments = [
        datetime(2026, 12, 7, h, m, tzinfo=UTC)
        for h, m in ((1, 59), (2, 0), (6, 0), (6, 59), (7, 0), (11, 59), (12, 0))
    ]
    moments += [datetime(2026, 12, 5, 3, 0, tzinfo=UTC), datetime(2026, 12, 6, 3, 0, tzinfo=UTC)]
    on_tablet = tablet.evaluate(
        """async ([hours, zone, moments]) => {
          const { isOpen } = await import("/kiosk/assets/hours.js");
          return moments.map((m) => isOpen(hours, zone, new Date(m)));
        }""",
        [hours, zone, [m.isoformat() for m in moments]],
    )
    assert on_tablet == [kiosks.is_open(hours, m, zone) for m in moments]
    # Monday 08:59, 09:00, 13:00, 13:59, 14:00, 18:59, 19:00; Saturday 10:00; Sunday 10:00
    assert on_tablet == [False, True, False, False, True, True, False, True, False]
