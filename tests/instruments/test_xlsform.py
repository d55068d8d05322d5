"""XLSForm workbooks -> instrument definitions (instruments.xlsform).

Covers: the settings/survey/choices mapping (groups -> sections, select_one with a run of
whole-number names -> likert, yes/no, select_multiple, integer/decimal/text, range, notes,
``label::Language (code)`` columns), ``relevant`` -> ``show_if`` with XPath's treatment of
blank answers, ``constraint`` -> min/max/max_length, and every problem reported with its
``<file>:<sheet>:<row>`` and code (XLS codes for the conversion, INS codes from the loader
translated back to the row).  The expected instruments are written by hand as YAML and
loaded with the ordinary loader: the two routes must give the same content hash.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest

from instruments import InstrumentError
from instruments import load_text
from instruments import visible_items
from instruments.xlsform import XlsCode
from instruments.xlsform import convert
from instruments.xlsform import load_xlsform

Rows = Sequence[Sequence[Any]]


def workbook(survey: Rows, choices: Rows = (), settings: Rows = ()) -> bytes:
    """An .xlsx with the given sheets; the first row of each is its header (row 1)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows:
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SETTINGS = [
    ["form_id", "version", "form_title::Russian (ru)", "form_title::English (en)"],
    ["visit", 3, "Визит в библиотеку", "Library visit"],
]
CHOICES = [
    ["list_name", "name", "label::Russian (ru)", "label::English (en)"],
    ["agree5", 1, "Совсем не согласен", "Strongly disagree"],  # row 2
    ["agree5", 2, "Не согласен", "Disagree"],
    ["agree5", 3, "Нейтрально", "Neutral"],
    ["agree5", 4, "Согласен", "Agree"],
    ["agree5", 5, "Полностью согласен", "Strongly agree"],  # row 6
    ["yn", "yes", "Да", "Yes"],
    ["yn", "no", "Нет", "No"],
    ["purpose", "books", "Книги", "Books"],  # row 9
    ["purpose", "events", "Мероприятия", "Events"],
    ["purpose", "wifi", "Wi-Fi", "Wi-Fi"],
]
SURVEY_HEADER = [
    "type",
    "name",
    "label::Russian (ru)",
    "label::English (en)",
    "hint::Russian (ru)",
    "required",
    "relevant",
    "constraint",
]


def full_survey() -> list[list[Any]]:
    return [
        SURVEY_HEADER,
        ["start", "start", None, None, None, None, None, None],  # 2
        ["note", "intro", "Спасибо!", "Thank you!", None, None, None, None],  # 3
        ["begin group", "visit", "Ваш визит", "Your visit", None, None, None, None],  # 4
        ["select_one yn", "first", "Впервые?", "First time?", None, "yes", None, None],  # 5
        ["select_multiple purpose", "why", "Зачем?", "Why?", "Выберите", "true", None, None],
        ["integer", "age", "Возраст", "Age", None, "no", None, ". >= 14 and . <= 120"],  # 7
        ["end group", None, None, None, None, None, None, None],
        ["begin group", "rating", "Оценка", "Rating", None, None, "${first} = 'no'", None],
        [
            "select_one agree5",
            "staff",
            "Сотрудники вежливы",
            "Staff are polite",
            None,
            "yes",
            None,
            None,
        ],  # 10
        ["note", "next", "Далее о зале", "About the hall", None, None, None, None],
        [
            "decimal",
            "hours",
            "Часов в зале",
            "Hours in the hall",
            "Примерно",
            None,
            "selected(${why}, 'events') and ${age} >= 18",
            ". <= 12",
        ],  # 12
        [
            "text",
            "comment",
            "Комментарий",
            "Comment",
            None,
            None,
            "${staff} != ''",
            "string-length(.) <= 500",
        ],
        ["end group", None, None, None, None, None, None, None],
    ]


