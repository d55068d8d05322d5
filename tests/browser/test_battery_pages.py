"""Long batteries on a phone (issue 9 §3), in a real headless Chromium at 360 px: the full
library_gap form shows one group of three statement cards per page with its progress
("Страница 1 из 10", "Обслуживание (часть 1 из 3)"), no page is taller than 2,500 px (the
nine-statement page was 5,777 px), and Back and reload keep the answers of each part.
axe-core finds no serious or critical violation on a part page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Response

pytestmark = pytest.mark.browser

#: rate every statement on the page 5 in every column, as taps would (change events fire)
RATE_ALL = """() => {
  const form = document.querySelector('#survey');
  const names = new Set(Array.from(form.querySelectorAll('input[type=radio]')).map(i => i.name));
  for (const name of names) {
    const tile = form.querySelector(`input[type=radio][name="${name}"][value="5"]`)
      || form.querySelector(`input[type=radio][name="${name}"]`);
    tile.checked = true;
    tile.dispatchEvent(new Event('change', {bubbles: true}));
  }
  for (const box of form.querySelectorAll('.input-number')) box.value = '40';
}"""


def test_library_gap__three_statements_a_page_with_progress_back_and_reload(
    live_server: str, phone: Page, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("library_gap", lite_share=0.0)
    session.commit()
    phone.goto(f"{live_server}/s/{campaign.code}/{campaign.libraries[0].code}?ch=qr")

    expect(phone.locator(".progress")).to_have_text("Страница 1 из 10")
    expect(phone.locator(".section-title")).to_have_text("Обслуживание (часть 1 из 3)")
    expect(phone.locator(".q-battery")).to_have_count(3)
    assert phone.evaluate("document.documentElement.scrollHeight") < 2500
    violations = [
        f"{v['id']} ({v['impact']})"
        for v in Axe().run(phone).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == []
    first_statement = phone.locator(".q-battery legend").first.inner_text()
    phone.evaluate(RATE_ALL)
    phone.get_by_role("button", name="Далее", exact=True).tap()

    expect(phone).to_have_url(re.compile(r"/p/service~2$"))
    expect(phone.locator(".progress")).to_have_text("Страница 2 из 10")
    expect(phone.locator(".section-title")).to_have_text("Обслуживание (часть 2 из 3)")
    expect(phone.locator(".q-battery")).to_have_count(3)
    assert first_statement not in phone.locator("main").inner_text()
    phone.reload()
    expect(phone.locator(".section-title")).to_have_text("Обслуживание (часть 2 из 3)")
    phone.go_back()
    expect(phone.locator(".section-title")).to_have_text("Обслуживание (часть 1 из 3)")
    assert phone.locator("input[type=radio]:checked").count() == 9  # 3 cards × 3 columns

    heights = []
    with phone.expect_navigation():
        phone.get_by_role("button", name="Далее", exact=True).tap()
    while not re.search(r"/thanks$", phone.url):
        heights.append(phone.evaluate("document.documentElement.scrollHeight"))
        phone.evaluate(RATE_ALL)
        with phone.expect_navigation():
            phone.locator("button[name=nav][value=next]").tap()
        assert phone.locator(".error-summary").count() == 0, phone.url
    assert len(heights) == 9 and max(heights) < 2500
    session.expire_all()
    (response,) = session.scalars(select(Response))
    battery = {a.item_id for a in response.answers if a.column == "perceived"}
    assert len(battery) == 22  # every statement of every part was stored
