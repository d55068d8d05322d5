"""Validation of respondents' answers (issue 2 §3, answers).

Covers: every item type's accepted spellings and canonical value; the long-format rows
and the numeric vector; skip logic on items and sections (hidden answers rejected,
hidden required items not required, no cascade from an invalid filter answer); the
Lite item set; the 100-point ``sum_to`` rule; every ANS code with its path;
``visible_items`` and ``draw_lite_items``.
"""

from __future__ import annotations

import dataclasses
import math
import random
import textwrap
from typing import Any

import pytest

import instruments
from instruments import AnswerRow
from instruments import Code
from instruments import InstrumentError
from instruments import LitePlan

DEMO = textwrap.dedent(
    """
    id: answers_demo
    version: 1
    title: {ru: Проверка ответов}
    formats:
      gap9:
        type: battery
        min: 1
        max: 9
        na_allowed: true
        columns:
          - {id: minimum, label: {ru: Минимум}}
          - {id: desired, label: {ru: Желаемый}}
          - {id: perceived, label: {ru: Фактический}}
    sections:
      - id: main
        title: {ru: Основное}
        items:
          - {id: used, type: yes_no, text: {ru: "Пользовались?"}}
          - id: rating
            type: likert
            min: 1
            max: 5
            text: {ru: Оценка}
            show_if: {item: used, eq: yes}
          - {id: nps, type: nps, required: false, text: {ru: Рекомендация}}
          - {id: mood, type: smiley, required: false, text: {ru: Настроение}}
          - id: age
            type: number
            integer: true
            min: 14
            max: 120
            required: false
            text: {ru: Возраст}
          - {id: hours, type: number, min: 0, required: false, text: {ru: Часы}}
          - id: sex
            type: single
            required: false
            text: {ru: Пол}
            choices:
              - {value: male, code: 1, label: {ru: М}}
              - {value: female, code: 2, label: {ru: Ж}}
          - id: branch
            type: single
            required: false
            text: {ru: Филиал}
            choices:
              - {value: central, label: {ru: Центральная}}
              - {value: north, label: {ru: Северная}}
          - id: topics
            type: multi
            required: false
            text: {ru: Темы}
            choices:
              - {value: books, label: {ru: Книги}}
              - {value: events, label: {ru: События}}
              - {value: wifi, label: {ru: Wi-Fi}}
          - id: ages
            type: multi
            required: false
            text: {ru: Возраст детей}
            choices:
              - {value: under7, code: 1, label: {ru: до 7}}
              - {value: over7, code: 2, label: {ru: 7 и старше}}
          - {id: note, type: text, max_length: 10, required: false, text: {ru: Заметка}}
      - id: gap
        title: {ru: Качество}
        show_if: {item: used, eq: yes}
        items:
          - {id: AS1, format: gap9, text: {ru: Вежливость}}
          - {id: AS2, format: gap9, text: {ru: Знания}}
          - id: IP1
            type: battery
            min: 1
            max: 9
            required: false
            text: {ru: Каталог}
            columns:
              - {id: importance, label: {ru: Важность}}
              - {id: performance, label: {ru: Исполнение}}
      - id: split
        title: {ru: Баллы}
        sum_to: 100
        items:
          - {id: w1, type: number, integer: true, min: 0, max: 100, required: false, text: {ru: А}}
          - {id: w2, type: number, integer: true, min: 0, max: 100, required: false, text: {ru: Б}}
    scales:
      - id: staff
        title: {ru: Персонал}
        column: perceived
        items: [AS1, AS2]
    lite:
      share: 0.5
      linking: [AS1]
      random_per_scale: {staff: 1}
    """
)


@pytest.fixture(scope="module")
def demo() -> instruments.Instrument:
    return instruments.load_text(DEMO)


FULL_JSON: dict[str, Any] = {
    "used": True,
    "rating": 4,
    "nps": 9,
    "mood": 3,
    "age": 35,
    "hours": 2.5,
    "sex": "female",
    "branch": "north",
    "topics": ["wifi", "books"],
    "ages": ["under7"],
    "note": "Спасибо!",
    "AS1": {"minimum": 5, "desired": 8, "perceived": 6},
    "AS2": {"na": True},
    "IP1": {"importance": 7, "performance": 3},
    "w1": 60,
    "w2": 40,
}

