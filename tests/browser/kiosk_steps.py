"""What a visitor and staff do on the kiosk tablet, as steps the kiosk browser tests share."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from playwright.sync_api import expect

#: the kiosk_pulse faces by stored value, as the visitor reads them
FACES = {1: "очень плохо", 2: "плохо", 3: "хорошо", 4: "отлично"}

#: the number of responses in the tablet's IndexedDB queue (or quarantine)
COUNT_JS = """(store) => new Promise((resolve, reject) => {
  const open = indexedDB.open("kiosk");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const count = open.result.transaction(store).objectStore(store).count();
    count.onsuccess = () => { open.result.close(); resolve(count.result); };
  };
})"""


def stored_locally(page: Page, store: str = "queue") -> int:
    return int(page.evaluate(COUNT_JS, store))


def pair_by_link(page: Page, base: str, code: str) -> None:
    """Open the QR code's link; the tablet pairs, shows the attract screen, caches itself."""
    page.goto(f"{base}/kiosk?pair={code}")
    expect(page.get_by_role("button", name="Начать опрос")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "yes")


def answer_pulse(page: Page, mood: int, topics: tuple[str, ...] = (), comment: str = "") -> None:
    """One visitor: start, choose a face, pick topics, comment (or skip), submit, leave.

    Each screen replaces the previous one at once, so every click finds the new screen's
    button (both questions have a "Далее").
    """
    page.get_by_role("button", name="Начать опрос").click()
    # chosen with the keyboard: a tap would move on by itself after 350 ms, racing the click
    # on "Далее" (the one-tap path has its own test)
    page.get_by_role("radio", name=FACES[mood], exact=True).press("Space")
    page.get_by_role("button", name="Далее").click()
    for topic in topics:
        page.get_by_label(topic, exact=True).check()
    page.get_by_role("button", name="Далее").click()
    if comment:
        page.get_by_label("Хотите что-нибудь добавить?").fill(comment)
    page.get_by_role("button", name="Отправить").click()
    # "Готово" appears on the thank-you screen, after the response is stored on the tablet
    page.get_by_role("button", name="Готово").click()


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def small_targets(page: Page) -> list[str]:
    """Visible buttons, inputs and option labels smaller than 48 px in a dimension."""
    result: Any = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              'button, .tile label, .choice label, textarea, '
              + 'input:not([type=radio]):not([type=checkbox])'))
            .filter(e => e.offsetParent !== null)
            .map(e => [e.id || e.htmlFor || e.textContent.trim().slice(0, 20),
                       e.getBoundingClientRect()])
            .filter(([_, r]) => r.height < 48 || r.width < 48)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
    return list(result)
