"""Blueprint admin_review over HTTP (issue 13 §5, §6): the instrument under review.

Methodologists and quality managers get the page and its two SVG charts; library staff get 403
(their role lacks ``review_instruments``); a version without responses in scope is 404; the
charts are self-contained SVG (no scripts, no external references), cached with an ETag, and
answer 304 when it matches; the instruments admin pages link to the review.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient

import analysis
from survey_app.models import User
from tests.analysis.reference import bfi
from tests.factories import STAFF_PASSWORD


class StaffClient(FlaskClient):
    """A test client that forgets Flask-Login's per-request user cache between requests."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def login(app, app_context) -> Callable[[User], StaffClient]:
    def sign_in(user: User) -> StaffClient:
        client = StaffClient(app, app.response_class, use_cookies=True)
        reply = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert reply.status_code == 302, reply.get_data(as_text=True)
        return client

    return sign_in


PAGE = "/admin/review/bfi_review/1"


def test_methodologist__page_in_russian_with_tables_and_charts(bfi_review: Any, login):
    client = login(bfi_review.methodologist)
    page = client.get(PAGE + "?lang=ru").get_data(as_text=True)
    assert "Инструмент на проверке: Пятифакторный опросник (A, C, E)" in page
    assert "Надёжность каждой шкалы по кампаниям" in page
    # α of A in SPRING as psych gives it, 0.7186329 -> 0,72 in Russian number format
    assert "0,72" in page
    assert "максимального правдоподобия" in page and "облимин" in page
    assert "n = 340" in page
    # ω of A in SPRING with the library page's bootstrap interval, drawn here from the bfi
    # file's rows (not the database): 0.6778 – 0.7946 -> "0,68 – 0,79"
    interval = analysis.omega_bootstrap(
        bfi().iloc[:300], items=["A1", "A2", "A3", "A4", "A5"], reverse=["A1"], scale=(1, 6)
    )
    assert (round(interval.low, 2), round(interval.high, 2)) == (0.68, 0.79)
    assert "95-процентный интервал ω" in page and "0,68 – 0,79" in page
    assert "200 повторов, зерно 20261204" in page
    assert 'src="/admin/review/bfi_review/1/items.svg"' in page
    assert 'src="/admin/review/bfi_review/1/loadings.svg"' in page
    english = client.get(PAGE + "?lang=en").get_data(as_text=True)
    assert "Reliability of each scale, by campaign" in english


