"""The visitor web survey (issue 2 §5) through the Flask test client.

Covers: answering nok_culture page by page stores exactly one response with the right
answers, channel qr for a ?ch=qr visit and web otherwise, started_at and page timings;
skip logic without JavaScript (same-page: q1 = no makes q2 optional and discards its answer;
across pages: items and whole sections hidden by earlier answers are not shown); Back keeps
the answers; invalid answers re-render the page (422) with an error summary linked to the
fields; the English switch (link and mid-survey button); a double-submitted last page stores
one response; CSRF (a POST without the token is refused with 400 and nothing is stored);
404 for unknown/closed campaigns, libraries outside them and channels they do not accept; a
damaged hidden state is a 400; Lite campaigns carry the drawn items; QR codes (SVG/PNG)
decode, with zxing-cpp, to the survey URL with ?ch=qr; no cookie but the session cookie.

Issue 9 §2: every page is a GET reached by POST-redirect-GET; the answers so far live in a
server-side draft (found by a random per-survey token in the session cookie, stored hashed),
so Back, reload and reopening the link keep them ("continue" or "start again"); drafts expire
after DRAFT_LIFETIME_MINUTES; posted state fields are ignored; a sent form cannot change.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from PIL import ImageDraw
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Answer
from survey_app.models import Campaign
from survey_app.models import CampaignStatus
from survey_app.models import Response
from survey_app.models import SurveyDraft
from survey_app.services.instruments import instrument_of
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import submission

# --- helpers: read a page the way a browser would --------------------------------------


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.inputs: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self.legends: list[str] = []
        self.action = ""
        self._label_for: str | None = None
        self._in_legend = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "survey":
            self.action = a.get("action", "")
        if tag in ("input", "select", "textarea"):
            a.setdefault("type", tag)
            if a["type"] == "hidden":
                self.hidden[a["name"]] = a.get("value", "")
            else:
                self.inputs.append(a)
        elif tag == "label":
            self._label_for = a.get("for")
            if self._label_for:
                self.labels[self._label_for] = ""
        elif tag == "legend":
            self._in_legend = True
            self.legends.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_for = None
        elif tag == "legend":
            self._in_legend = False

    def handle_data(self, data: str) -> None:
        if self._label_for:
            self.labels[self._label_for] += data
        if self._in_legend:
            self.legends[-1] += data


def parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def item_names(html: str) -> set[str]:
    """Names of the visible (non-hidden) inputs on a page."""
    return {i["name"] for i in parse(html).inputs if i.get("name") and i["name"] != "nav"}


def open_link(client: FlaskClient, url: str) -> Any:
    """Open the survey link as a browser does, following the redirect to the page."""
    return client.get(url, follow_redirects=True)


def post_page(
    client: FlaskClient, url: str, html: str, answers: dict[str, Any], **query: str
) -> Any:
    """Submit a page to its form's action, as a browser would, and follow the redirect.

    ``url`` is unused: each page posts to its own address.
    """
    page = parse(html)
    data: dict[str, Any] = dict(page.hidden)
    data.update(answers)
    target = page.action
    if query:
        target += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(target, data=data, follow_redirects=True)


def section_of(html: str) -> str:
    return parse(html).hidden["s-section"]


def thanked(response: Any) -> bool:
    """Whether a followed response ended on the thank-you page."""
    return response.request.path.endswith("/thanks") and response.status_code == 200


def the_draft(session: Session) -> SurveyDraft:
    """The one draft of a test (its state as kept server-side)."""
    session.expire_all()
    (draft,) = session.scalars(select(SurveyDraft))
    return draft


def draft_answers(session: Session) -> dict[str, Any]:
    return json.loads(the_draft(session).state["s-answers"])


def jump_to(session: Session, section: str) -> None:
    """Test setup: move the stored draft to ``section`` (every earlier page reachable)."""
    draft = the_draft(session)
    draft.state = {**draft.state, "s-section": section}
    session.commit()


#: nok_culture answered page by page (everyone used the stands, nobody the website)
NOK_PAGES: list[tuple[str, dict[str, str]]] = [
    ("information", {"q1": "1", "q2": "1", "q3": "0"}),
    ("comfort", {"q5": "1", "q6": "1", "q7": "0"}),
    ("staff", {"q8": "1", "q9": "0", "q10": "1", "q11": "1"}),
    ("overall", {"q12": "1", "q13": "1", "q14": "0"}),
    ("about", {"q15": "Больше книг для подростков", "q16": "female", "q17": "34"}),
]
#: the Answer rows those pages must give: (item, column, value_num, value_text), by hand
NOK_ROWS = {
    ("q1", "", 1.0, None),
    ("q2", "", 1.0, None),
    ("q3", "", 0.0, None),
    ("q5", "", 1.0, None),
    ("q6", "", 1.0, None),
    ("q7", "", 0.0, None),
    ("q8", "", 1.0, None),
    ("q9", "", 0.0, None),
    ("q10", "", 1.0, None),
    ("q11", "", 1.0, None),
    ("q12", "", 1.0, None),
    ("q13", "", 1.0, None),
    ("q14", "", 0.0, None),
    ("q15", "", None, "Больше книг для подростков"),
    ("q16", "", 2.0, "female"),
    ("q17", "", 34.0, None),
}


def survey_url(campaign: Campaign, **query: str) -> str:
    url = f"/s/{campaign.code}/{campaign.libraries[0].code}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def walk(client: FlaskClient, url: str, pages: list[tuple[str, dict[str, Any]]]) -> Any:
    """Open ``url`` and answer ``pages`` in order; return the last (followed) response."""
    response = open_link(client, url)
    assert response.status_code == 200
    for expected_section, answers in pages:
        html = response.get_data(as_text=True)
        assert section_of(html) == expected_section
        response = post_page(client, url, html, answers)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response


def stored(session: Session) -> list[Response]:
    session.expire_all()
    return list(session.scalars(select(Response)))


def rows_of(response: Response) -> set[tuple[str, str, float | None, str | None]]:
    return {(a.item_id, a.column, a.value_num, a.value_text) for a in response.answers}


# --- the whole survey --------------------------------------------------------------------


def test_nok_culture__answered_page_by_page_stores_one_response(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign, ch="qr")
    final = walk(client, url, NOK_PAGES)
    assert final.request.path == f"/s/{campaign.code}/{campaign.libraries[0].code}/thanks"

    responses = stored(session)
    assert len(responses) == 1
    response = responses[0]
    assert response.channel == "qr"
    assert response.campaign_id == campaign.id
    assert response.library_id == campaign.libraries[0].id
    assert response.instrument_id == "nok_culture"
    assert rows_of(response) == NOK_ROWS
    assert response.started_at is not None and response.submitted_at is not None
    assert response.started_at <= response.submitted_at <= response.received_at
    assert set(response.page_timings) == {"information", "comfort", "staff", "overall", "about"}
    assert all(0 <= seconds < 60 for seconds in response.page_timings.values())

    assert final.status_code == 200
    assert "Спасибо!" in final.get_data(as_text=True)


def test_survey__without_ch_qr_is_stored_as_web(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    walk(client, survey_url(campaign), NOK_PAGES)
    assert [r.channel for r in stored(session)] == ["web"]


def test_service_point_poster__stores_the_service_point(
    client: FlaskClient,
    session: Session,
    make_campaign: Callable[..., Campaign],
    make_library: Callable[..., Any],
) -> None:
    library = make_library(service_points=["reading"])
    campaign = make_campaign("nok_culture", libraries=[library])
    walk(client, survey_url(campaign, ch="qr", sp="reading"), NOK_PAGES)
    [response] = stored(session)
    assert response.service_point_id == library.service_points[0].id
    assert response.channel == "qr"


def test_unknown_service_point__is_not_found(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    assert client.get(survey_url(campaign, sp="no-such-desk")).status_code == 404


def test_first_page__is_russian_with_fieldsets_labels_and_a_skip_link(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    response = open_link(client, survey_url(campaign))
    html = response.get_data(as_text=True)
    page = parse(html)
    assert response.status_code == 200
    assert '<html lang="ru">' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert page.legends[0].startswith("Пользовались ли Вы информацией")
    # every visible input has a label; each yes/no option is named by its own answer
    for element in page.inputs:
        if element.get("name") != "nav" and element["type"] != "submit":
            assert page.labels.get(element["id"], "").strip(), element
    assert page.labels["q1-0"] == "Да" and page.labels["q1-1"] == "Нет"
    assert response.headers["Cache-Control"] == "no-store"


# --- skip logic without JavaScript -----------------------------------------------------


def test_skip_logic__q1_no_makes_q2_optional_and_drops_its_answer(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    first = open_link(client, url).get_data(as_text=True)
    # q2 depends on q1 on the same page: it is shown, with a note saying when to answer it
    assert {"q1", "q2", "q3", "q4"} <= item_names(first)
    assert "Ответьте, если на предыдущий вопрос Вы ответили «Да»." in first

    # q1 = no and q2 left blank: no error; an answer to q2 anyway is discarded
    second = post_page(client, url, first, {"q1": "0", "q2": "1", "q3": "0"})
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert section_of(html) == "comfort"
    assert draft_answers(session) == {"q1": 0, "q3": 0}

    pages = [
        ("comfort", {"q5": "1", "q6": "0"}),
        ("staff", {"q8": "1", "q9": "1", "q10": "0"}),
        ("overall", {"q12": "1", "q13": "1", "q14": "1"}),
        ("about", {"q16": "male", "q17": "70"}),
    ]
    response = second
    for expected, answers in pages:
        html = response.get_data(as_text=True)
        assert section_of(html) == expected
        response = post_page(client, url, html, answers)
    assert thanked(response)
    (stored_response,) = stored(session)
    assert {row[0] for row in rows_of(stored_response)} == {
        "q1",
        "q3",
        "q5",
        "q6",
        "q8",
        "q9",
        "q10",
        "q12",
        "q13",
        "q14",
        "q16",
        "q17",
    }


def test_skip_logic__q1_yes_makes_q2_required(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    first = open_link(client, url).get_data(as_text=True)
    response = post_page(client, url, first, {"q1": "1", "q3": "0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert section_of(html) == "information"
    assert 'id="q-q2-error"' in html and "Пожалуйста, ответьте на этот вопрос." in html


BRANCHING = """
id: branching
version: 1
locales: [ru, en]
title: {ru: Ветвление, en: Branching}
sections:
  - id: visit
    title: {ru: Посещение, en: Visit}
    items:
      - id: kids
        type: yes_no
        text: {ru: "Вы пришли с детьми?", en: "Did you come with children?"}
      - id: purpose
        type: single
        text: {ru: Цель визита, en: Purpose}
        choices:
          - {value: books, label: {ru: Книги, en: Books}}
          - {value: events, label: {ru: Мероприятия, en: Events}}
  - id: details
    title: {ru: Подробнее, en: Details}
    items:
      - id: kids_room
        type: smiley
        show_if: {item: kids, eq: yes}
        text: {ru: Детский зал, en: "Children's room"}
      - id: overall
        type: likert
        min: 1
        max: 5
        text: {ru: В целом, en: Overall}
  - id: events
    title: {ru: Мероприятия, en: Events}
    show_if: {item: purpose, eq: events}
    items:
      - id: event_rating
        type: nps
        text: {ru: Мероприятие, en: The event}