EXPECTED_YAML = """\
id: visit
version: 3
title: {ru: Визит в библиотеку, en: Library visit}
description: {ru: Спасибо!, en: Thank you!}
locales: [ru, en]
sections:
  - id: visit
    title: {ru: Ваш визит, en: Your visit}
    items:
      - {id: first, type: yes_no, text: {ru: "Впервые?", en: "First time?"}, required: true}
      - id: why
        type: multi
        text: {ru: "Зачем?", en: "Why?"}
        help: {ru: Выберите}
        required: true
        choices:
          - {value: books, label: {ru: Книги, en: Books}}
          - {value: events, label: {ru: Мероприятия, en: Events}}
          - {value: wifi, label: {ru: Wi-Fi, en: Wi-Fi}}
      - {id: age, type: number, text: {ru: Возраст, en: Age}, required: false,
         min: 14, max: 120, integer: true}
  - id: rating
    title: {ru: Оценка, en: Rating}
    show_if: {item: first, eq: "no"}
    items:
      - id: staff
        type: likert
        text: {ru: Сотрудники вежливы, en: Staff are polite}
        required: true
        min: 1
        max: 5
        anchors:
          1: {ru: Совсем не согласен, en: Strongly disagree}
          2: {ru: Не согласен, en: Disagree}
          3: {ru: Нейтрально, en: Neutral}
          4: {ru: Согласен, en: Agree}
          5: {ru: Полностью согласен, en: Strongly agree}
      - id: hours
        type: number
        text: {ru: Часов в зале, en: Hours in the hall}
        help: {ru: "Далее о зале\\nПримерно", en: About the hall}
        required: false
        max: 12
        show_if:
          all:
            - {item: why, eq: events}
            - {item: age, gt: 17}
      - id: comment
        type: text
        text: {ru: Комментарий, en: Comment}
        required: false
        max_length: 500
        show_if: {item: staff, answered: true}
"""


def codes_at(error: InstrumentError) -> list[tuple[str, str | None, int | None]]:
    return [(str(p.code), p.file, p.line) for p in error.problems]


# --- the mapping -----------------------------------------------------------------------


def test_convert__full_form_equals_hand_written_yaml() -> None:
    data = workbook(full_survey(), CHOICES, SETTINGS)
    instrument, text = load_xlsform(data, filename="visit.xlsx")
    expected = load_text(EXPECTED_YAML)
    assert instrument.sha256 == expected.sha256
    assert load_text(text).sha256 == expected.sha256


def test_convert__likert_anchors_and_translations() -> None:
    instrument, _ = load_xlsform(workbook(full_survey(), CHOICES, SETTINGS))
    staff = instrument.item("staff")
    assert (staff.type.value, staff.min, staff.max) == ("likert", 1, 5)
    assert staff.anchors[5] == {"ru": "Полностью согласен", "en": "Strongly agree"}
    assert instrument.locales == ("ru", "en")
    assert instrument.title == {"ru": "Визит в библиотеку", "en": "Library visit"}


def test_convert__required_defaults_to_no_as_in_xlsform() -> None:
    survey = [["type", "name", "label"], ["text", "q1", "Вопрос"]]
    instrument, _ = load_xlsform(workbook(survey), instrument_id="t", version=1)
    assert instrument.item("q1").required is False


def test_convert__ungrouped_questions_form_sections_titled_with_the_form() -> None:
    survey = [
        ["type", "name", "label"],
        ["integer", "a", "А"],
        ["begin group", "g", "Группа"],
        ["integer", "b", "Б"],
        ["end group"],
        ["integer", "c", "В"],
    ]
    settings = [["form_id", "version", "form_title"], ["t", 2, "Анкета"]]
    instrument, _ = load_xlsform(workbook(survey, settings=settings))
    assert [s.id for s in instrument.sections] == ["section1", "g", "section3"]
    assert [[i.id for i in s.items] for s in instrument.sections] == [["a"], ["b"], ["c"]]
    assert instrument.sections[0].title == {"ru": "Анкета"}
    assert instrument.version == 2


def test_convert__two_numeric_choices_stay_single_with_codes() -> None:
    survey = [["type", "name", "label"], ["select_one sex", "sex", "Пол"]]
    choices = [["list_name", "name", "label"], ["sex", 1, "Мужской"], ["sex", 2, "Женский"]]
    instrument, _ = load_xlsform(workbook(survey, choices), instrument_id="t", version=1)
    item = instrument.item("sex")
    assert item.type.value == "single"
    assert [(c.value, c.code) for c in item.choices] == [("1", 1), ("2", 2)]


def test_convert__range_becomes_likert() -> None:
    survey = [
        ["type", "name", "label", "parameters"],
        ["range", "nps", "Порекомендуете?", "start=0 end=10 step=1"],
    ]
    instrument, _ = load_xlsform(workbook(survey), instrument_id="t", version=1)
    item = instrument.item("nps")
    assert (item.type.value, item.min, item.max) == ("likert", 0, 10)


def test_convert__language_by_name_and_default_language() -> None:
    survey = [["type", "name", "label", "label::English"], ["text", "q", "Вопрос", "Question"]]
    settings = [["form_id", "version", "default_language"], ["t", 1, "Russian (ru)"]]
    instrument, _ = load_xlsform(workbook(survey, settings=settings))
    assert instrument.item("q").text == {"ru": "Вопрос", "en": "Question"}


