"""Every instrument rule (INS001-INS043) on small inline YAML documents.

Covers issue 2 §3: each code is triggered by a minimal file and the test asserts the
code, the path and the line (computed from the text itself), never the English
message.  Also: all problems of a file are reported together, in rule order; the
``untranslated`` report.
"""

from __future__ import annotations

import textwrap

import pytest

import instruments
from instruments import Code
from instruments import Problem
from instruments.checks import CHECKS


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line(text: str, marker: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line containing ``marker``."""
    hits = [i for i, row in enumerate(text.splitlines(), start=1) if marker in row]
    if len(hits) < nth:
        raise LookupError(f"{marker!r} occurs {len(hits)} times")
    return hits[nth - 1]


def found(text: str, **kw: str) -> list[tuple[str, str, int | None]]:
    return [(str(p.code), p.path, p.line) for p in instruments.check(text, **kw)]


HEAD = """\
id: demo
version: 1
title: {ru: Демо}
sections:
  - id: s1
    title: {ru: Раздел}
    items:
"""


def with_items(items: str, tail: str = "") -> str:
    """A valid header followed by the given items (indented 6) and top-level tail."""
    body = textwrap.indent(textwrap.dedent(items).strip("\n"), "      ")
    return HEAD + body + "\n" + textwrap.dedent(tail).lstrip("\n")


Q1 = """\
- id: q1
  type: yes_no
  text: {ru: Вопрос 1}
"""

LIKERT5 = """\
- id: L1
  type: likert
  min: 1
  max: 5
  text: {ru: Оценка}
"""


def test_check__valid_document_has_no_problems() -> None:
    assert instruments.check(with_items(Q1 + LIKERT5)) == []


# Each case: (code, document, [(path, line-marker, nth)])
CASES: list[tuple[Code, str, list[tuple[str, str, int]]]] = [
    (Code.syntax, "id: demo\ntitle: a: b\nversion: 1\n", [("(document)", "title", 1)]),
    (Code.not_a_mapping, "- id: demo\n- version: 1\n", [("(document)", "- id", 1)]),
    (
        Code.missing_field,
        with_items("- id: q1\n  type: yes_no\n"),
        [("sections[0].items[0]", "- id: q1", 1)],
    ),
    (
        Code.wrong_type,
        with_items("- id: q1\n  type: yes_no\n  required: yes\n  text: {ru: В}\n"),
        [("sections[0].items[0].required", "required", 1)],
    ),
    (
        Code.unknown_field,
        with_items("- id: q1\n  type: yes_no\n  reqired: false\n  text: {ru: В}\n"),
        [("sections[0].items[0].reqired", "reqired", 1)],
    ),
    (
        Code.unknown_item_type,
        with_items("- id: q1\n  type: likret\n  text: {ru: В}\n"),
        [("sections[0].items[0].type", "likret", 1)],
    ),
    (
        Code.bad_id,
        with_items("- id: 1st\n  type: yes_no\n  text: {ru: В}\n"),
        [("sections[0].items[0].id", "1st", 1)],
    ),
    (
        Code.duplicate_id,
        with_items(Q1 + Q1.replace("Вопрос 1", "Вопрос 2")),
        [("sections[0].items[1].id", "- id: q1", 2)],
    ),
    (
        Code.missing_russian,
        with_items("- id: q1\n  type: yes_no\n  text: {en: Question}\n").replace(
            "title: {ru: Демо}", "locales: [ru, en]\ntitle: {ru: Демо}"
        ),
        [("sections[0].items[0].text", "text:", 1)],
    ),
    (
        Code.undeclared_locale,
        with_items("- id: q1\n  type: yes_no\n  text:\n    ru: Вопрос\n    de: Frage\n"),
        [("sections[0].items[0].text.de", "de: Frage", 1)],
    ),
    (
        Code.bad_range,
        with_items("- id: L1\n  type: likert\n  min: 5\n  max: 1\n  text: {ru: О}\n"),
        [("sections[0].items[0].max", "max: 1", 1)],
    ),
    (
        Code.reverse_not_numeric,
        with_items(
            "- id: n1\n  type: number\n  text: {ru: Ч}\n",
            "scales:\n  - id: sc\n    title: {ru: Ш}\n    items: [n1]\n    reverse:\n      - n1\n",
        ),
        [("scales[0].reverse[0]", "      - n1", 1)],
    ),
    (
        Code.anchor_out_of_range,
        with_items(LIKERT5 + "  anchors:\n    1: {ru: плохо}\n    7: {ru: хорошо}\n"),
        [("sections[0].items[0].anchors[7]", "7: {ru", 1)],
    ),
    (
        Code.no_choices,
        with_items("- id: c1\n  type: multi\n  text: {ru: В}\n  choices: []\n"),
        [("sections[0].items[0].choices", "choices", 1)],
    ),
    (
        Code.no_columns,
        with_items("- id: b1\n  type: battery\n  min: 1\n  max: 9\n  text: {ru: Б}\n"),
        [("sections[0].items[0]", "- id: b1", 1)],
    ),
    (
        Code.scale_unknown_item,
        with_items(
            LIKERT5, "scales:\n  - id: sc\n    title: {ru: Ш}\n    items:\n      - L1\n      - L9\n"
        ),
        [("scales[0].items[1]", "- L9", 1)],
    ),
    (
        Code.scale_item_not_numeric,
        with_items(
            "- id: t1\n  type: text\n  text: {ru: Т}\n",
            "scales:\n  - id: sc\n    title: {ru: Ш}\n    items: [t1]\n",
        ),
        [("scales[0].items[0]", "items: [t1]", 1)],
    ),
    (
        Code.scale_mixed,
        with_items(
            LIKERT5 + LIKERT5.replace("L1", "L2").replace("max: 5", "max: 7"),
            "scales:\n  - id: sc\n    title: {ru: Ш}\n    items: [L1, L2]\n",
        ),
        [("scales[0].items", "items: [L1, L2]", 1)],
    ),
    (
        Code.scale_without_column,
        with_items(
            "- id: b1\n  type: battery\n  min: 1\n  max: 9\n  text: {ru: Б}\n"
            "  columns:\n    - {id: perceived, label: {ru: Факт}}\n",
            "scales:\n  - id: sc\n    title: {ru: Ш}\n    items: [b1]\n",
        ),
        [("scales[0]", "  - id: sc", 1)],
    ),
    (
        Code.scale_unknown_column,
        with_items(
            "- id: b1\n  type: battery\n  min: 1\n  max: 9\n  text: {ru: Б}\n"
            "  columns:\n    - {id: perceived, label: {ru: Факт}}\n",
            "scales:\n  - id: sc\n    title: {ru: Ш}\n    column: desired\n    items: [b1]\n",
        ),
        [("scales[0].column", "column: desired", 1)],
    ),
    (
        Code.condition_unknown_item,
        with_items(Q1 + LIKERT5 + "  show_if: {item: q0, eq: yes}\n"),
        [("sections[0].items[1].show_if.item", "show_if", 1)],
    ),
    (
        Code.condition_later_item,
        with_items(Q1 + "  show_if: {item: L1, gt: 3}\n" + LIKERT5),
        [("sections[0].items[0].show_if.item", "show_if", 1)],
    ),
    (
        Code.condition_self,
        with_items(Q1 + "  show_if: {item: q1, eq: yes}\n"),
        [("sections[0].items[0].show_if.item", "show_if", 1)],
    ),
    (
        Code.condition_bad_value,
        with_items(Q1 + LIKERT5 + "  show_if:\n    item: q1\n    eq: maybe\n"),
        [("sections[0].items[1].show_if.eq", "eq: maybe", 1)],
    ),
    (
        Code.condition_malformed,
        with_items(Q1 + LIKERT5 + "  show_if:\n    item: q1\n"),
        [("sections[0].items[1].show_if", "item: q1", 1)],
    ),
    (
        Code.condition_bad_op,
        with_items(Q1 + LIKERT5 + "  show_if:\n    item: q1\n    gt: 0\n"),
        [("sections[0].items[1].show_if.gt", "gt: 0", 1)],
    ),
]

BATTERY = """\
- id: b1
  type: battery
  min: 1
  max: 9
  text: {ru: Б1}
  columns:
    - {id: perceived, label: {ru: Факт}}
- id: b2
  type: battery
  min: 1
  max: 9
  text: {ru: Б2}
  columns:
    - {id: perceived, label: {ru: Факт}}
"""
SCALE = "scales:\n  - id: sc\n    title: {ru: Ш}\n    column: perceived\n    items: [b1, b2]\n"

CASES += [
    (
        Code.lite_unknown_item,
        with_items(BATTERY, SCALE + "lite:\n  share: 0.5\n  linking: [b1, b7]\n"),
        [("lite.linking[1]", "linking", 1)],
    ),
    (
        Code.lite_bad_share,
        with_items(BATTERY, SCALE + "lite:\n  share: 1.5\n"),
        [("lite.share", "share", 1)],
    ),
    (
        Code.lite_unknown_scale,
        with_items(BATTERY, SCALE + "lite:\n  share: 0.5\n  random_per_scale:\n    staff: 1\n"),
        [("lite.random_per_scale.staff", "staff: 1", 1)],
    ),
    (
        Code.lite_bad_count,
        with_items(
            BATTERY,
            SCALE + "lite:\n  share: 0.5\n  linking: [b1]\n  random_per_scale:\n    sc: 2\n",
        ),
        [("lite.random_per_scale.sc", "sc: 2", 1)],
    ),
    (
        Code.bad_version,
        with_items(Q1).replace("version: 1", "version: 0"),
        [("version", "version: 0", 1)],
    ),
    (
        Code.unknown_format,
        with_items("- id: q1\n  format: gap9\n  text: {ru: В}\n"),
        [("sections[0].items[0].format", "format: gap9", 1)],
    ),
    (
        Code.not_applicable,
        with_items(LIKERT5 + "  choices:\n    - {value: a, label: {ru: А}}\n"),
        [("sections[0].items[0].choices", "choices:", 1)],
    ),
    (
        Code.reverse_not_in_scale,
        with_items(
            LIKERT5 + LIKERT5.replace("L1", "L2"),
            "scales:\n  - id: sc\n    title: {ru: Ш}\n    items: [L1]\n    reverse: [L2]\n",
        ),
        [("scales[0].reverse[0]", "reverse: [L2]", 1)],
    ),
    (
        Code.empty,
        "id: demo\nversion: 1\ntitle: {ru: Демо}\nsections: []\n",
        [("sections", "sections", 1)],
    ),
    (
        Code.no_russian_locale,
        with_items(Q1).replace("title: {ru: Демо}", "locales: [en]\ntitle: {ru: Демо}"),
        [("locales", "locales", 1)],
    ),
    (
        Code.bad_sum_to,
        with_items(LIKERT5).replace("title: {ru: Раздел}", "title: {ru: Раздел}\n    sum_to: 100"),
        [("sections[0].sum_to", "sum_to", 1)],
    ),
    (
        Code.partial_codes,
        with_items(
            "- id: sex\n  type: single\n  text: {ru: Пол}\n  choices:\n"
            "    - {value: m, code: 1, label: {ru: М}}\n    - {value: f, label: {ru: Ж}}\n"
        ),
        [("sections[0].items[0].choices", "choices:", 1)],
    ),
    (
        Code.lite_not_battery,
        with_items(BATTERY + Q1, SCALE + "lite:\n  share: 0.5\n  linking: [b1, q1]\n"),
        [("lite.linking[1]", "linking", 1)],
    ),
    (
        Code.duplicate_key,
        with_items("- id: q1\n  type: yes_no\n  text: {ru: В}\n  text: {ru: Г}\n"),
        [("sections[0].items[0].text", "text: {ru: Г}", 1)],
    ),
    (
        Code.bad_value,
        with_items("- id: t1\n  type: text\n  max_length: 0\n  text: {ru: Т}\n"),
        [("sections[0].items[0].max_length", "max_length", 1)],
    ),
    (
        Code.reserved_id,
        with_items(
            "- id: b1\n  type: battery\n  min: 1\n  max: 9\n  text: {ru: Б}\n"
            "  columns:\n    - id: na\n      label: {ru: Н/П}\n"
        ),
        [("sections[0].items[0].columns[0].id", "- id: na", 1)],
    ),
]


@pytest.mark.parametrize(
    ("code", "text", "expected"), CASES, ids=[f"{c.value}-{c.name}" for c, _, _ in CASES]
)
def test_check__each_code_reported_alone_with_path_and_line(
    code: Code, text: str, expected: list[tuple[str, str, int]]
) -> None:
    want = [(code.value, path, line(text, marker, nth)) for path, marker, nth in expected]
    assert found(text) == want


def test_check__every_instrument_code_has_a_case() -> None:
    covered = {c for c, _, _ in CASES} | {Code.file_name_mismatch}  # INS032 needs a filename
    assert {c for c in Code if c.value.startswith("INS")} - covered == set()


def test_check__file_name_must_match_id_and_version() -> None:
    text = with_items(Q1)
    assert found(text, filename="other/1.yaml") == [("INS032", "id", 1)]
    assert found(text, filename="demo/2.yaml") == [("INS032", "id", 1)]
    assert found(text, filename="definitions/demo/1.yaml") == []
    assert found(text, filename="anything.yaml") == []  # not an <id>/<n>.yaml name


# --- variants of the main rules --------------------------------------------------------


def test_check__syntax_error_in_bytes_that_are_not_utf8() -> None:
    problems = instruments.check(b"id: demo\ntitle: \xff\xfe\n")
    assert [(p.code, p.line) for p in problems] == [("INS001", 2)]


def test_check__missing_type_dependent_fields() -> None:
    text = with_items("- id: L1\n  type: likert\n  text: {ru: О}\n")
    assert found(text) == [
        ("INS003", "sections[0].items[0]", line(text, "- id: L1")),
        ("INS003", "sections[0].items[0]", line(text, "- id: L1")),
    ]
    messages = [p.message for p in instruments.check(text)]
    assert "'min'" in messages[0]
    assert "'max'" in messages[1]


def test_check__missing_top_level_fields() -> None:
    problems = instruments.check("id: demo\n")
    assert [(p.code, p.path) for p in problems] == [("INS003", "(document)")] * 3


def test_check__wrong_types_inside_lists_and_maps() -> None:
    text = with_items(
        LIKERT5 + "  anchors:\n    low: {ru: плохо}\n",
        "scales:\n  - id: sc\n    title: {ru: Ш}\n    items:\n      - L1\n      - 7\n",
    )
    assert found(text) == [
        ("INS004", "sections[0].items[0].anchors[low]", line(text, "low:")),
        ("INS004", "scales[0].items[1]", line(text, "- 7")),
    ]


def test_check__unknown_field_suggests_the_close_name() -> None:
    text = with_items("- id: q1\n  type: yes_no\n  reqired: false\n  text: {ru: В}\n")
    (problem,) = instruments.check(text)
    assert "'required'" in problem.message


def test_check__comma_in_flow_text_is_explained() -> None:
    text = with_items("- id: q1\n  type: yes_no\n  text: {ru: Да, конечно, en: Sure}\n")
    text = text.replace("title: {ru: Демо}", "locales: [ru, en]\ntitle: {ru: Демо}")
    codes = [(p.code, p.path) for p in instruments.check(text)]
    assert codes == [
        ("INS004", "sections[0].items[0].text.конечно"),
        ("INS010", "sections[0].items[0].text.конечно"),
    ]
    assert "quotes" in instruments.check(text)[1].message


def test_check__instrument_id_must_be_lower_case() -> None:
    text = with_items(Q1).replace("id: demo", "id: Demo")
    assert found(text) == [("INS007", "id", 1)]


def test_check__duplicate_choice_values_columns_and_codes() -> None:
    text = with_items(
        "- id: c1\n  type: single\n  text: {ru: В}\n  choices:\n"
        "    - {value: a, code: 1, label: {ru: А}}\n"
        "    - {value: a, code: 1, label: {ru: Б}}\n"
    )
    assert found(text) == [
        ("INS008", "sections[0].items[0].choices[1].value", line(text, "{value: a", 2)),
        ("INS008", "sections[0].items[0].choices[1].code", line(text, "{value: a", 2)),
    ]


def test_check__duplicate_item_in_scale() -> None:
    text = with_items(
        LIKERT5, "scales:\n  - id: sc\n    title: {ru: Ш}\n    items:\n      - L1\n      - L1\n"
    )
    assert found(text) == [("INS008", "scales[0].items[1]", line(text, "- L1", 2))]


def test_check__version_must_be_an_integer_not_text() -> None:
    for bad in ('"1"', "1.5", "-2", "true"):
        text = with_items(Q1).replace("version: 1", f"version: {bad}")
        assert found(text) == [("INS031", "version", 2)], bad


def test_check__yes_and_no_are_text_not_booleans() -> None:
    # YAML 1.1 would read `yes` as true; our loader keeps it text, so a choice can be `no`.
    text = with_items(
        "- id: c1\n  type: single\n  text: {ru: В}\n  choices:\n"
        "    - {value: yes, label: {ru: Да}}\n    - {value: no, label: {ru: Нет}}\n"
    )
    assert found(text) == []
    assert [c.value for c in instruments.load_text(text).item("c1").choices] == ["yes", "no"]


def test_check__anchors_of_a_format_checked_against_each_item() -> None:
    text = doc(
        """
        id: demo
        version: 1
        title: {ru: Демо}
        formats:
          agree:
            type: likert
            min: 1
            max: 7
            anchors: {1: {ru: нет}, 7: {ru: да}}
        sections:
          - id: s1
            title: {ru: Р}
            items:
              - id: a1
                format: agree
                text: {ru: А}
              - id: a2
                format: agree
                max: 5
                text: {ru: Б}
        """
    )
    assert found(text) == [("INS013", "sections[0].items[1].anchors[7]", line(text, "- id: a2"))]


def test_check__format_fields_must_suit_the_format_type() -> None:
    text = doc(
        """
        id: demo
        version: 1
        title: {ru: Демо}
        formats:
          yn:
            type: yes_no
            max_length: 10
        sections:
          - id: s1
            title: {ru: Р}
            items:
              - id: a1
                format: yn
                text: {ru: А}
        """
    )
    assert found(text) == [("INS034", "formats.yn.max_length", line(text, "max_length"))]


def test_check__condition_values_impossible_for_the_item() -> None:
    text = with_items(
        Q1
        + LIKERT5
        + "- id: c1\n  type: single\n  text: {ru: В}\n"
        + "  choices:\n    - {value: a, label: {ru: А}}\n"
        + "- id: x1\n  type: yes_no\n  text: {ru: Х}\n  show_if: {item: L1, eq: 6}\n"
        + "- id: x2\n  type: yes_no\n  text: {ru: Х}\n  show_if: {item: L1, gt: 5}\n"
        + "- id: x3\n  type: yes_no\n  text: {ru: Х}\n  show_if: {item: c1, in: [a, b]}\n"
        + "- id: x4\n  type: yes_no\n  text: {ru: Х}\n  show_if: {item: c1, answered: yes}\n"
        + "- id: x5\n  type: yes_no\n  text: {ru: Х}\n  show_if: {item: L1, lt: 2}\n"
    )
    assert found(text) == [
        ("INS024", "sections[0].items[3].show_if.eq", line(text, "eq: 6")),
        ("INS024", "sections[0].items[4].show_if.gt", line(text, "gt: 5")),
        ("INS024", "sections[0].items[5].show_if.in", line(text, "in: [a, b]")),
        ("INS024", "sections[0].items[6].show_if.answered", line(text, "answered: yes")),
    ]


def test_check__nested_conditions_are_checked_with_their_paths() -> None:
    text = with_items(
        Q1
        + LIKERT5
        + "  show_if:\n    any:\n      - {item: q1, eq: yes}\n      - all:\n"
        + "          - {item: q1, eq: no}\n          - {item: L9, answered: true}\n"
    )
    assert found(text) == [
        ("INS021", "sections[0].items[1].show_if.any[1].all[1].item", line(text, "L9")),
    ]


def test_check__section_condition_must_refer_to_an_earlier_section() -> None:
    text = doc(
        """
        id: demo
        version: 1
        title: {ru: Демо}
        sections:
          - id: s1
            title: {ru: Р1}
            items:
              - {id: q1, type: yes_no, text: {ru: В1}}
          - id: s2
            title: {ru: Р2}
            show_if: {item: q2, eq: yes}
            items:
              - {id: q2, type: yes_no, text: {ru: В2}}
          - id: s3
            title: {ru: Р3}
            show_if: {item: q1, eq: yes}
            items:
              - {id: q3, type: yes_no, text: {ru: В3}}
        """
    )
    assert found(text) == [("INS022", "sections[1].show_if.item", line(text, "show_if: {item: q2"))]


def test_check__combination_conditions_need_children_and_no_item() -> None:
    text = with_items(
        Q1
        + "- id: x1\n  type: yes_no\n  text: {ru: Х}\n  show_if: {all: []}\n"
        + "- id: x2\n  type: yes_no\n  text: {ru: Х}\n"
        + "  show_if: {item: q1, any: [{item: q1, eq: yes}]}\n"
        + "- id: x3\n  type: yes_no\n  text: {ru: Х}\n  show_if: {item: q1, eq: yes, ne: no}\n"
    )
    assert [c for c, _, _ in found(text)] == ["INS025", "INS025", "INS025"]


def test_check__scale_column_on_items_without_columns_does_not_apply() -> None:
    text = with_items(
        LIKERT5, "scales:\n  - id: sc\n    title: {ru: Ш}\n    column: perceived\n    items: [L1]\n"
    )
    assert found(text) == [("INS034", "scales[0].column", line(text, "column: perceived"))]


def test_check__battery_and_likert_in_one_scale_is_mixed() -> None:
    text = with_items(
        BATTERY + LIKERT5.replace("max: 5", "max: 9"),
        "scales:\n  - id: sc\n    title: {ru: Ш}\n    column: perceived\n    items: [b1, L1]\n",
    )
    assert found(text) == [("INS018", "scales[0].items", line(text, "items: [b1, L1]"))]


def test_check__rating_bounds_must_be_whole_and_not_too_many() -> None:
    text = with_items(
        "- id: L1\n  type: likert\n  min: 0.5\n  max: 5\n  text: {ru: О}\n"
        "- id: L2\n  type: likert\n  min: 0\n  max: 1000\n  text: {ru: О}\n"
    )
    assert found(text) == [
        ("INS042", "sections[0].items[0].min", line(text, "min: 0.5")),
        ("INS042", "sections[0].items[1].max", line(text, "max: 1000")),
    ]


def test_check__locale_codes_must_look_like_locales() -> None:
    text = with_items(Q1).replace("title: {ru: Демо}", "locales: [ru, english]\ntitle: {ru: Демо}")
    assert found(text) == [("INS042", "locales[1]", line(text, "locales"))]


def test_check__empty_russian_text_counts_as_missing() -> None:
    text = with_items('- id: q1\n  type: yes_no\n  text: "  "\n')
    assert found(text) == [("INS009", "sections[0].items[0].text", line(text, "text:"))]


def test_check__all_problems_are_reported_in_rule_order() -> None:
    text = doc(
        """
        id: Demo
        version: 0
        title: {ru: Демо}
        sections:
          - id: s1
            title: {ru: Р}
            items:
              - id: q1
                type: yes_no
                text: {en: Q}
                colour: red
              - id: q1
                type: likert
                min: 5
                max: 1
                text: {ru: О}
                show_if: {item: zz, eq: 1}
        """
    )
    codes = [p.code for p in instruments.check(text)]
    assert codes == ["INS005", "INS007", "INS008", "INS031", "INS010", "INS009", "INS011", "INS021"]
    # every problem names the file it came from when a filename is given
    assert {p.file for p in instruments.check(text, filename="demo.yaml")} == {"demo.yaml"}


def test_check__rules_run_in_a_fixed_documented_order() -> None:
    names = [c.__name__ for c in CHECKS]
    assert names[:3] == ["check_document", "check_duplicate_keys", "check_required_fields"]
    assert names[-1] == "check_lite"
    assert len(names) == len(set(names))


def test_problem__str_is_file_line_path_code_message() -> None:
    problem = Problem.of(
        Code.reverse_not_numeric, "items[7].scale", line=42, file="library_gap.yaml"
    )
    assert (
        str(problem)
        == "library_gap.yaml:42 items[7].scale INS012 reverse-keyed item has no numeric scale"
    )
    assert str(Problem("ANS003", "answers.q1", "needed")) == "answers.q1 ANS003 needed"
    assert str(Problem("INS001", "(document)", "bad", line=3)) == "line 3 (document) INS001 bad"


def test_codes__are_unique_and_well_formed() -> None:
    values = [c.value for c in Code]
    assert len(values) == len(set(values))
    assert all(v[:3] in ("INS", "ANS") and v[3:].isdigit() and len(v) == 6 for v in values)
    assert Code("INS012") is Code.reverse_not_numeric
    assert Code.reverse_not_numeric == "INS012"


# --- untranslated ------------------------------------------------------------------------


def test_untranslated__lists_every_text_without_english() -> None:
    text = doc(
        """
        id: demo
        version: 1
        locales: [ru, en]
        title: {ru: Демо, en: Demo}
        description: {ru: Описание}
        sections:
          - id: s1
            title: {ru: Р, en: S}
            help: Подсказка
            items:
              - id: L1
                type: likert
                min: 1
                max: 5
                text: {ru: О, en: R}
                help: {ru: П, en: H}
                anchors: {1: {ru: плохо, en: bad}, 5: {ru: хорошо}}
              - id: c1
                type: single
                text: {ru: В, en: Q}
                choices:
                  - {value: a, label: {ru: А, en: A}}
                  - {value: b, label: {ru: Б}}
              - id: b1
                type: battery
                min: 1
                max: 9
                text: {ru: Б, en: B}
                columns:
                  - {id: perceived, label: {ru: Ф}}
        scales:
          - id: sc
            title: {ru: Ш}
            items: [L1]
        """
    )
    instrument = instruments.load_text(text)
    assert instruments.untranslated(instrument) == [
        "description",
        "sections[0].help",
        "sections[0].items[0].anchors[5]",
        "sections[0].items[1].choices[1].label",
        "sections[0].items[2].columns[0].label",
        "scales[0].title",
    ]
    assert instruments.untranslated(instrument, "ru") == []


def test_check__paths_keep_the_written_index_after_a_bad_element() -> None:
    text = with_items(
        LIKERT5,
        "scales:\n  - id: sc\n    title: {ru: Ш}\n    items:\n      - L1\n      - 7\n      - L9\n"
        "    reverse:\n      - 8\n      - L7\n",
    )
    assert found(text) == [
        ("INS004", "scales[0].items[1]", line(text, "- 7")),
        ("INS004", "scales[0].reverse[0]", line(text, "- 8")),
        ("INS016", "scales[0].items[2]", line(text, "- L9")),
        ("INS035", "scales[0].reverse[1]", line(text, "- L7")),
    ]
