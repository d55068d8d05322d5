import pytest
from playwright.sync_api import expect
from tests.browser.conftest import KIOSK_PIN
from tests.browser.kiosk_steps import answer_pulse, pair_by_link

pytestmark = pytest.mark.browser
OUT = "/tmp/kdev/real"

@pytest.mark.parametrize("size", [(800, 1280), (1280, 800), (360, 740)])
def test_walk(live_server, new_context, enrol_kiosk, app, monkeypatch, size):
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 3)
    monkeypatch.setitem(app.config, "KIOSK_WARNING_SECONDS", 20)
    w, h = size
    tag = f"{w}x{h}"
    page = new_context(viewport={"width": w, "height": h}, has_touch=True, locale="ru-RU").new_page()
    _, code, _ = enrol_kiosk(partial_policy="keep")
    page.goto(f"{live_server}/kiosk")
    page.get_by_label("Код подключения").fill("WRONG-123")
    page.get_by_role("button", name="Подключить").click()
    expect(page.get_by_role("alert")).not_to_be_empty()
    page.screenshot(path=f"{OUT}-{tag}-01pair-error.png")
    pair_by_link(page, live_server, code)
    page.screenshot(path=f"{OUT}-{tag}-02attract.png")
    page.get_by_role("button", name="Начать опрос").click()
    page.screenshot(path=f"{OUT}-{tag}-03q1.png")
    page.get_by_role("radio", name="хорошо", exact=True).tap()
    expect(page.locator(".progress")).to_have_text("Вопрос 2 из 3")
    page.get_by_label("Сотрудники", exact=True).check()
    page.screenshot(path=f"{OUT}-{tag}-04q2.png")
    expect(page.get_by_role("alertdialog")).to_be_visible(timeout=8000)
    page.screenshot(path=f"{OUT}-{tag}-05idle.png")
    page.get_by_role("button", name="Продолжить").click()
    page.get_by_role("button", name="Далее").click()
    page.get_by_label("Хотите что-нибудь добавить?").fill("Спасибо за выставку!")
    page.screenshot(path=f"{OUT}-{tag}-06q3.png")
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_role("heading", name="Спасибо!")).to_be_visible()
    page.screenshot(path=f"{OUT}-{tag}-07thanks.png")
    page.get_by_role("button", name="Готово").click()
    page.get_by_role("button", name="Для сотрудников").click()
    page.screenshot(path=f"{OUT}-{tag}-08pin.png")
    page.get_by_label("PIN-код").fill(KIOSK_PIN)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Настройки планшета")).to_be_visible()
    page.wait_for_timeout(300)
    page.screenshot(path=f"{OUT}-{tag}-09settings.png", full_page=True)
    page.get_by_role("button", name="Выйти из настроек").click()
    page.get_by_role("button", name="Switch to English").click()
    page.screenshot(path=f"{OUT}-{tag}-10attract-en.png")