"""


def test_skip_logic__items_and_sections_hidden_by_earlier_pages_are_not_shown(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(BRANCHING)
    url = survey_url(campaign)
    first = open_link(client, url).get_data(as_text=True)
    assert "Страница 1 из 3" in first
    second = post_page(client, url, first, {"kids": "0", "purpose": "books"})
    html = second.get_data(as_text=True)
    assert section_of(html) == "details"
    assert item_names(html) == {"overall"}  # kids_room hidden by kids = no
    assert "Страница 2 из 2" in html  # the events section is skipped
    done = post_page(client, url, html, {"overall": "4"})
    assert thanked(done)
    (response,) = stored(session)
    assert rows_of(response) == {
        ("kids", "", 0.0, None),
        ("purpose", "", None, "books"),
        ("overall", "", 4.0, None),
    }


def test_skip_logic__earlier_answers_show_the_dependent_items_and_sections(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(BRANCHING)
    url = survey_url(campaign)
    final = walk(
        client,
        url,
        [
            ("visit", {"kids": "1", "purpose": "events"}),
            ("details", {"kids_room": "4", "overall": "5"}),
            ("events", {"event_rating": "9"}),
        ],
    )
    assert thanked(final)
    (response,) = stored(session)
    assert ("kids_room", "", 4.0, None) in rows_of(response)
    assert ("event_rating", "", 9.0, None) in rows_of(response)


def test_back__returns_to_the_previous_page_with_its_answers(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    first = open_link(client, url).get_data(as_text=True)
    second = post_page(client, url, first, {"q1": "1", "q2": "0", "q3": "0"}).get_data(as_text=True)
    back = post_page(client, url, second, {"q5": "1", "nav": "back"})
    html = back.get_data(as_text=True)
    assert back.status_code == 200
    assert section_of(html) == "information"
    assert re.search(r'id="q2-1" name="q2" value="0" checked', html)
    # what was typed on the page left is kept too
    assert draft_answers(session)["q5"] == 1


# --- errors ------------------------------------------------------------------------------


def test_invalid_answers__rerender_with_a_linked_error_summary(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    response = walk(client, url, NOK_PAGES[:4])
    html = response.get_data(as_text=True)
    bad = post_page(client, url, html, {"q16": "female", "q17": "abc"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert section_of(page) == "about"
    assert "<title>Ошибка:" in page
    assert 'class="error-summary"' in page
    assert '<a href="#q17">' in page
    assert 'aria-describedby="q-q17-error"' in page and 'aria-invalid="true"' in page
    assert re.search(r'id="q17"[^>]*autofocus', page)
    assert "Введите число, например 12." in page
    # out of range: the instrument's own rule, with the range in the message
    bad = post_page(client, url, html, {"q16": "female", "q17": "200"})
    assert "Введите число от 14 до 120." in bad.get_data(as_text=True)
    assert stored(session) == []


def test_posted_state_fields__are_ignored_the_server_keeps_the_state(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    html = open_link(client, url).get_data(as_text=True)
    data = {**parse(html).hidden, "q1": "0", "q3": "0"}
    data["s-answers"] = '{"q17": 999}'
    data["s-section"] = "about"
    response = client.post(parse(html).action, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert section_of(response.get_data(as_text=True)) == "comfort"
    assert draft_answers(session) == {"q1": 0, "q3": 0}


def test_damaged_stored_draft__is_a_bad_request(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    html = open_link(client, url).get_data(as_text=True)
    draft = the_draft(session)
    draft.state = {**draft.state, "s-answers": "[not json"}
    session.commit()
    response = client.post(parse(html).action, data={**parse(html).hidden, "q1": "0", "q3": "0"})
    assert response.status_code == 400
    assert "Анкета повреждена или устарела" in response.get_data(as_text=True)


# --- the signed page state (issue 12 §1) --------------------------------------------------


def tampered(token: str) -> str:
    """The signed page token with one character of its payload changed."""
    i = 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


@pytest.mark.parametrize(
    "change",
    ["missing", "empty", "altered", "signature-cut", "other-section", "other-survey", "forged"],
)
def test_signed_page__a_changed_or_foreign_state_is_refused_in_russian(
    app, client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign], change
) -> None:
    from survey_app.services.survey_flow import sign_page

    campaign = make_campaign("nok_culture")
    html = open_link(client, survey_url(campaign)).get_data(as_text=True)
    page = parse(html)
    data = {**page.hidden, "q1": "0", "q3": "0"}
    draft = the_draft(session)
    key = app.config["SECRET_KEY"]
    library = campaign.libraries[0].code
    if change == "missing":
        del data["s-page"]
    elif change == "empty":
        data["s-page"] = ""
    elif change == "altered":
        data["s-page"] = tampered(data["s-page"])
    elif change == "signature-cut":
        data["s-page"] = data["s-page"].rsplit(".", 1)[0]
    elif change == "other-section":  # a genuine token of another page of this very draft
        data["s-page"] = sign_page(key, campaign.code, library, draft.id, "about")
    elif change == "other-survey":  # a genuine token of another draft
        data["s-page"] = sign_page(key, campaign.code, library, draft.id + 1, "information")
    else:  # well-formed, signed with another key
        data["s-page"] = sign_page(
            "not-the-secret", campaign.code, library, draft.id, "information"
        )

    response = client.post(page.action, data=data)

    assert response.status_code == 400
    assert "Анкета повреждена или устарела" in response.get_data(as_text=True)
    assert draft_answers(session) == {}  # nothing of the page was kept


def test_signed_page__the_page_as_served_is_accepted_and_bound_to_its_section(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    first = open_link(client, survey_url(campaign)).get_data(as_text=True)
    second = post_page(client, "", first, {"q1": "1", "q2": "1", "q3": "0"}).get_data(as_text=True)

    assert section_of(second) == "comfort"
    assert parse(first).hidden["s-page"] != parse(second).hidden["s-page"]
    # the first page's token does not open the second page's form
    replay = client.post(parse(second).action, data={**parse(first).hidden, "q5": "1", "q6": "0"})
    assert replay.status_code == 400


def test_draft_campaign__is_not_found(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture", status=CampaignStatus.draft)
    response = client.get(survey_url(campaign))
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_unknown_campaign_or_library__is_not_found(
    client: FlaskClient, make_campaign: Callable[..., Campaign], make_library: Callable[..., Any]
) -> None:
    campaign = make_campaign("nok_culture")
    other = make_library()
    assert client.get(f"/s/no-such-campaign/{campaign.libraries[0].code}").status_code == 404
    assert client.get(f"/s/{campaign.code}/no-such-library").status_code == 404
    assert client.get(f"/s/{campaign.code}/{other.code}").status_code == 404
    assert client.get(f"/s/{campaign.code}/{other.code}/qr.svg").status_code == 404
    assert client.post(f"/s/{campaign.code}/{other.code}/p/information", data={}).status_code == 404


def test_campaign_without_web_channels__is_not_found(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture", channels=("kiosk",))
    assert client.get(survey_url(campaign)).status_code == 404
    assert client.get(survey_url(campaign, ch="qr")).status_code == 404


# --- language ------------------------------------------------------------------------------


def test_english_switch__shows_the_english_texts(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    russian = open_link(client, survey_url(campaign, ch="qr"))
    assert 'href="?lang=en"' in russian.get_data(as_text=True)
    response = client.get(russian.request.path + "?lang=en")
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert parse(html).legends[0].startswith("Did you use the information about the organisation")
    assert parse(html).labels["q1-0"] == "Yes"
    assert "Page 1 of 5" in html and "Next" in html
    assert the_draft(session).state["s-channel"] == "qr"  # the switch keeps the channel


def test_english_switch__mid_survey_keeps_the_answers(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    first = open_link(client, url).get_data(as_text=True)
    second = post_page(client, url, first, {"q1": "0", "q3": "0"}).get_data(as_text=True)
    assert 'formaction="/s/' in second and '?lang=en"' in second
    switched = post_page(client, url, second, {"q5": "1", "nav": "lang"}, lang="en")
    html = switched.get_data(as_text=True)
    assert switched.status_code == 200
    assert section_of(html) == "comfort"
    assert parse(html).legends[0].startswith("Are you satisfied with the comfort")
    assert re.search(r'id="q5-0" name="q5" value="1" checked', html)
    assert draft_answers(session) == {"q1": 0, "q3": 0, "q5": 1}
    # the choice sticks for the next pages (kept in the session cookie)
    nxt = post_page(client, url, html, {"q5": "1", "q6": "0"}).get_data(as_text=True)
    assert '<html lang="en">' in nxt and "Page 3 of 5" in nxt


# --- idempotency, CSRF, privacy ------------------------------------------------------------


def test_double_submit__stores_one_response_and_thanks_twice(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    last_page = walk(client, url, NOK_PAGES[:4]).get_data(as_text=True)
    client_uuid = the_draft(session).state["s-uuid"]
    first = post_page(client, url, last_page, NOK_PAGES[4][1])
    second = post_page(client, url, last_page, NOK_PAGES[4][1])
    # a changed answer in a resent form changes nothing: the same thanks
    third = post_page(client, url, last_page, {**NOK_PAGES[4][1], "q17": "35"})
    assert thanked(first) and thanked(second) and thanked(third)
    assert "больше нельзя изменить" in third.get_data(as_text=True)
    responses = stored(session)
    assert len(responses) == 1
    assert str(responses[0].client_uuid) == client_uuid
    assert ("q17", "", 34.0, None) in rows_of(responses[0])


@pytest.fixture
def csrf_app(app: Flask, app_context: None) -> Iterator[Flask]:
    """The app with CSRF protection on, on the suite's database."""
    protected = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    yield protected
    with protected.app_context():
        db.engine.dispose()