@pytest.mark.parametrize("chart", ["items.svg", "loadings.svg"])
def test_charts__self_contained_svg_cached_with_etag(bfi_review: Any, login, chart):
    client = login(bfi_review.manager)
    reply = client.get(f"{PAGE}/{chart}")
    assert reply.status_code == 200
    assert reply.mimetype == "image/svg+xml"
    body = reply.get_data(as_text=True)
    assert body.lstrip().startswith("<?xml") and "<svg" in body
    assert "<script" not in body and "@import" not in body and "<image" not in body
    # every reference inside the file points into the file itself
    assert re.findall(r'href="([^"#][^"]*)"', body) == []
    assert reply.headers["ETag"]
    assert "private" in reply.headers["Cache-Control"]
    again = client.get(f"{PAGE}/{chart}", headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status_code == 304


def test_library_staff__refused(bfi_review: Any, login):
    client = login(bfi_review.staff)
    for url in ("/admin/review/", PAGE, f"{PAGE}/items.svg", f"{PAGE}/loadings.svg"):
        assert client.get(url).status_code == 403, url


def test_unknown_version__404(bfi_review: Any, login):
    client = login(bfi_review.methodologist)
    assert client.get("/admin/review/bfi_review/7").status_code == 404
    assert client.get("/admin/review/nothing/1/items.svg").status_code == 404


def test_too_few_responses__refusal_stated_and_no_loadings_chart(bfi_review: Any, login, make_user):
    manager = make_user("quality_manager", system=bfi_review.libraries[2].system)
    client = login(manager)
    page = client.get(PAGE + "?lang=ru").get_data(as_text=True)
    assert "Не рассчитано: слишком мало ответов." in page
    assert "не показано: слишком мало ответов" in page
    assert client.get(f"{PAGE}/loadings.svg").status_code == 404


def test_instruments_admin__links_to_the_review(bfi_review: Any, login):
    client = login(bfi_review.methodologist)
    listing = client.get("/admin/instruments/").get_data(as_text=True)
    assert 'href="/admin/review/bfi_review/1"' in listing
    assert 'href="/admin/review/"' in listing
    version = client.get("/admin/instruments/bfi_review/1").get_data(as_text=True)
    assert 'href="/admin/review/bfi_review/1"' in version
    index = client.get("/admin/review/").get_data(as_text=True)
    assert 'href="/admin/review/bfi_review/1"' in index


def test_yes_no_items__answers_labelled_in_russian_not_0_1(
    session, make_campaign, make_user, login
):
    """A yes/no item's answers read Да/Нет (as the questionnaire asks them), not 1/0."""
    from survey_app.services.responses import parse_submission
    from survey_app.services.responses import record_response
    from tests.factories import NOK_ANSWERS
    from tests.factories import submission

    campaign = make_campaign("nok_culture")
    for used_stands in (1, 1, 1, 0):
        answers = dict(NOK_ANSWERS, q1=used_stands)
        if not used_stands:
            del answers["q2"]  # asked only of those who used the stands
        record_response(session, parse_submission(submission(campaign, answers)))
    session.commit()
    client = login(make_user("methodologist"))
    page = client.get("/admin/review/nok_culture/1?lang=ru").get_data(as_text=True)
    # q1: 3 of 4 said yes, 1 no, lowest value (no) first
    assert "<span>Нет: 25&nbsp;%</span><span>Да: 75&nbsp;%</span>" in page
    assert "<span>0: " not in page and "<span>1: " not in page
    english = client.get("/admin/review/nok_culture/1?lang=en").get_data(as_text=True)
    assert "<span>No: 25&nbsp;%</span><span>Yes: 75&nbsp;%</span>" in english
    chart = client.get("/admin/review/nok_culture/1/items.svg?lang=ru")
    assert chart.status_code == 200


def _row_cells(page: str, key: str) -> list[str]:
    """The cells after the row header ``key`` of the item table, tags stripped."""
    row = re.search(rf'<th scope="row" data-label="Вопрос">{key}</th>(.*?)</tr>', page, re.S)
    assert row is not None, key
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row[1], re.S)]


def test_skip_logic__not_asked_told_apart_from_no_answer(session, make_campaign, make_user, login):
    """q2 is asked only of those who used the stands (q1 = yes): not asked of 1 of 4, and
    "no answer" counts among the 3 asked (one left the kiosk midway, a partial response
    kept by the campaign's policy)."""
    from dataclasses import replace

    from survey_app.services.responses import parse_submission
    from survey_app.services.responses import record_response
    from tests.factories import NOK_ANSWERS
    from tests.factories import submission

    campaign = make_campaign("nok_culture")
    for used_stands, answered in ((1, True), (1, True), (1, False), (0, False)):
        answers = dict(NOK_ANSWERS, q1=used_stands)
        if not answered:
            del answers["q2"]
        parsed = parse_submission(submission(campaign, answers, channel="kiosk"))
        record_response(session, replace(parsed, partial=not answered and used_stands == 1))
    session.commit()
    client = login(make_user("methodologist"))
    page = client.get("/admin/review/nok_culture/1?lang=ru").get_data(as_text=True)
    assert '<th scope="col" class="num">Не задавался</th>' in page
    assert "«Не задавался» — доля анкет, в которых вопрос был скрыт условием показа." in page
    assert "Lite" not in page  # NOK has no short form: the page does not speak of one
    # columns after the question and scale: answered, not asked, no answer, answers
    assert _row_cells(page, "q2")[2:5] == ["2", "25,0&nbsp;%", "33,3&nbsp;%"]
    assert _row_cells(page, "q1")[2:5] == ["4", "0,0&nbsp;%", "0,0&nbsp;%"]
    chart = client.get("/admin/review/nok_culture/1/items.svg?lang=ru")
    assert chart.status_code == 200