def test_convert__yaml_keeps_cyrillic_readable() -> None:
    conversion = convert(workbook(full_survey(), CHOICES, SETTINGS))
    assert conversion.problems == ()
    assert "Сотрудники вежливы" in conversion.yaml


# --- relevant -------------------------------------------------------------------------

RELEVANT_CASES = [
    ("${first} = 'yes'", {"item": "first", "eq": "yes"}),
    ("${first}='no'", {"item": "first", "eq": "no"}),
    ("selected(${why}, 'books')", {"item": "why", "eq": "books"}),
    (
        "not(selected(${why}, 'books'))",
        {"any": [{"item": "why", "ne": "books"}, {"item": "why", "answered": False}]},
    ),
    (
        "${first} != 'yes'",
        {"any": [{"item": "first", "ne": "yes"}, {"item": "first", "answered": False}]},
    ),
    ("${staff} >= 4", {"item": "staff", "gt": 3}),
    ("${staff} <= 2", {"item": "staff", "lt": 3}),
    ("${staff} > 3", {"item": "staff", "gt": 3}),
    ("4 <= ${staff}", {"item": "staff", "gt": 3}),
    ("${hours} >= 1.5", {"any": [{"item": "hours", "gt": 1.5}, {"item": "hours", "eq": 1.5}]}),
    ("${staff} = 5", {"item": "staff", "eq": 5}),
    ("${staff} = '5'", {"item": "staff", "eq": 5}),
    ("${comment} != ''", {"item": "comment", "answered": True}),
    ("${comment} = ''", {"item": "comment", "answered": False}),
    ("count-selected(${why}) > 0", {"item": "why", "answered": True}),
    (
        "${first} = 'yes' and (${staff} > 3 or selected(${why}, 'wifi'))",
        {
            "all": [
                {"item": "first", "eq": "yes"},
                {"any": [{"item": "staff", "gt": 3}, {"item": "why", "eq": "wifi"}]},
            ]
        },
    ),
    (
        "${first} = 'yes' and ${staff} > 3 and ${age} < 30",
        {
            "all": [
                {"item": "first", "eq": "yes"},
                {"item": "staff", "gt": 3},
                {"item": "age", "lt": 30},
            ]
        },
    ),
    # De Morgan: not(a and b) = not a or not b; not(x > 3) is also true when x is blank
    (
        "not(${first} = 'yes' and ${staff} > 3)",
        {
            "any": [
                {"item": "first", "ne": "yes"},
                {"item": "first", "answered": False},
                {"item": "staff", "lt": 4},
                {"item": "staff", "answered": False},
            ]
        },
    ),
]


def _relevant_form(expression: str) -> bytes:
    survey = [
        ["type", "name", "label", "relevant"],
        ["select_one yn", "first", "Впервые?", None],
        ["select_multiple purpose", "why", "Зачем?", None],
        ["select_one agree5", "staff", "Вежливы?", None],
        ["decimal", "hours", "Часов", None],
        ["integer", "age", "Возраст", None],
        ["text", "comment", "Комментарий", None],
        ["text", "target", "Цель", expression],  # row 8
    ]
    choices = [row[:3] for row in CHOICES]
    return workbook(survey, choices, [["form_id", "version"], ["t", 1]])


@pytest.mark.parametrize(("expression", "expected"), RELEVANT_CASES)
def test_relevant__maps_to_show_if(expression: str, expected: dict[str, Any]) -> None:
    conversion = convert(_relevant_form(expression))
    assert conversion.problems == ()
    assert conversion.raw["sections"][0]["items"][-1]["show_if"] == expected


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        ({}, True),  # XPath: '' != 'yes' is true, so the question shows
        ({"first": "yes"}, False),
        ({"first": "no"}, True),
    ],
)
def test_relevant__not_equal_shows_when_blank_like_xpath(
    answers: dict[str, Any], shown: bool
) -> None:
    instrument, _ = load_xlsform(_relevant_form("${first} != 'yes'"))
    assert ("target" in visible_items(instrument, answers)) is shown


@pytest.mark.parametrize(
    ("expression", "reason_part"),
    [
        ("${age} + 1 > 18", "arithmetic"),
        ("${age} > ${staff}", "literal"),
        ("today() > 3", "today"),
        ("${why} = 'books'", "selected"),
        ("${first} > 1", "cannot compare"),
        ("${first} = 'yes' and", "ends too early"),
        ("regex(${comment}, '[a-z]+')", "regex"),
    ],
)
def test_relevant__unmappable_expression_is_a_problem_at_its_row(
    expression: str, reason_part: str
) -> None:
    conversion = convert(_relevant_form(expression), filename="f.xlsx")
    assert [(p.code, p.file, p.line, p.path) for p in conversion.problems] == [
        (XlsCode.unmapped_relevant, "f.xlsx:survey", 8, "relevant")
    ]
    assert reason_part in conversion.problems[0].message
    assert str(conversion.problems[0]).startswith("f.xlsx:survey:8 relevant XLS007 ")