def test_csrf__post_without_token_is_refused_and_nothing_stored(
    csrf_app: Flask, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    session.commit()  # visible to the second app's connections
    client = csrf_app.test_client()
    url = survey_url(campaign)
    html = open_link(client, url).get_data(as_text=True)
    assert "csrf_token" in parse(html).hidden
    # the last page, answered, but without the token
    with csrf_app.app_context():
        last = walk(client, url, NOK_PAGES[:4]).get_data(as_text=True)
    data = dict(parse(last).hidden)
    data.pop("csrf_token")
    data.update(NOK_PAGES[4][1])
    refused = client.post(parse(last).action, data=data)
    assert refused.status_code == 400
    assert stored(session) == []
    # with the token the same page is accepted
    accepted = post_page(client, url, last, NOK_PAGES[4][1])
    assert thanked(accepted)
    assert len(stored(session)) == 1


def test_survey__sets_no_cookie_but_the_session(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    response = client.get(survey_url(campaign, lang="en"))
    assert response.status_code == 303
    names = {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}
    assert names <= {"session"}
    assert "HttpOnly" in response.headers.get("Set-Cookie", "HttpOnly")


# --- Lite ---------------------------------------------------------------------------------

LITE = """
id: lite_demo
version: 1
title: {ru: Лайт}
sections:
  - id: gap
    title: {ru: Качество}
    items:
      - {id: A1, type: battery, min: 1, max: 9, na_allowed: true, text: {ru: Утверждение А1},
         columns: [{id: minimum, label: {ru: Минимум}}, {id: perceived, label: {ru: Восприятие}}]}
      - {id: A2, type: battery, min: 1, max: 9, na_allowed: true, text: {ru: Утверждение А2},
         columns: [{id: minimum, label: {ru: Минимум}}, {id: perceived, label: {ru: Восприятие}}]}
      - {id: A3, type: battery, min: 1, max: 9, na_allowed: true, text: {ru: Утверждение А3},
         columns: [{id: minimum, label: {ru: Минимум}}, {id: perceived, label: {ru: Восприятие}}]}
      - {id: B1, type: battery, min: 1, max: 9, na_allowed: true, text: {ru: Утверждение Б1},
         columns: [{id: minimum, label: {ru: Минимум}}, {id: perceived, label: {ru: Восприятие}}]}
      - {id: B2, type: battery, min: 1, max: 9, na_allowed: true, text: {ru: Утверждение Б2},
         columns: [{id: minimum, label: {ru: Минимум}}, {id: perceived, label: {ru: Восприятие}}]}
scales:
  - {id: a, title: {ru: А}, items: [A1, A2, A3], column: perceived}
  - {id: b, title: {ru: Б}, items: [B1, B2], column: perceived}
lite:
  share: 0.5
  linking: [A1]
  random_per_scale: {a: 1, b: 1}
"""


def test_lite_campaign__draws_the_items_once_and_stores_them(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(LITE, lite_share=1.0)
    url = survey_url(campaign)
    html = open_link(client, url).get_data(as_text=True)
    drawn = json.loads(the_draft(session).state["s-lite"])
    # reloading the page shows the same draw
    assert item_names(open_link(client, url).get_data(as_text=True)) == item_names(html)
    # A1 links every Lite form; one more item of scale a (A2 or A3) and one of b (B1 or B2)
    assert drawn[0] == "A1" and len(drawn) == 3
    assert len(set(drawn) & {"A2", "A3"}) == 1 and len(set(drawn) & {"B1", "B2"}) == 1
    shown = {name.split("-")[0] for name in item_names(html)}
    assert shown == set(drawn)
    answers: dict[str, str] = {}
    for item in drawn:
        answers[f"{item}-minimum"] = "5"
        answers[f"{item}-perceived"] = "7"
    answers[f"{drawn[2]}-minimum"] = ""
    answers[f"{drawn[2]}-perceived"] = ""
    answers[f"{drawn[2]}-na"] = "y"
    done = post_page(client, url, html, answers)
    assert thanked(done)
    (response,) = stored(session)
    assert rows_of(response) == {
        (drawn[0], "minimum", 5.0, None),
        (drawn[0], "perceived", 7.0, None),
        (drawn[1], "minimum", 5.0, None),
        (drawn[1], "perceived", 7.0, None),
        (drawn[2], "na", 1.0, None),
    }
    # the draw is kept with the response: the review tells "not offered" from "left blank"
    assert response.lite_items == sorted(drawn)


def test_full_campaign__shows_every_battery_item(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign(LITE, lite_share=0.0)
    url = survey_url(campaign)
    html = open_link(client, url).get_data(as_text=True)
    assert the_draft(session).state["s-lite"] == ""
    # five statements are two pages of the section: 3 + 2 (issue 9 §3)
    assert {name.split("-")[0] for name in item_names(html)} == {"A1", "A2", "A3"}
    assert "(часть 1 из 2)" in html and "Страница 1 из 2" in html
    second = post_page(client, url, html, {f"{i}-na": "y" for i in ("A1", "A2", "A3")})
    page = second.get_data(as_text=True)
    assert second.request.path.endswith("/p/gap~2")
    assert {name.split("-")[0] for name in item_names(page)} == {"B1", "B2"}
    assert "(часть 2 из 2)" in page and "Страница 2 из 2" in page
    assert draft_answers(session) == {i: {"na": True} for i in ("A1", "A2", "A3")}


def test_lite_draw__kept_only_where_the_campaign_has_a_lite_form(
    session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    """An API client's Lite draw is stored; a full form in a Lite campaign offered every
    battery item; a campaign without a Lite form stores nothing (every item offered)."""
    lite = make_campaign(LITE, code="LITE-1", lite_share=0.5)
    full = Campaign(
        code="FULL-1",
        title="Без Лайт-формы",
        instrument_version=lite.instrument_version,
        channels=["qr"],
        libraries=list(lite.libraries),
    )
    session.add(full)
    session.flush()
    every = {item: {"na": True} for item in ("A1", "A2", "A3", "B1", "B2")}
    drawn = {item: {"na": True} for item in ("A1", "A3", "B2")}
    given = submission(lite, drawn, lite_items=["B2", "A1", "A3"])
    record_response(session, parse_submission(given))
    record_response(session, parse_submission(submission(lite, every)))
    record_response(session, parse_submission(submission(full, every)))
    session.commit()
    kept = {(r.campaign_id, tuple(r.lite_items or ())) for r in stored(session)}
    assert kept == {
        (lite.id, ("A1", "A3", "B2")),
        (lite.id, ("A1", "A2", "A3", "B1", "B2")),
        (full.id, ()),
    }
    assert [r.lite_items for r in stored(session) if r.campaign_id == full.id] == [None]


# --- QR codes ------------------------------------------------------------------------------


def _rasterise(svg: bytes, scale: int = 8) -> Image.Image:
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    image = Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    for x1, y1, x2, y2 in re.findall(
        r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", path.attrib["d"]
    ):
        box = [float(x1) * scale, float(y1) * scale, float(x2) * scale - 1, float(y2) * scale - 1]
        draw.rectangle(box, fill=0)
    return image


def test_qr_svg__decodes_to_the_survey_url_with_ch_qr(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    response = client.get(survey_url(campaign) + "/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    decoded = [r.text for r in zxingcpp.read_barcodes(_rasterise(response.data))]
    assert decoded == [f"http://localhost{survey_url(campaign)}?ch=qr"]


def test_qr_png__uses_the_public_base_url(
    app: Flask,
    client: FlaskClient,
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://opros.example.ru/")
    campaign = make_campaign("nok_culture")
    response = client.get(survey_url(campaign) + "/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    decoded = [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]
    assert decoded == [f"https://opros.example.ru{survey_url(campaign)}?ch=qr"]


def test_qr_visit__is_stored_with_channel_qr(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    svg = client.get(survey_url(campaign) + "/qr.svg").data
    (decoded,) = [r.text for r in zxingcpp.read_barcodes(_rasterise(svg))]
    walk(client, decoded.removeprefix("http://localhost"), NOK_PAGES)
    assert session.scalar(select(func.count()).select_from(Response)) == 1
    assert [r.channel for r in stored(session)] == ["qr"]
    assert session.scalar(select(func.count()).select_from(Answer)) == len(NOK_ROWS)
    assert uuid.UUID(str(stored(session)[0].client_uuid))


# --- every bundled instrument ----------------------------------------------------------------


@pytest.mark.parametrize(
    "instrument_id",
    ["nok_culture", "library_gap", "servqual_library", "satisfaction_short", "kiosk_pulse"],
)
def test_bundled_instrument__every_page_renders_with_labelled_inputs(
    client: FlaskClient,
    session: Session,
    make_campaign: Callable[..., Campaign],
    instrument_id: str,
) -> None:
    campaign = make_campaign(instrument_id)
    instrument = instrument_of(campaign.instrument_version)
    url = survey_url(campaign)
    first = open_link(client, url)
    assert first.status_code == 200
    jump_to(session, instrument.sections[-1].id)
    for section in instrument.sections:
        response = client.get(f"{url}/p/{section.id}")
        html = response.get_data(as_text=True)
        page = parse(html)
        assert response.status_code == 200
        assert page.hidden["s-section"] == section.id
        controls = [e for e in page.inputs if e.get("name") != "nav" and e["type"] != "submit"]
        assert controls, section.id
        for element in controls:
            assert page.labels.get(element["id"], "").strip(), (section.id, element)


def test_points_page__must_add_up_to_its_total(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("servqual_library")
    url = survey_url(campaign)
    open_link(client, url)
    jump_to(session, "weights")
    html = client.get(f"{url}/p/weights").get_data(as_text=True)
    points = {
        "w_tangibles": "10",
        "w_reliability": "30",
        "w_responsiveness": "20",
        "w_assurance": "20",
        "w_empathy": "10",
    }  # 90, not 100
    bad = post_page(client, url, html, points)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert section_of(page) == "weights"
    # the message states the current sum (issue 9 §4), and the summary takes the focus
    assert "Сумма чисел на этой странице — 90, а должна быть 100." in page
    assert (
        'id="error-summary" aria-labelledby="error-summary-title" tabindex="-1" autofocus' in page
    )
    assert "data-first-error" not in page
    # the points are parts of the sum, not "optional" questions
    assert "необязательно" not in page
    # the same split adding up to 100 passes the page check (the earlier pages are unanswered,
    # so the final check sends the visitor back to the first of them)
    good = post_page(client, url, html, {**points, "w_empathy": "20"})
    assert good.status_code == 422
    assert section_of(good.get_data(as_text=True)) == "tangibles"
    assert stored(session) == []


# --- drafts: Back, reload and reopening the link lose nothing (issue 9 §2) -------------------


def test_every_page__is_a_get_after_a_redirect(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    opened = client.get(url)
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"{url}/p/information"
    first = client.get(opened.headers["Location"]).get_data(as_text=True)
    posted = client.post(f"{url}/p/information", data={**parse(first).hidden, "q1": "0", "q3": "0"})
    assert posted.status_code == 303
    assert posted.headers["Location"] == f"{url}/p/comfort"
    # Back: page 1 again, by GET, with its answers
    back = client.get(f"{url}/p/information")
    assert back.status_code == 200
    assert re.search(r'id="q1-1" name="q1" value="0" checked', back.get_data(as_text=True))
    # a page not reached yet is not shown: the visitor is sent to the current one
    ahead = client.get(f"{url}/p/about")
    assert ahead.status_code == 303 and ahead.headers["Location"] == f"{url}/p/comfort"


def test_page_with_errors__is_shown_again_on_reload(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    first = open_link(client, url).get_data(as_text=True)
    posted = client.post(f"{url}/p/information", data={**parse(first).hidden, "q1": "1"})
    assert posted.status_code == 303 and posted.headers["Location"] == f"{url}/p/information"
    for _ in range(2):  # the redirect, then a reload
        shown = client.get(f"{url}/p/information")
        assert shown.status_code == 422
        assert "Пожалуйста, ответьте на этот вопрос." in shown.get_data(as_text=True)


def test_reopening_the_link__offers_to_continue_or_start_again(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    walk(client, url, NOK_PAGES[:2])
    offer = client.get(url)
    html = offer.get_data(as_text=True)
    assert offer.status_code == 200 and offer.headers["Cache-Control"] == "no-store"
    assert "Продолжить с того места, где остановились" in html and "Начать заново" in html
    kept = client.post(f"{url}/resume", data={"choice": "continue"}, follow_redirects=True)
    assert kept.request.path == f"{url}/p/staff"
    assert draft_answers(session) == {"q1": 1, "q2": 1, "q3": 0, "q5": 1, "q6": 1, "q7": 0}
    again = client.post(f"{url}/resume", data={"choice": "restart"}, follow_redirects=True)
    assert again.request.path == f"{url}/p/information"
    assert draft_answers(session) == {}
    assert 'name="q1" value="1" checked' not in again.get_data(as_text=True)


def test_reopening_the_link__in_english_asks_in_english(
    client: FlaskClient, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    walk(client, url, NOK_PAGES[:1])
    html = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Continue where you left off" in html and "Start again" in html


def test_draft__expires_after_the_configured_lifetime(
    app: Flask, client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    walk(client, url, NOK_PAGES[:1])
    assert app.config["DRAFT_LIFETIME_MINUTES"] == 120
    draft = the_draft(session)
    draft.updated_at = draft.updated_at - timedelta(minutes=121)
    session.commit()
    fresh = client.get(url)
    assert fresh.status_code == 303  # no offer: the old draft is gone, a new one starts
    session.expire_all()
    drafts = list(session.scalars(select(SurveyDraft)))
    assert len(drafts) == 1 and json.loads(drafts[0].state["s-answers"]) == {}


def test_draft__is_found_by_a_random_token_per_survey_stored_hashed(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    first = make_campaign("nok_culture")
    second = make_campaign("nok_culture")
    open_link(client, survey_url(first))
    open_link(client, survey_url(second))
    with client.session_transaction() as cookie:
        tokens = dict(cookie["drafts"])
    assert len(set(tokens.values())) == 2  # nothing links the two surveys
    session.expire_all()
    stored_hashes = {d.token_sha256 for d in session.scalars(select(SurveyDraft))}
    assert stored_hashes == {hashlib.sha256(t.encode()).hexdigest() for t in tokens.values()}


def test_submitted_response__cannot_be_reopened_or_changed(
    client: FlaskClient, session: Session, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("nok_culture")
    url = survey_url(campaign)
    last = walk(client, url, NOK_PAGES[:4]).get_data(as_text=True)
    assert thanked(post_page(client, url, last, NOK_PAGES[4][1]))
    # the answers are gone from the draft once recorded
    assert the_draft(session).state == {} and the_draft(session).submitted_at is not None
    # Back to a page of the sent form: the thank-you page says it cannot change
    back = client.get(f"{url}/p/about", follow_redirects=True)
    assert thanked(back) and "больше нельзя изменить" in back.get_data(as_text=True)
    resent = client.post(f"{url}/p/about", data={"q17": "99"}, follow_redirects=True)
    assert thanked(resent)
    (response,) = stored(session)
    assert ("q17", "", 34.0, None) in rows_of(response)
    # reopening the link starts a new, empty form (a new response), never the sent one
    reopened = open_link(client, url)
    assert section_of(reopened.get_data(as_text=True)) == "information"
    assert "Продолжить с того места" not in reopened.get_data(as_text=True)
    assert len(stored(session)) == 1
