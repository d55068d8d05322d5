"""survey_app.forms.questionnaire: one field builder per item type, form data <-> answers.

Covers: FIELD_BUILDERS is exhaustive over ItemType; for every type, answer -> form data ->
bound form -> answer round-trips, and the answers read from a form are exactly what
instruments.validate_answers (written independently) accepts as canonical; syntax errors
(a non-number) are reported per item; build_form limits a page to the given items and keeps
item field names apart from the form's own attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

import instruments
from instruments import ItemType
from survey_app.forms.questionnaire import FIELD_BUILDERS
from survey_app.forms.questionnaire import STATE_FIELDS
from survey_app.forms.questionnaire import build_form
from survey_app.forms.questionnaire import field_name
from survey_app.forms.questionnaire import formdata_of

EVERY_TYPE = """
id: every_type
version: 1
locales: [ru, en]
title: {ru: Все типы вопросов, en: Every item type}
sections:
  - id: all
    title: {ru: Все, en: All}
    items:
      - id: lik
        type: likert
        min: 1
        max: 7
        anchors:
          1: {ru: совсем не согласен, en: strongly disagree}
          7: {ru: полностью согласен, en: strongly agree}
        text: {ru: Лайкерт, en: Likert}
      - id: yn
        type: yes_no
        text: {ru: Да или нет, en: Yes or no}
      - id: one
        type: single
        text: {ru: Один вариант, en: One option}
        choices:
          - {value: a, label: {ru: Первый, en: First}}
          - {value: b, label: {ru: Второй, en: Second}}
      - id: many
        type: multi
        text: {ru: Несколько вариантов, en: Several options}
        choices:
          - {value: books, label: {ru: Книги, en: Books}}
          - {value: events, label: {ru: Мероприятия, en: Events}}
          - {value: wifi, label: {ru: Wi-Fi, en: Wi-Fi}}
      - id: rec
        type: nps
        text: {ru: "Порекомендуете?", en: "Recommend?"}
      - id: face
        type: smiley
        text: {ru: "Как Вам?", en: "How was it?"}
      - id: num
        type: number
        min: 0
        max: 100
        text: {ru: Число, en: Number}
      - id: note
        type: text
        required: false
        max_length: 50
        text: {ru: Текст, en: Text}
      - id: bat
        type: battery
        min: 1
        max: 9
        na_allowed: true
        text: {ru: Утверждение, en: Statement}
        columns:
          - {id: minimum, label: {ru: Минимум, en: Minimum}}
          - {id: desired, label: {ru: Желаемый, en: Desired}}
          - {id: perceived, label: {ru: Воспринимаемый, en: Perceived}}
      - id: bat2
        type: battery
        min: 1
        max: 9
        na_allowed: true
        text: {ru: Второе утверждение, en: Second statement}
        columns:
          - {id: minimum, label: {ru: Минимум, en: Minimum}}
          - {id: perceived, label: {ru: Воспринимаемый, en: Perceived}}