FULL_FORM: dict[str, Any] = {
    "used": "да",
    "rating": "4",
    "nps": "9.0",
    "mood": 3.0,
    "age": " 35 ",
    "hours": "2,5",
    "sex": "female",
    "branch": "north",
    "topics": ["books", "", "wifi"],
    "ages": "under7",
    "note": "  Спасибо!\r\n",
    "AS1": {"minimum": "5", "desired": "8", "perceived": "6", "na": ""},
    "AS2": {"na": "on", "minimum": "", "desired": "", "perceived": ""},
    "IP1": {"importance": "7", "performance": "3"},
    "w1": "60",
    "w2": "40",
}

CANONICAL = {
    "used": 1,
    "rating": 4,
    "nps": 9,
    "mood": 3,
    "age": 35,
    "hours": 2.5,
    "sex": "female",
    "branch": "north",
    "topics": ["books", "wifi"],
    "ages": ["under7"],
    "note": "Спасибо!",
    "AS1": {"minimum": 5, "desired": 8, "perceived": 6},
    "AS2": {"na": True},
    "IP1": {"importance": 7, "performance": 3},
    "w1": 60,
    "w2": 40,
}


def codes_paths(exc: pytest.ExceptionInfo[InstrumentError]) -> list[tuple[str, str]]:
    return [(str(p.code), p.path) for p in exc.value.problems]


def test_validate__json_answers_become_canonical_values(demo: instruments.Instrument) -> None:
    answers = instruments.validate_answers(demo, FULL_JSON)
    assert answers.values == CANONICAL
    assert list(answers.values) == list(CANONICAL)  # questionnaire order
    assert (answers.instrument_id, answers.instrument_version) == ("answers_demo", 1)
    assert answers.instrument_sha256 == demo.sha256


def test_validate__form_strings_give_the_same_canonical_values(
    demo: instruments.Instrument,
) -> None:
    from_form = instruments.validate_answers(demo, FULL_FORM)
    from_json = instruments.validate_answers(demo, FULL_JSON)
    assert from_form.values == CANONICAL
    assert from_form.canonical_json() == from_json.canonical_json()
    assert from_form.content_hash() == from_json.content_hash()
    assert type(from_form.values["nps"]) is int  # "9.0" -> 9, not 9.0


def test_validate__rows_in_long_format(demo: instruments.Instrument) -> None:
    rows = instruments.validate_answers(demo, FULL_JSON).rows
    assert rows == (
        AnswerRow("used", "", 1.0, None),
        AnswerRow("rating", "", 4.0, None),
        AnswerRow("nps", "", 9.0, None),
        AnswerRow("mood", "", 3.0, None),
        AnswerRow("age", "", 35.0, None),
        AnswerRow("hours", "", 2.5, None),
        AnswerRow("sex", "", 2.0, "female"),
        AnswerRow("branch", "", None, "north"),
        AnswerRow("topics", "", 1.0, "books"),
        AnswerRow("topics", "", 1.0, "wifi"),
        AnswerRow("ages", "", 1.0, "under7"),
        AnswerRow("note", "", None, "Спасибо!"),
        AnswerRow("AS1", "minimum", 5.0, None),
        AnswerRow("AS1", "desired", 8.0, None),
        AnswerRow("AS1", "perceived", 6.0, None),
        AnswerRow("AS2", "na", 1.0, None),
        AnswerRow("IP1", "importance", 7.0, None),
        AnswerRow("IP1", "performance", 3.0, None),
        AnswerRow("w1", "", 60.0, None),
        AnswerRow("w2", "", 40.0, None),
    )


def test_validate__vector_follows_analysis_keys_with_nan_gaps(demo: instruments.Instrument) -> None:
    answers = instruments.validate_answers(demo, FULL_JSON)
    # numeric items, coded single choices and battery columns; not text, multi, nominal single
    assert answers.keys == demo.analysis_keys == (
        "used", "rating", "nps", "mood", "age", "hours", "sex",
        "AS1:minimum", "AS1:desired", "AS1:perceived",
        "AS2:minimum", "AS2:desired", "AS2:perceived",
        "IP1:importance", "IP1:performance", "w1", "w2",
    )  # fmt: skip
    vector = answers.vector()
    expected = [1, 4, 9, 3, 35, 2.5, 2, 5, 8, 6, None, None, None, 7, 3, 60, 40]
    assert len(vector) == len(expected)
    for got, want in zip(vector, expected, strict=True):
        assert math.isnan(got) if want is None else got == want


