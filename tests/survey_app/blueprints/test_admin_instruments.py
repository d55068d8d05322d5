"""Blueprint admin_instruments: the methodologist's instrument pages over HTTP.

Covers issue 4 §3 end to end through the test client: upload with every problem shown with
its sheet/row and code (422, nothing stored), upload of a corrected file, publish (then a
re-upload of that version is refused with 409), the preview in each language renders the
respondent's questions, the YAML download and the diff page; only roles with
``manage_instruments`` get in.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import instruments
from survey_app.models import InstrumentVersion
from tests.factories import STAFF_PASSWORD

V1 = """\
id: pilot
version: 1
title: {ru: Пилотная анкета, en: Pilot survey}
locales: [ru, en]
sections:
  - id: main
    title: {ru: Основное, en: Main}
    items:
      - {id: q1, type: likert, min: 1, max: 5, text: {ru: Вежливость персонала, en: Staff courtesy}}
      - {id: q2, type: yes_no, text: {ru: Придёте снова?, en: Will you come again?}}
"""


def workbook(relevant: str) -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (
        ["type", "name", "label::Russian (ru)", "label::English (en)", "relevant"],
        ["select_one yn", "first", "Впервые у нас?", "First visit?", None],
        ["integer", "age", "Возраст", "Age", relevant],  # row 3
    ):
        survey.append(row)
    choices = book.create_sheet("choices")
    for row in (["list_name", "name", "label::Russian (ru)", "label::English (en)"],
                ["yn", "yes", "Да", "Yes"], ["yn", "no", "Нет", "No"]):  # fmt: skip
        choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title::Russian (ru)", "form_title::English (en)"])
    settings.append(["visit", 1, "Визит", "Visit"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def signed_in(
    client: FlaskClient, session: Session, make_user: Callable[..., Any]
) -> Callable[[str], Any]:
    def sign_in(role: str = "methodologist") -> Any:
        user = make_user(role)
        session.commit()
        response = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert response.status_code == 302
        client.get("/admin/instruments/?lang=en")  # these tests read the English texts
        return user

    return sign_in


def upload(client: FlaskClient, data: bytes, name: str, instrument: str = "") -> Any:
    return client.post(
        "/admin/instruments/upload",
        data={"file": (io.BytesIO(data), name), "instrument_id": instrument},
        content_type="multipart/form-data",
    )


def test_upload__problems_listed_with_row_and_code(
    client: FlaskClient, session: Session, signed_in: Callable[[str], Any]
) -> None:
    signed_in("methodologist")
    response = upload(client, workbook("${first} = 'yes' and today()"), "visit.xlsx")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "visit.xlsx:survey:3 relevant" in page
    assert "XLS007" in page
    assert session.scalars(select(InstrumentVersion)).all() == []


def test_upload_publish__draft_then_frozen(
    client: FlaskClient, session: Session, signed_in: Callable[[str], Any]
) -> None:
    signed_in("methodologist")
    response = upload(client, workbook("${first} = 'yes'"), "visit.xlsx")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/instruments/visit/1")
    page = client.get("/admin/instruments/visit/1").get_data(as_text=True)
    assert "Publish version 1" in page
    # publishing asks first, saying that it freezes the version (issue 9 §6)
    ask = client.post("/admin/instruments/visit/1/publish")
    assert ask.status_code == 200 and "can never be changed" in ask.get_data(as_text=True)
    assert session.scalars(select(InstrumentVersion)).one().published_at is None
    response = client.post("/admin/instruments/visit/1/publish", data={"confirmed": "1"})
    assert response.status_code == 302
    row = session.scalars(select(InstrumentVersion)).one()
    assert row.published_at is not None
    assert row.lineage == {"against": None, "items": {"first": "new", "age": "new"}}
    again = upload(client, workbook("${first} = 'yes'"), "visit.xlsx")
    assert again.status_code == 409
    assert client.post("/admin/instruments/visit/1/publish").status_code == 409


def test_index_and_source(client: FlaskClient, signed_in: Callable[[str], Any]) -> None:
    signed_in("admin")
    assert upload(client, V1.encode(), "pilot.yaml").status_code == 302
    page = client.get("/admin/instruments/").get_data(as_text=True)
    assert "Пилотная анкета" in page and "draft" in page
    source = client.get("/admin/instruments/pilot/1/source")
    assert source.status_code == 200
    assert source.get_data(as_text=True) == V1
    assert 'filename="pilot-1.yaml"' in source.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("locale", "expected", "absent"),
    [("ru", "Вежливость персонала", "Staff courtesy"), ("en", "Staff courtesy", "Вежливость")],
)
def test_preview__as_respondents_see_it_in_each_language(
    client: FlaskClient, signed_in: Callable[[str], Any], locale: str, expected: str, absent: str
) -> None:
    signed_in("methodologist")
    upload(client, V1.encode(), "pilot.yaml")
    response = client.get(f"/admin/instruments/pilot/1/preview?locale={locale}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert expected in page and absent not in page
    assert f'<html lang="{locale}"' in page
    assert 'name="q1"' in page and 'value="5"' in page  # the 1..5 rating is rendered


def test_diff_page(client: FlaskClient, signed_in: Callable[[str], Any]) -> None:
    signed_in("methodologist")
    upload(client, V1.encode(), "p1.yaml")
    client.post("/admin/instruments/pilot/1/publish", data={"confirmed": "1"})
    v2 = V1.replace("version: 1", "version: 2").replace("Придёте снова?", "Придёте ли снова?")
    assert upload(client, v2.encode(), "p2.yaml", instrument="pilot").status_code == 302
    page = client.get("/admin/instruments/pilot/diff?old=1&new=2").get_data(as_text=True)
    assert "Придёте ли снова?" in page and "text (ru)" in page


@pytest.mark.parametrize("role", ["quality_manager", "library_staff"])
def test_access__other_roles_are_refused(
    client: FlaskClient, signed_in: Callable[[str], Any], role: str
) -> None:
    signed_in(role)
    assert client.get("/admin/instruments/").status_code == 403
    assert upload(client, V1.encode(), "pilot.yaml").status_code == 403


def test_access__anonymous_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/instruments/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_upload__larger_than_a_survey_submission_is_accepted(
    client: FlaskClient, session: Session, signed_in: Callable[[str], Any]
) -> None:
    """Instrument files may exceed the 256 KB body limit meant for survey submissions."""
    signed_in("methodologist")
    source = (Path(instruments.__file__).parent / "definitions/kiosk_pulse/1.yaml").read_bytes()
    padded = source + b"\n" + b"# " + b"x" * 400_000 + b"\n"
    response = upload(client, padded, "kiosk_pulse.yaml")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert session.scalars(select(InstrumentVersion.instrument_id)).all() == ["kiosk_pulse"]


# --- issue 9 §5: problems in the page's language, codes unchanged ---------------------------


def test_problem_templates__match_the_instrument_codes() -> None:
    from instruments.errors import Code
    from instruments.xlsform import XlsCode
    from survey_app.problem_messages import TEMPLATES

    assert {str(c): c.template for c in [*Code, *XlsCode]} == TEMPLATES


def test_upload__problems_in_russian_keep_their_codes(
    client: FlaskClient, session: Session, signed_in: Callable[[str], Any]
) -> None:
    signed_in("methodologist")
    client.get("/admin/instruments/?lang=ru")
    broken = V1.replace("type: likert, min: 1, max: 5", "type: likert, min: 5, max: 1").replace(
        "title: {ru: Основное, en: Main}", "title: {ru: Основное, en: Main}\n    colour: red"
    )
    response = upload(client, broken.encode(), "pilot.yaml")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "INS011" in page and "min (5) должно быть меньше max (1)" in page
    assert "INS005" in page and "неизвестное поле &#39;colour&#39;" in page
    assert "must be less than" not in page and "unknown field" not in page
    xls = upload(client, workbook("${first} = 'yes' and today()"), "visit.xlsx")
    assert "XLS007" in xls.get_data(as_text=True)
    assert "условие relevant" in xls.get_data(as_text=True)