"""

#: one canonical answer per item, written by hand in the shapes the JSON API documents
ANSWERS: dict[str, Any] = {
    "lik": 6,
    "yn": 0,
    "one": "b",
    "many": ["books", "wifi"],
    "rec": 10,
    "face": 1,
    "num": 3.5,
    "note": "Больше мест для чтения",
    "bat": {"minimum": 4, "desired": 9, "perceived": 7},
    "bat2": {"na": True},
}

#: the same answers as a browser posts them (field name -> values)
POSTED = [
    ("lik", "6"),
    ("yn", "0"),
    ("one", "b"),
    ("many", "books"),
    ("many", "wifi"),
    ("rec", "10"),
    ("face", "1"),
    ("num", "3.5"),
    ("note", "Больше мест для чтения"),
    ("bat-minimum", "4"),
    ("bat-desired", "9"),
    ("bat-perceived", "7"),
    ("bat2-na", "y"),
]


@pytest.fixture(scope="module")
def instrument() -> instruments.Instrument:
    return instruments.load_text(EVERY_TYPE)


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context("/"):
        yield


def test_field_builders__cover_every_item_type() -> None:
    assert set(FIELD_BUILDERS) == set(ItemType)


def test_every_type_instrument__uses_every_item_type(instrument: instruments.Instrument) -> None:
    assert {item.type for item in instrument.items} == set(ItemType)


def test_form_data__reads_as_the_canonical_answers(
    instrument: instruments.Instrument, request_context: None
) -> None:
    form = build_form(instrument, "all", "ru")(formdata=MultiDict(POSTED))
    assert form.validate()
    assert form.item_errors == {}
    assert form.answers == ANSWERS
    # the independent validator agrees that these are the canonical values
    assert dict(instruments.validate_answers(instrument, form.answers).values) == ANSWERS


def test_answers__round_trip_through_form_data(
    instrument: instruments.Instrument, request_context: None
) -> None:
    pairs = formdata_of(instrument.items, ANSWERS)
    assert sorted(pairs) == sorted(POSTED)
    form = build_form(instrument, "all", "ru")(formdata=MultiDict(pairs))
    form.validate()
    assert form.answers == ANSWERS


@pytest.mark.parametrize("item_type", list(ItemType))
def test_each_builder__round_trips_its_answer(
    instrument: instruments.Instrument, request_context: None, item_type: ItemType
) -> None:
    items = [item for item in instrument.items if item.type is item_type]
    builder = FIELD_BUILDERS[item_type]
    for item in items:
        pairs = builder.write(item, ANSWERS[item.id])
        form = build_form(instrument, "all", "en", items=[item.id])(formdata=MultiDict(pairs))
        assert builder.read(item, form) == (ANSWERS[item.id], None)


def test_blank_form__reads_as_no_answers(
    instrument: instruments.Instrument, request_context: None
) -> None:
    form = build_form(instrument, "all", "ru")(formdata=MultiDict([("bat-minimum", "")]))
    assert form.validate()
    assert form.answers == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("3,5", 3.5), (" 7.0 ", 7), ("−2", -2), ("1 000", 1000)],
)
def test_number__accepts_russian_and_english_spellings(
    instrument: instruments.Instrument, request_context: None, raw: str, expected: float
) -> None:
    form = build_form(instrument, "all", "ru", items=["num"])(formdata=MultiDict([("num", raw)]))
    form.validate()
    assert form.answers == {"num": expected}
    assert type(form.answers["num"]) is type(expected)


def test_number__not_a_number_is_a_syntax_error(
    instrument: instruments.Instrument, request_context: None
) -> None:
    form = build_form(instrument, "all", "ru", items=["num"])(formdata=MultiDict([("num", "abc")]))
    assert not form.validate()
    assert form.answers == {}
    assert form.item_errors == {"num": ["Введите число, например 12."]}


def test_battery__na_together_with_ratings_is_passed_on_for_the_validator(
    instrument: instruments.Instrument, request_context: None
) -> None:
    posted = MultiDict([("bat-minimum", "3"), ("bat-na", "y")])
    form = build_form(instrument, "all", "ru", items=["bat"])(formdata=posted)
    form.validate()
    assert form.answers == {"bat": {"minimum": 3, "na": True}}
    with pytest.raises(instruments.InstrumentError) as caught:
        instruments.validate_answers(instrument, {**ANSWERS, **form.answers})
    assert "ANS012" in caught.value.codes


def test_build_form__limits_the_page_to_the_given_items(
    instrument: instruments.Instrument, request_context: None
) -> None:
    form = build_form(instrument, "all", "ru", items=["yn", "bat"])()
    item_fields = {f.name for f in form if f.name not in STATE_FIELDS}
    assert item_fields == {"yn", "bat-minimum", "bat-desired", "bat-perceived", "bat-na"}
    assert [item.id for item in form.page_items] == ["yn", "bat"]


def test_build_form__labels_in_the_requested_language(
    instrument: instruments.Instrument, request_context: None
) -> None:
    ru = build_form(instrument, "all", "ru")()
    en = build_form(instrument, "all", "en")()
    assert ru["one"].label.text == "Один вариант"
    assert en["one"].label.text == "One option"
    assert [label for _, label in ru["one"].choices] == ["Первый", "Второй"]
    assert en["bat-desired"].label.text == "Desired"


def test_field_name__keeps_items_apart_from_form_attributes() -> None:
    assert field_name("q1") == "q1"
    assert field_name("AS1", "perceived") == "AS1-perceived"
    assert field_name("data") == "item-data"
    assert field_name("validate", "na") == "item-validate-na"


def test_build_form__an_item_called_like_a_form_attribute_still_works(
    request_context: None,
) -> None:
    instrument = instruments.load_text(
        """
id: clash
version: 1
title: {ru: Имена}
sections:
  - id: s
    title: {ru: С}
    items:
      - {id: data, type: yes_no, text: {ru: Вопрос}}
      - {id: errors, type: number, text: {ru: Число}}
"""
    )
    form = build_form(instrument, "s", "ru")(
        formdata=MultiDict([("item-data", "1"), ("item-errors", "5")])
    )
    form.validate()
    assert form.answers == {"data": 1, "errors": 5}