def test_validate__skip_logic_hides_items_and_sections(demo: instruments.Instrument) -> None:
    answers = instruments.validate_answers(demo, {"used": "нет"})
    assert answers.values == {"used": 0}
    # rating and the whole gap section are hidden, so neither required nor allowed
    assert "rating" not in answers.visible
    assert "AS1" not in answers.visible
    assert math.isnan(answers.vector()[1])
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, {"used": "no", "rating": 3, "AS1": {"na": True}})
    assert codes_paths(exc) == [("ANS002", "answers.rating"), ("ANS002", "answers.AS1")]


def test_validate__blank_values_of_hidden_items_are_ignored(demo: instruments.Instrument) -> None:
    blank = {"used": "0", "rating": "", "AS1": {"minimum": "", "na": ""}, "topics": [], "note": " "}
    assert instruments.validate_answers(demo, blank).values == {"used": 0}


def test_validate__visible_required_items_must_be_answered(demo: instruments.Instrument) -> None:
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, {"used": 1})
    assert codes_paths(exc) == [
        ("ANS003", "answers.rating"),
        ("ANS003", "answers.AS1"),
        ("ANS003", "answers.AS2"),
    ]
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, {})
    assert codes_paths(exc) == [("ANS003", "answers.used")]


def test_validate__invalid_filter_answer_does_not_cascade(demo: instruments.Instrument) -> None:
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, {"used": "maybe", "rating": 2})
    # neither "rating is hidden" nor "AS1 is required": their visibility is undecided
    assert codes_paths(exc) == [("ANS008", "answers.used")]


def test_validate__sum_to_accepts_exact_total_and_counts_blanks_as_zero(
    demo: instruments.Instrument,
) -> None:
    base = {"used": 0}
    assert instruments.validate_answers(demo, {**base, "w1": "100", "w2": ""}).values["w1"] == 100
    assert "w1" not in instruments.validate_answers(demo, base).values
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, {**base, "w1": 60, "w2": 30})
    assert codes_paths(exc) == [("ANS014", "sections.split.sum_to")]


def test_validate__lite_items_limit_the_battery(demo: instruments.Instrument) -> None:
    answers = {"used": 1, "rating": 3, "AS1": {"minimum": 4, "desired": 7, "perceived": 5}}
    result = instruments.validate_answers(demo, answers, lite_items={"AS1"})
    assert result.lite_items == frozenset({"AS1"})
    assert "AS2" not in result.visible  # not drawn, hence not required
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, {**answers, "AS2": {"na": True}}, lite_items=["AS1"])
    assert codes_paths(exc) == [("ANS015", "answers.AS2")]
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, answers, lite_items=["AS1", "rating", "zz"])
    assert codes_paths(exc) == [("ANS016", "lite_items"), ("ANS016", "lite_items")]
    with pytest.raises(TypeError):
        instruments.validate_answers(demo, answers, lite_items="AS1")


BASE = {"used": 1, "rating": 3, "AS1": {"na": True}, "AS2": {"na": True}}