# --- constraint -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "constraint", "expected"),
    [
        ("integer", ". >= 14 and . <= 120", {"min": 14, "max": 120}),
        ("integer", ". > 0 and . < 100", {"min": 1, "max": 99}),
        ("integer", "120 >= .", {"max": 120}),
        ("decimal", ".>=0.5", {"min": 0.5}),
        ("text", "string-length(.) <= 200", {"max_length": 200}),
        ("text", "string-length(.) < 201", {"max_length": 200}),
    ],
)
def test_constraint__maps_to_bounds(kind: str, constraint: str, expected: dict[str, Any]) -> None:
    survey = [["type", "name", "label", "constraint"], [kind, "q", "Вопрос", constraint]]
    conversion = convert(workbook(survey), instrument_id="t", version=1)
    assert conversion.problems == ()
    item = conversion.raw["sections"][0]["items"][0]
    assert {k: item[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("kind", "constraint"),
    [
        ("decimal", ". > 0"),
        ("integer", ". >= 1 or . = 0"),
        ("text", "regex(., '^[0-9]+$')"),
        ("select_one yn", ". = 'yes'"),
        ("integer", ". != 3"),
    ],
)
def test_constraint__unmappable_is_a_problem(kind: str, constraint: str) -> None:
    survey = [["type", "name", "label", "constraint"], [kind, "q", "Вопрос", constraint]]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Да"], ["yn", "no", "Нет"]]
    conversion = convert(workbook(survey, choices), instrument_id="t", version=1)
    assert [(p.code, p.line) for p in conversion.problems] == [(XlsCode.unmapped_constraint, 2)]


# --- problems with sheet and row --------------------------------------------------------


def test_problems__every_one_reported_with_sheet_and_row() -> None:
    survey = [
        ["type", "name", "label", "calculation"],
        ["select_one nope", "a", "А", None],  # 2: unknown list
        ["geopoint", "where", "Где?", None],  # 3: unsupported type
        ["text", "b", "Б", None],
        ["calculate", "c", None, "1 + 1"],  # 5: calculate + calculation column
        ["begin repeat", "r", "Повтор", None],  # 6
        ["end repeat", None, None, None],  # 7
        ["end group", None, None, None],  # 8: end without begin
    ]
    with pytest.raises(InstrumentError) as info:
        load_xlsform(workbook(survey), filename="form.xlsx", instrument_id="t", version=1)
    assert codes_at(info.value) == [
        ("XLS006", "form.xlsx:survey", 2),
        ("XLS005", "form.xlsx:survey", 3),
        ("XLS010", "form.xlsx:survey", 5),
        ("XLS005", "form.xlsx:survey", 5),
        ("XLS005", "form.xlsx:survey", 6),
        ("XLS005", "form.xlsx:survey", 7),
        ("XLS011", "form.xlsx:survey", 8),
    ]


def test_problems__loader_problems_point_at_the_survey_row() -> None:
    survey = [
        ["type", "name", "label", "relevant"],
        ["integer", "q1", "Первый", "${q2} > 3"],  # 2: refers to a later question (INS022)
        ["integer", "q2", "Второй", None],
        ["text", "bad name", "Третий", None],  # 4: not an identifier (INS007)
        ["integer", "q1", "Повтор", None],  # 5: duplicate id (INS008)
    ]
    with pytest.raises(InstrumentError) as info:
        load_xlsform(workbook(survey), filename="form.xlsx", instrument_id="t", version=1)
    found = {(p.code, p.line, p.path) for p in info.value.problems}
    assert ("INS022", 2, "relevant") in found
    assert ("INS007", 4, "name") in found
    assert ("INS008", 5, "name") in found
    assert all(p.file == "form.xlsx:survey" for p in info.value.problems)


def test_problems__choice_problems_point_at_the_choices_row() -> None:
    survey = [["type", "name", "label"], ["select_one fruit", "f", "Фрукт"]]
    choices = [
        ["list_name", "name", "label"],
        ["fruit", "apple", "Яблоко"],
        ["fruit", "bad value!", "Груша"],
    ]  # row 3
    with pytest.raises(InstrumentError) as info:
        load_xlsform(workbook(survey, choices), instrument_id="t", version=1)
    assert codes_at(info.value) == [("INS007", "form.xlsx:choices", 3)]
    assert info.value.problems[0].path == "name"


def test_problems__missing_label_and_name() -> None:
    survey = [["type", "name", "label"], ["text", None, "Без имени"], ["integer", "n", None]]
    with pytest.raises(InstrumentError) as info:
        load_xlsform(workbook(survey), instrument_id="t", version=1)
    assert [(p.code, p.line, p.path) for p in info.value.problems] == [
        ("XLS013", 2, "name"),
        ("XLS013", 3, "label"),
    ]


def test_problems__settings_without_id_or_version() -> None:
    survey = [["type", "name", "label"], ["text", "q", "Вопрос"]]
    settings = [["form_title", "version"], ["Анкета", "2024-03"]]
    conversion = convert(workbook(survey, settings=settings))
    assert [(p.code, p.file, p.line, p.path) for p in conversion.problems] == [
        (XlsCode.bad_setting, "form.xlsx:settings", 2, "form_id"),
        (XlsCode.bad_setting, "form.xlsx:settings", 2, "version"),
    ]


def test_problems__bad_instrument_id_points_at_settings() -> None:
    survey = [["type", "name", "label"], ["text", "q", "Вопрос"]]
    settings = [["form_id", "version"], ["My Form", 1]]
    with pytest.raises(InstrumentError) as info:
        load_xlsform(workbook(survey, settings=settings))
    assert [(p.code, p.file, p.line, p.path) for p in info.value.problems] == [
        ("INS007", "form.xlsx:settings", 2, "form_id")
    ]


def test_problems__unknown_language_column() -> None:
    survey = [["type", "name", "label::Klingon"], ["text", "q", "Qapla'"]]
    conversion = convert(workbook(survey), instrument_id="t", version=1)
    assert [(p.code, p.line, p.path) for p in conversion.problems][0] == (
        XlsCode.bad_language,
        1,
        "label::Klingon",
    )


def test_problems__two_columns_for_one_language() -> None:
    survey = [["type", "name", "label", "label::Russian (ru)"], ["text", "q", "А", "Б"]]
    conversion = convert(workbook(survey), instrument_id="t", version=1)
    assert [(p.code, p.line) for p in conversion.problems] == [(XlsCode.ambiguous_language, 1)]


def test_problems__missing_russian_is_reported() -> None:
    survey = [["type", "name", "label::English (en)"], ["text", "q", "Question"]]
    with pytest.raises(InstrumentError) as info:
        load_xlsform(workbook(survey), instrument_id="t", version=1)
    assert [(p.code, p.file, p.line, p.path) for p in info.value.problems] == [
        ("INS009", "form.xlsx:survey", 2, "label::English (en)")
    ]


def test_problems__note_at_the_end_of_a_group() -> None:
    survey = [["type", "name", "label"], ["text", "q", "Вопрос"], ["note", "n", "Конец"]]
    conversion = convert(workbook(survey), instrument_id="t", version=1)
    assert [(p.code, p.line) for p in conversion.problems] == [(XlsCode.unplaced_note, 3)]


def test_problems__unclosed_and_nested_groups() -> None:
    survey = [
        ["type", "name", "label"],
        ["begin group", "g", "Г"],
        ["begin group", "h", "Х"],
        ["text", "q", "Вопрос"],
        ["end group"],
    ]
    conversion = convert(workbook(survey), instrument_id="t", version=1)
    assert [(p.code, p.line) for p in conversion.problems] == [
        (XlsCode.bad_group, 3),
        (XlsCode.bad_group, 2),
    ]


def test_problems__not_a_workbook() -> None:
    with pytest.raises(InstrumentError) as info:
        load_xlsform(b"id: x\n", filename="oops.xlsx")
    assert info.value.codes == ("XLS001",)


def test_convert__rejects_text_input() -> None:
    with pytest.raises(TypeError):
        convert("form.xlsx")  # type: ignore[arg-type]


def test_problems__no_survey_sheet_and_missing_columns() -> None:
    conversion = convert(workbook((), CHOICES, SETTINGS))
    assert [(p.code, p.file) for p in conversion.problems] == [
        (XlsCode.missing_sheet, "form.xlsx:survey")
    ]
    survey = [["kind", "label"], ["text", "Вопрос"]]
    conversion = convert(workbook(survey), instrument_id="t", version=1)
    assert [(p.code, p.line, p.path) for p in conversion.problems][:2] == [
        (XlsCode.missing_column, 1, "type"),
        (XlsCode.missing_column, 1, "name"),
    ]
