"""One language per page, and errors that help (issue 9 §5).

A Russian page shows nothing in English: error details are translated (or left out), a
closed campaign's link says the survey has ended (410), an unknown library is named as
such, staff error pages keep the administration menu, and ``/`` is a real start page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from tests.factories import STAFF_PASSWORD

#: English words that must not appear in the text of a Russian page
ENGLISH = re.compile(r"\b(No open survey|not found|Page|survey|library|This)\b")


def text_of(html: str) -> str:
    """The visible text of a page (tags, the title's code and attributes dropped)."""
    body = html.split("<body>", 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


def test_closed_campaign__link_says_the_survey_has_ended_with_410(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture", status=CampaignStatus.closed)
    session.commit()  # error pages roll the session back; keep the campaign
    url = f"/s/{campaign.code}/{campaign.libraries[0].code}"
    for path in (url, url + "/qr.svg", url + "/p/information"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 410, path
        assert "Опрос завершён" in html and "Спасибо за интерес!" in html
        assert "Страница не найдена" not in html
        assert not ENGLISH.search(text_of(html)), text_of(html)


def test_unknown_library__says_so_in_russian(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    response = client.get(f"/s/{campaign.code}/no-such-library")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Библиотеки с таким кодом нет." in html
    assert not ENGLISH.search(text_of(html)), text_of(html)


def test_unknown_campaign__detail_in_russian_and_in_english_on_request(
    client: FlaskClient,
) -> None:
    russian = client.get("/s/no-such-campaign/lib").get_data(as_text=True)
    assert "Открытого опроса с таким кодом нет." in russian
    assert not ENGLISH.search(text_of(russian)), text_of(russian)
    english = client.get("/s/no-such-campaign/lib?lang=en").get_data(as_text=True)
    assert "No open survey has this code." in english


def test_start_page__links_for_visitors_and_staff(client: FlaskClient) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "QR-код" in html and 'href="/login"' in html
    assert not ENGLISH.search(text_of(html).replace("English", ""))
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Staff sign-in" in english and "For library visitors" in english


def test_staff_error_page__keeps_the_navigation(
    client: FlaskClient, session: Session, make_user: Callable[..., Any]
) -> None:
    user = make_user("admin")
    session.commit()
    client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
    response = client.get("/admin/campaigns/no-such-campaign")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'class="admin-nav"' in html and 'href="/admin/audit"' in html
    assert "Страница не найдена" in html


def test_link_claiming_the_kiosk_channel__refused_with_a_reason(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    """A phone must not pass its answers off as a kiosk's (it was recorded as ``web``)."""
    campaign = make_campaign("nok_culture")
    library = campaign.libraries[0].code
    for channel, reason in [
        ("kiosk", "только с подключённого планшета-киоска"),
        ("paper", "нет канала paper"),
    ]:
        response = client.get(f"/s/{campaign.code}/{library}?ch={channel}")
        assert response.status_code == 400, channel
        assert reason in response.get_data(as_text=True)
    for channel in ("qr", "web"):
        assert client.get(f"/s/{campaign.code}/{library}?ch={channel}").status_code == 303


def test_accounts_and_audit_log__scopes_by_name_not_code(
    client: FlaskClient,
    session: Session,
    make_library: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    """Accounts and the audit log name a library (with its system) and a system, not their
    Latin codes ("библиотека lib-7")."""
    from survey_app.services import accounts
    from survey_app.services import audit

    library = make_library("kemerovo-central")
    system = library.system
    admin = make_user("admin")
    staff = make_user("library_staff", library=library)
    manager = make_user("quality_manager", system=system)
    other = make_library().system
    accounts.set_scope(session, manager, scope=accounts.Scope(system=other), actor=admin)
    audit.record(session, admin, "library.update", library, changes={"name": ["A", "B"]})
    session.commit()
    in_library = f"библиотека: {library.name} ({system.name})"
    in_system = f"библиотечная система: {system.name}"
    client.post("/login", data={"email": admin.email, "password": STAFF_PASSWORD})
    users = text_of(client.get("/admin/users?lang=ru").get_data(as_text=True))
    assert in_library in users
    assert "kemerovo-central" not in users and system.code not in users
    assert staff.email in users
    log = text_of(client.get("/admin/audit?lang=ru").get_data(as_text=True))
    # the scope change's before and after, the library's own event, the accounts created
    assert f"было: роль: Менеджер по качеству; область доступа: {in_system}" in log, log
    assert (
        f"стало: роль: Менеджер по качеству; область доступа: библиотечная система: {other.name}"
        in log
    )
    assert in_library in log
    assert "kemerovo-central" not in log and system.code not in log


def test_counts_in_sentences__grouped_as_in_the_tables(app: Any) -> None:
    """Chart captions and other sentences said "2640 ответов" beside tables showing "2 640"."""
    from flask import render_template_string

    template = (
        '{{ ngettext("%(num)d response", "%(num)d responses", n) }}; '
        '{{ ngettext("%(num)d library drawn;", "%(num)d libraries drawn;", 21) }} '
        "{{ n|number }}"
    )
    with app.test_request_context("/?lang=ru"):
        # Russian groups thousands with a no-break space (CLDR), in both places alike
        assert render_template_string(template, n=2640) == (
            "2\u00a0640 ответов; 21 библиотека на диаграмме; 2\u00a0640"
        )
        assert render_template_string(template, n=1) == "1 ответ; 21 библиотека на диаграмме; 1"
    with app.test_request_context("/?lang=en"):
        assert render_template_string(template, n=2640) == (
            "2,640 responses; 21 libraries drawn; 2,640"
        )
        # the other variables are still escaped
        escaped = '{{ ngettext("%(num)d in %(x)s", "%(num)d in %(x)s", 1000, x="<b>") }}'
        assert render_template_string(escaped) == "1,000 in &lt;b&gt;"


def test_audit_log__demo_seed_and_exports_in_russian(
    client: FlaskClient,
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., Any],
) -> None:
    """The demo walk found "demo.seed", "demo region", "responses: 8000" and an export's
    library by its code on the Russian audit page."""
    from survey_app.services import audit

    library = make_library("kemerovo-central")
    campaign = make_campaign("nok_culture", libraries=[library])
    admin = make_user("admin")
    audit.record(session, None, "demo.seed", "demo region", responses=8000)
    audit.record(
        session,
        admin,
        "results.export",
        campaign,
        library=library.code,
        include_excluded=False,
    )
    session.commit()
    client.post("/login", data={"email": admin.email, "password": STAFF_PASSWORD})
    log = text_of(client.get("/admin/audit?lang=ru").get_data(as_text=True))
    assert "Создан демонстрационный регион" in log and "демонстрационный регион" in log
    assert "число ответов: 8000" in log
    assert "Результаты выгружены" in log
    assert f"библиотека: {library.name} ({library.system.name})" in log
    assert "вместе с исключёнными анкетами: нет" in log
    visible = log.replace("demo.seed", "").replace("results.export", "")  # the muted codes
    assert "demo region" not in visible and "responses" not in visible
    assert "kemerovo-central" not in visible


def test_campaign_selects__code_first_so_a_phone_tells_years_apart(
    client: FlaskClient,
    session: Session,
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., Any],
) -> None:
    """A 360 px select shows about 30 characters: "Анкета для оценки качества усл…" was all
    it showed of both nok-2025 and nok-2026. The campaign's code now comes first."""
    title = "Анкета для оценки качества условий оказания услуг организациями культуры"
    for code, year in (("nok-2025", 2025), ("nok-2026", 2026)):
        campaign = make_campaign("nok_culture", code=code)
        campaign.title = f"{title} — {year}"
    admin = make_user("admin")
    session.commit()
    client.post("/login", data={"email": admin.email, "password": STAFF_PASSWORD})
    page = client.get("/admin/tokens/?lang=ru").get_data(as_text=True)
    assert f'<option value="nok-2025">nok-2025 — {title} — 2025</option>' in page
    assert f'<option value="nok-2026">nok-2026 — {title} — 2026</option>' in page


def test_instrument_structure__types_and_pages_in_words(
    client: FlaskClient,
    session: Session,
    instrument_version: Callable[[str], Any],
    make_user: Callable[..., Any],
) -> None:
    """The instrument page listed item types and pages by their YAML codes only."""
    instrument_version("nok_culture")
    user = make_user("methodologist")
    session.commit()
    client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
    page = client.get("/admin/instruments/nok_culture/1?lang=ru").get_data(as_text=True)
    # nok_culture/1.yaml: page "information" titled "Информация об учреждении", q1 yes_no
    assert 'Информация об учреждении <code class="muted">information</code>' in page
    assert 'да или нет <code class="muted">yes_no</code>' in page
    assert 'число 14–120 <code class="muted">number</code>' in page