# (overrides of BASE, expected problems) — each ANS code at least once
ANSWER_CASES: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    ({"zz": 1}, [("ANS001", "answers.zz")]),
    ({"used": 0}, [("ANS002", "answers.rating"), ("ANS002", "answers.AS1"),
                   ("ANS002", "answers.AS2")]),
    ({"rating": None}, [("ANS003", "answers.rating")]),
    ({"rating": True}, [("ANS004", "answers.rating")]),
    ({"rating": [3]}, [("ANS004", "answers.rating")]),
    ({"hours": "two"}, [("ANS004", "answers.hours")]),
    ({"note": 12}, [("ANS004", "answers.note")]),
    ({"topics": {"books": True}}, [("ANS004", "answers.topics")]),
    ({"AS1": 5}, [("ANS004", "answers.AS1")]),
    ({"AS1": {"na": "perhaps"}}, [("ANS004", "answers.AS1.na")]),
    ({"sex": 1.5}, [("ANS004", "answers.sex")]),
    ({"hours": float("nan")}, [("ANS005", "answers.hours")]),
    ({"hours": "inf"}, [("ANS005", "answers.hours")]),
    ({"nps": float("-inf")}, [("ANS005", "answers.nps")]),
    ({"rating": 6}, [("ANS006", "answers.rating")]),
    ({"nps": -1}, [("ANS006", "answers.nps")]),
    ({"mood": 5}, [("ANS006", "answers.mood")]),
    ({"age": "13"}, [("ANS006", "answers.age")]),
    ({"hours": -0.5}, [("ANS006", "answers.hours")]),
    ({"AS1": {"minimum": 0, "desired": 5, "perceived": 5}}, [("ANS006", "answers.AS1.minimum")]),
    ({"rating": 3.5}, [("ANS007", "answers.rating")]),
    ({"age": "30,5"}, [("ANS007", "answers.age")]),
    ({"used": "maybe"}, [("ANS008", "answers.used")]),
    ({"used": 2}, [("ANS008", "answers.used")]),
    ({"sex": "other"}, [("ANS008", "answers.sex")]),
    ({"topics": ["books", "films"]}, [("ANS008", "answers.topics[1]")]),
    ({"topics": ["books", "books"]}, [("ANS009", "answers.topics[1]")]),
    ({"note": "x" * 11}, [("ANS010", "answers.note")]),
    ({"AS1": {"minimum": 5, "desired": 8}}, [("ANS011", "answers.AS1")]),
    ({"AS1": {"na": True, "perceived": 4}}, [("ANS012", "answers.AS1")]),
    ({"AS1": {"minimum": 5, "desired": 8, "perceived": 6, "adequacy": 1}},
     [("ANS013", "answers.AS1.adequacy")]),
    ({"w1": 50, "w2": 49}, [("ANS014", "sections.split.sum_to")]),
    ({"IP1": {"na": True}}, [("ANS018", "answers.IP1")]),
    ({"note": "a\x00b"}, [("ANS019", "answers.note")]),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "expected"), ANSWER_CASES)
def test_validate__each_problem_code_with_its_path(
    demo: instruments.Instrument, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, {**BASE, **overrides})
    assert codes_paths(exc) == expected


def test_validate__every_answer_code_is_exercised() -> None:
    exercised = {code for _, expected in ANSWER_CASES for code, _ in expected}
    exercised |= {"ANS015", "ANS016", "ANS017"}  # tested separately (Lite, non-mapping)
    assert {c.value for c in Code if c.value.startswith("ANS")} == exercised


def test_validate__answers_must_be_a_mapping(demo: instruments.Instrument) -> None:
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, [("used", 1)])  # type: ignore[arg-type]
    assert codes_paths(exc) == [("ANS017", "answers")]


def test_validate__collects_all_problems_at_once(demo: instruments.Instrument) -> None:
    bad = {
        "used": 1,
        "rating": 0,
        "AS1": {"minimum": 10, "desired": "x", "perceived": 5},
        "AS2": {},
        "sex": "?",
        "extra": 1,
    }
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(demo, bad)
    assert codes_paths(exc) == [
        ("ANS006", "answers.rating"),
        ("ANS008", "answers.sex"),
        ("ANS006", "answers.AS1.minimum"),
        ("ANS004", "answers.AS1.desired"),
        ("ANS003", "answers.AS2"),
        ("ANS001", "answers.extra"),
    ]
    assert exc.value.codes == tuple(code for code, _ in codes_paths(exc))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (True, 1), (False, 0), (1, 1), (0, 0), (1.0, 1), ("1", 1), ("0", 0),
        ("yes", 1), ("No", 0), ("да", 1), ("Нет", 0), ("true", 1), ("FALSE", 0),
    ],
)  # fmt: skip
def test_validate__yes_no_spellings(demo: instruments.Instrument, raw: Any, value: int) -> None:
    answers = {"used": raw} if value == 0 else {**BASE, "used": raw}
    assert instruments.validate_answers(demo, answers).values["used"] == value


def test_validate__numbers_keep_fractions_and_drop_integral_floats(
    demo: instruments.Instrument,
) -> None:
    values = instruments.validate_answers(demo, {"used": 0, "hours": "3.0", "age": 40.0}).values
    assert values == {"used": 0, "hours": 3, "age": 40}
    assert type(values["hours"]) is int
    assert type(values["age"]) is int


def test_validate__text_is_normalised(demo: instruments.Instrument) -> None:
    # NFD "й" (и + combining breve) becomes the single NFC code point; CRLF becomes LF
    values = instruments.validate_answers(demo, {"used": 0, "note": " \u0438\u0306\r\nok "}).values
    assert values["note"] == "\u0439\nok"


# --- visible_items -----------------------------------------------------------------------


