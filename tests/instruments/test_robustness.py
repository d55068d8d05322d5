"""Hostile input never crashes the package (issue 2 §2-§3, "collect problems").

Covers: ``check``/``load_text`` on arbitrary YAML-shaped data and on random edits of a
real definition report problems (or load) but never raise anything else;
``validate_answers`` on arbitrary JSON-like answers returns or raises
``InstrumentError`` only; the package imports nothing outside stdlib and PyYAML.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import yaml
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import instruments
from instruments import InstrumentError

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 120),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "yes", "no", "да", "1", "3,5", "nan", "AS1", "q1", "perceived", "na"]),
    st.text(max_size=8),
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)

BUNDLED = instruments.load_all()
#: A small definition using every feature, to damage at random.
BASE = """
id: demo
version: 1
locales: [ru, en]
title: {ru: Демо, en: Demo}
formats:
  gap: {type: battery, min: 1, max: 9, na_allowed: true, columns: [{id: perceived, label: {ru: Ф}}]}
sections:
  - id: s1
    title: {ru: Р}
    items:
      - {id: q1, type: yes_no, text: {ru: В}}
      - {id: q2, type: likert, min: 1, max: 5, anchors: {1: {ru: a}}, text: {ru: Л},
         show_if: {any: [{item: q1, eq: yes}, {item: q1, answered: false}]}}
      - {id: c1, type: multi, text: {ru: М}, choices: [{value: a, code: 1, label: {ru: А}}]}
      - {id: AS1, format: gap, text: {ru: Б1}}
      - {id: AS2, format: gap, text: {ru: Б2}}
  - id: s2
    title: {ru: Р2}
    sum_to: 10
    show_if: {item: q2, gt: 2}
    items:
      - {id: n1, type: number, min: 0, max: 10, text: {ru: Ч}}
scales:
  - {id: sc, title: {ru: Ш}, column: perceived, items: [AS1, AS2], reverse: [AS2]}
lite: {share: 0.5, linking: [AS1], random_per_scale: {sc: 1}}
"""
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
KEYS = [
    "id",
    "type",
    "min",
    "max",
    "text",
    "show_if",
    "items",
    "columns",
    "choices",
    "scales",
    "lite",
    "format",
]


@SETTINGS
@given(json_like)
def test_check__never_crashes_on_arbitrary_documents(data: Any) -> None:
    text = yaml.dump(data, Dumper=DUMPER, allow_unicode=True)
    problems = instruments.check(text)
    assert all(p.code.startswith("INS") for p in problems)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(KEYS), json_like), max_size=4))
def test_check__never_crashes_on_damaged_definitions(edits: list[tuple[int, str, Any]]) -> None:
    assert edits == [] or instruments.check(BASE) == []  # the undamaged base is valid
    document = yaml.safe_load(BASE)
    for where, key, value in edits:
        # walk to a pseudo-random mapping inside the document and overwrite one key
        nodes: list[dict[str, Any]] = []
        stack: list[Any] = [document]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                nodes.append(node)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        nodes[where % len(nodes)][key] = value
    text = yaml.dump(document, Dumper=DUMPER, allow_unicode=True)
    try:
        instruments.load_text(text)
    except InstrumentError as exc:
        assert all(p.code.startswith("INS") for p in exc.problems)


@SETTINGS
@given(
    st.sampled_from(sorted(BUNDLED)),
    st.dictionaries(
        st.sampled_from(
            [*KEYS, "q1", "q2", "AS1", "GS1", "mood", "topic", "nps", "comment", "w_empathy"]
        ),
        json_like,
        max_size=6,
    ),
)
def test_validate__never_crashes_on_arbitrary_answers(
    key: tuple[str, int], answers: dict[str, Any]
) -> None:
    instrument = BUNDLED[key]
    try:
        result = instruments.validate_answers(instrument, answers)
    except InstrumentError as exc:
        assert all(p.code.startswith("ANS") for p in exc.problems)
    else:
        assert len(result.vector()) == len(instrument.analysis_keys)
    assert instruments.visible_items(instrument, answers) <= {i.id for i in instrument.items}


def test_package__imports_only_stdlib_and_yaml() -> None:
    code = (
        "import sys, instruments; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'wtforms', 'sqlalchemy', 'alembic', 'survey_app', 'analysis', 'kiosk', "
        "'numpy', 'pandas'}); "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