def test_visible_items__follow_the_answers(demo: instruments.Instrument) -> None:
    always = {
        "used",
        "nps",
        "mood",
        "age",
        "hours",
        "sex",
        "branch",
        "topics",
        "ages",
        "note",
        "w1",
        "w2",
    }
    assert instruments.visible_items(demo, {}) == always
    assert instruments.visible_items(demo, {"used": "no"}) == always
    assert instruments.visible_items(demo, {"used": "yes"}) == always | {
        "rating",
        "AS1",
        "AS2",
        "IP1",
    }
    # an invalid answer counts as no answer
    assert instruments.visible_items(demo, {"used": "perhaps"}) == always
    # on a Lite form only the listed battery items are shown
    lite = instruments.visible_items(demo, {"used": 1}, lite_items={"AS2"})
    assert lite == always | {"rating", "AS2"}


def test_skip_logic__the_answers_deciding_each_conditional_item(
    demo: instruments.Instrument,
) -> None:
    # rating by its own condition, the gap page's batteries by the page's: both read "used"
    assert instruments.skip_logic(demo) == {
        "rating": {"used"},
        "AS1": {"used"},
        "AS2": {"used"},
        "IP1": {"used"},
    }


def test_skip_logic__follows_a_condition_on_a_conditional_item() -> None:
    chain = instruments.load_text(
        textwrap.dedent(
            """
            id: chain
            version: 1
            title: {ru: Цепочка}
            formats:
              flag: {type: yes_no, required: false}
            sections:
              - id: main
                title: {ru: Основное}
                items:
                  - {id: a, format: flag, text: {ru: А}}
                  - {id: b, format: flag, text: {ru: Б}}
                  - {id: c, format: flag, show_if: {item: a, eq: yes}, text: {ru: В}}
                  - id: d
                    format: flag
                    show_if: {any: [{item: c, eq: yes}, {item: b, eq: no}]}
                    text: {ru: Г}
            """
        )
    )
    # d reads c and b; whether c counts depends on a
    assert instruments.skip_logic(chain) == {"c": {"a"}, "d": {"a", "b", "c"}}


def test_conditions__operators_on_each_kind_of_item() -> None:
    text = textwrap.dedent(
        """
        id: ops
        version: 1
        title: {ru: Операторы}
        formats:
          flag: {type: yes_no, required: false}
        sections:
          - id: s
            title: {ru: С}
            items:
              - {id: n, type: number, required: false, text: {ru: Ч}}
              - id: m
                type: multi
                required: false
                text: {ru: М}
                choices:
                  - {value: a, label: {ru: А}}
                  - {value: b, label: {ru: Б}}
              - {id: t, type: text, required: false, text: {ru: Т}}
              - {id: gt, format: flag, text: {ru: x}, show_if: {item: n, gt: 10}}
              - {id: lt, format: flag, text: {ru: x}, show_if: {item: n, lt: 10}}
              - {id: ne, format: flag, text: {ru: x}, show_if: {item: n, ne: 10}}
              - {id: in, format: flag, text: {ru: x}, show_if: {item: n, in: [1, 2]}}
              - {id: has, format: flag, text: {ru: x}, show_if: {item: m, eq: b}}
              - {id: hasnt, format: flag, text: {ru: x}, show_if: {item: m, ne: b}}
              - {id: any, format: flag, text: {ru: x}, show_if: {item: m, in: [a]}}
              - {id: said, format: flag, text: {ru: x}, show_if: {item: t, answered: true}}
              - {id: quiet, format: flag, text: {ru: x}, show_if: {item: t, answered: false}}
              - id: both
                format: flag
                text: {ru: x}
                show_if:
                  all:
                    - {item: n, gt: 0}
                    - any: [{item: m, eq: a}, {item: t, answered: true}]
        """
    )
    instrument = instruments.load_text(text)
    base = {"n", "m", "t"}

    def shown(answers: dict[str, Any]) -> set[str]:
        return instruments.visible_items(instrument, answers) - base

    # unanswered: only `answered: false` holds; comparisons are false
    assert shown({}) == {"quiet"}
    assert shown({"n": 12}) == {"gt", "ne", "quiet"}
    assert shown({"n": "2"}) == {"lt", "ne", "in", "quiet"}
    assert shown({"n": 10}) == {"quiet"}
    assert shown({"m": ["b"]}) == {"has", "quiet"}
    assert shown({"m": ["a"]}) == {"hasnt", "any", "quiet"}
    assert shown({"t": "привет"}) == {"said"}
    assert shown({"n": 1, "t": "x"}) == {"lt", "ne", "in", "said", "both"}
    assert shown({"n": 1, "m": ["a"]}) == {"lt", "ne", "in", "hasnt", "any", "quiet", "both"}
    assert shown({"n": 0, "m": ["a"]}) == {"lt", "ne", "hasnt", "any", "quiet"}


# --- draw_lite_items ----------------------------------------------------------------------


def test_draw_lite_items__none_without_a_plan_or_with_share_zero(
    demo: instruments.Instrument,
) -> None:
    rng = random.Random(1)
    assert instruments.draw_lite_items(dataclasses.replace(demo, lite=None), rng) is None
    zero = dataclasses.replace(demo, lite=LitePlan(0.0, ("AS1",), {"staff": 1}))
    assert all(instruments.draw_lite_items(zero, rng) is None for _ in range(200))


def test_draw_lite_items__linking_plus_draws_per_scale(demo: instruments.Instrument) -> None:
    always = dataclasses.replace(demo, lite=LitePlan(1.0, ("AS1",), {"staff": 1}))
    rng = random.Random(7)
    draws = [instruments.draw_lite_items(always, rng) for _ in range(50)]
    # the only non-linking item of the scale is AS2, so every Lite form is {AS1, AS2};
    # IP1 belongs to no sampled scale, so the plan does not touch it: it is always asked
    assert set(draws) == {frozenset({"AS1", "AS2", "IP1"})}
    nothing_sampled = dataclasses.replace(demo, lite=LitePlan(1.0, ("AS1",), {}))
    assert instruments.draw_lite_items(nothing_sampled, rng) == frozenset({"AS1", "AS2", "IP1"})


def test_draw_lite_items__share_and_reproducibility(demo: instruments.Instrument) -> None:
    first = [instruments.draw_lite_items(demo, random.Random(seed)) for seed in range(2000)]
    again = [instruments.draw_lite_items(demo, random.Random(seed)) for seed in range(2000)]
    assert first == again
    lite = sum(draw is not None for draw in first)
    # share 0.5 of n=2000: mean 1000, sd = sqrt(2000 * 0.25) = 22.4; allow 5 sd
    assert abs(lite - 1000) < 5 * math.sqrt(2000 * 0.25)


def test_draw_lite_items__a_campaign_share_replaces_the_plans(
    demo: instruments.Instrument,
) -> None:
    draws = [instruments.draw_lite_items(demo, random.Random(s), share=0.2) for s in range(2000)]
    lite = sum(draw is not None for draw in draws)
    # share 0.2 of n=2000 (the plan says 0.5): mean 400, sd = sqrt(2000 * 0.2 * 0.8) = 17.9
    assert abs(lite - 400) < 5 * math.sqrt(2000 * 0.2 * 0.8)
    never = [instruments.draw_lite_items(demo, random.Random(s), share=0.0) for s in range(200)]
    assert never == [None] * 200
    # at share 0 nothing is drawn from the generator: a seeded stream (the demo's) goes on as
    # if the campaign had no Lite form
    rng = random.Random(5)
    instruments.draw_lite_items(demo, rng, share=0.0)
    assert rng.random() == random.Random(5).random()


def test_validate__canonical_values_validate_to_themselves(demo: instruments.Instrument) -> None:
    once = instruments.validate_answers(demo, FULL_FORM)
    twice = instruments.validate_answers(demo, once.values)
    assert twice.values == once.values
    assert twice.rows == once.rows


def test_validate__conditions_built_in_code_are_normalised() -> None:
    from instruments import Condition
    from instruments import Item
    from instruments import ItemType
    from instruments import Section

    q1 = Item("q1", ItemType.yes_no, {"ru": "В1"})
    q2 = Item("q2", ItemType.yes_no, {"ru": "В2"}, show_if=Condition("eq", "q1", "yes"))
    q3 = Item("q3", ItemType.yes_no, {"ru": "В3"}, show_if=Condition("in", "q1", ("нет",)))
    built = instruments.Instrument(
        "built", 1, {"ru": "Т"}, (Section("s", {"ru": "С"}, (q1, q2, q3)),)
    )
    assert instruments.visible_items(built, {"q1": True}) == {"q1", "q2"}
    assert instruments.visible_items(built, {"q1": "0"}) == {"q1", "q3"}
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(built, {"q1": 1})
    assert codes_paths(exc) == [("ANS003", "answers.q2")]
