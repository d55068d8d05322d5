"""Validate a respondent's answers against an instrument and type them.

:func:`validate_answers` accepts JSON values (from the kiosk) or strings from an HTML
form, honours skip logic and the Lite item draw, and returns canonical
:class:`Answers` or raises :class:`~instruments.errors.InstrumentError` with every
problem found.  :func:`visible_items` tells which items the skip logic shows, and
:func:`draw_lite_items` draws a LibQUAL-Lite style item set for one respondent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
from collections.abc import Collection
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from instruments._coerce import EMPTY
from instruments._coerce import Coerced
from instruments._coerce import _Invalid
from instruments._coerce import coerce_answer
from instruments._coerce import condition_value
from instruments._coerce import evaluate
from instruments._coerce import type_name
from instruments.errors import Code
from instruments.errors import InstrumentError
from instruments.errors import Problem
from instruments.model import NUMERIC_TYPES
from instruments.model import Condition
from instruments.model import Instrument
from instruments.model import Item
from instruments.model import ItemType

__all__ = ["AnswerRow", "Answers", "draw_lite_items", "validate_answers", "visible_items"]

#: Column of the row that records a battery item's N/A.
NA_COLUMN = "na"


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One stored value of an answer (the long format the web layer persists).

    Attributes
    ----------
    item : str
        Item id.
    column : str
        Battery column id, ``"na"`` for a battery N/A, ``""`` for other items.
    number : float or None
        Numeric value: the rating, 1/0 for yes/no, the choice code (or 1.0 for a
        selected multi choice without a code); ``None`` for text.
    text : str or None
        The choice value or the free text; ``None`` for numbers.
    """

    item: str
    column: str
    number: float | None
    text: str | None


@dataclass(frozen=True)
class Answers:
    """A validated, canonical set of answers to one instrument version.

    Attributes
    ----------
    instrument_id, instrument_version, instrument_sha256
        Which instrument version the answers belong to.
    values : Mapping[str, Any]
        Canonical answers of the visible answered items, keyed by item id, in
        questionnaire order: ``int``/``float`` for numbers (integral values are
        ``int``), 1/0 for yes/no, ``str`` for single choices and text, ``list[str]`` in
        choice order for multi choices, ``{"column": int, ...}`` in column order or
        ``{"na": True}`` for batteries.  Equal answers spelled differently
        (``"5"``/``5``/``5.0``, ``"да"``/``true``) give equal values.  A plain ``dict``
        so that it serialises to JSON directly; treat it as read-only.
    rows : tuple of AnswerRow
        The same answers in long format.
    keys : tuple of str
        ``instrument.analysis_keys``: the order of :meth:`vector`.
    numbers : Mapping[str, float]
        Numeric value per analysis key that was answered.
    visible : frozenset of str
        Items shown to this respondent (skip logic and Lite draw applied).
    lite_items : frozenset of str or None
        Battery items of a Lite form, or ``None`` for the full form.
    """

    instrument_id: str
    instrument_version: int
    instrument_sha256: str
    values: Mapping[str, Any]
    rows: tuple[AnswerRow, ...]
    keys: tuple[str, ...]
    numbers: Mapping[str, float] = field(default_factory=dict)
    visible: frozenset[str] = frozenset()
    lite_items: frozenset[str] | None = None

    def vector(self) -> list[float]:
        """Numeric answers in :attr:`keys` order, NaN where there is none.

        Returns
        -------
        list of float
            One value per analysis key (battery N/A and skipped items are NaN).
        """
        return [self.numbers.get(key, math.nan) for key in self.keys]

    def canonical_json(self) -> str:
        """The canonical values as compact JSON with sorted keys (UTF-8 text kept)."""
        return json.dumps(self.values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def content_hash(self) -> str:
        """SHA-256 hex digest of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def _combine(*outcomes: bool | None) -> bool | None:
    if any(o is False for o in outcomes):
        return False
    if any(o is None for o in outcomes):
        return None
    return True


def _when(condition: Condition | None, values: Mapping[str, Any], unknown: set[str]) -> bool | None:
    return True if condition is None else evaluate(condition, values, unknown)


def _normalised(condition: Condition | None, items: Mapping[str, Item]) -> Condition | None:
    """Condition with values in canonical form (``"yes"`` -> 1 for a yes/no item ...).

    Loaded instruments already hold canonical values; this makes instruments built in
    code (tests, factories) behave the same.  A value that cannot be normalised is kept.
    """
    if condition is None:
        return None
    if condition.conditions:
        children = tuple(_normalised(c, items) for c in condition.conditions)
        return dataclasses.replace(
            condition, conditions=tuple(c for c in children if c is not None)
        )
    target = items.get(condition.item) if condition.item is not None else None
    if target is None:
        return condition
    try:
        value = condition_value(target, condition.op, _as_yaml(condition.value))
    except _Invalid:
        return condition
    return condition if value == condition.value else dataclasses.replace(condition, value=value)


def _as_yaml(value: Any) -> Any:
    # condition_value validates values as written in YAML, where ``in`` takes a list
    return list(value) if isinstance(value, tuple) else value


@dataclass
class _Walk:
    values: dict[str, Any] = field(default_factory=dict)
    visible: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def _walk(
    instrument: Instrument,
    answers: Mapping[str, Any],
    lite: frozenset[str] | None,
    *,
    strict: bool,
    complete: bool = True,
) -> _Walk:
    """Go through the items in order, deciding visibility from the answers so far.

    In strict mode an invalid answer makes the visibility of items depending on it
    unknown (so no spurious "hidden"/"required" problems follow from it); otherwise an
    invalid answer simply counts as no answer. With ``complete`` False (a partial response)
    a required item may be blank and a section's answers need not reach their total.
    """
    walk = _Walk()
    unknown: set[str] = set()
    items = {item.id: item for item in instrument.items}
    for section in instrument.sections:
        shown_section = _when(_normalised(section.show_if, items), walk.values, unknown)
        for item in section.items:
            own = _when(_normalised(item.show_if, items), walk.values, unknown)
            shown = _combine(shown_section, own)
            drawn = lite is None or item.type is not ItemType.battery or item.id in lite
            coerced = coerce_answer(item, answers[item.id]) if item.id in answers else Coerced()
            given = coerced.value is not EMPTY or bool(coerced.problems)
            if shown is False or not drawn:
                if given and strict:
                    code = Code.hidden_answered if shown is False else Code.not_in_lite
                    walk.problems.append(Problem.of(code, f"answers.{item.id}", item=item.id))
                continue
            if shown is True:
                walk.visible.add(item.id)
            if coerced.problems:
                if strict:
                    unknown.add(item.id)
                    for code, sub, context in coerced.problems:
                        walk.problems.append(Problem.of(code, f"answers.{item.id}{sub}", **context))
                continue
            if coerced.value is EMPTY:
                if shown is True and item.required and strict and complete:
                    walk.problems.append(
                        Problem.of(Code.required_missing, f"answers.{item.id}", item=item.id)
                    )
                continue
            walk.values[item.id] = coerced.value
        if strict and complete and section.sum_to is not None and shown_section is True:
            _check_sum(section.sum_to, section.id, section.items, walk, unknown)
    return walk


def _check_sum(
    total: float, section_id: str, items: tuple[Item, ...], walk: _Walk, unknown: set[str]
) -> None:
    if any(item.id in unknown for item in items):
        return
    answered = [walk.values[item.id] for item in items if item.id in walk.values]
    if not answered:
        return
    got = math.fsum(answered)
    if not math.isclose(got, total, rel_tol=1e-9, abs_tol=1e-9):
        walk.problems.append(
            Problem.of(
                Code.sum_mismatch,
                f"sections.{section_id}.sum_to",
                total=_num(got),
                expected=_num(total),
            )
        )


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _lite_set(
    instrument: Instrument, lite_items: Collection[str] | None
) -> tuple[frozenset[str] | None, list[Problem]]:
    if lite_items is None:
        return None, []
    if isinstance(lite_items, (str, bytes)):
        raise TypeError("lite_items must be a collection of item ids, not a string")
    lite = frozenset(lite_items)
    problems = [
        Problem.of(Code.lite_bad_item, "lite_items", item=item_id)
        for item_id in sorted(lite - instrument.battery_ids, key=str)
    ]
    return lite, problems


def validate_answers(
    instrument: Instrument,
    answers: Mapping[str, Any],
    *,
    lite_items: Collection[str] | None = None,
    partial: bool = False,
) -> Answers:
    """Check a respondent's answers and return them typed and canonical.

    Parameters
    ----------
    instrument : Instrument
        The instrument version that was answered.
    answers : Mapping[str, Any]
        Item id -> raw value.  JSON values or HTML-form strings are accepted:
        numbers as ``5``/``5.0``/``"5"`` (``"3,5"`` too), yes/no as
        ``1``/``0``/``true``/``false``/``"yes"``/``"no"``/``"да"``/``"нет"``, multi choices
        as a list (a single string is one choice), batteries as
        ``{"minimum": 5, "desired": 8, "perceived": 6}`` or ``{"na": true}``.
        ``None``, blank text and empty lists mean "not answered".
    lite_items : collection of str, optional
        The battery items this respondent was shown on a Lite form (see
        :func:`draw_lite_items`); other battery items must then be absent and are
        not required.  ``None`` means the full form.
    partial : bool, default False
        The respondent stopped midway (a kiosk's idle reset under a "keep" policy): required
        items may be blank and a 100-point split need not add up; every given answer is
        still checked.

    Returns
    -------
    Answers
        The canonical values, long-format rows and numeric vector.

    Raises
    ------
    InstrumentError
        With every problem (``ANS`` codes, paths like ``answers.AS1.perceived``): an
        unknown item, an answer to an item hidden by skip logic or not drawn for the
        Lite form, a required visible item left blank, a value of the wrong type,
        out of range, not a whole number, not finite, not a choice, a duplicate
        choice, text too long or with control characters, a battery with missing
        columns or N/A together with ratings, a 100-point split not adding up.
    TypeError
        If ``lite_items`` is a string.

    Notes
    -----
    Skip logic is evaluated in questionnaire order on the already validated answers:
    an item is visible when its section's and its own ``show_if`` hold.  Conditions
    on an item whose answer is invalid are undecided, so no hidden/required problem
    is reported for the items that depend on it.
    """
    if not isinstance(answers, Mapping):
        raise InstrumentError(
            [Problem.of(Code.answers_not_mapping, "answers", got=type_name(answers))]
        )
    lite, problems = _lite_set(instrument, lite_items)
    walk = _walk(instrument, answers, lite, strict=True, complete=not partial)
    problems.extend(walk.problems)
    known = {item.id for item in instrument.items}
    for key in answers:
        if key not in known:
            problems.append(Problem.of(Code.unknown_item, f"answers.{key}", item=key))
    if problems:
        raise InstrumentError(problems)
    rows, numbers = _rows(instrument, walk.values)
    return Answers(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        instrument_sha256=instrument.sha256,
        values=walk.values,
        rows=rows,
        keys=instrument.analysis_keys,
        numbers=numbers,
        visible=frozenset(walk.visible),
        lite_items=lite,
    )


def _rows(
    instrument: Instrument, values: Mapping[str, Any]
) -> tuple[tuple[AnswerRow, ...], dict[str, float]]:
    rows: list[AnswerRow] = []
    numbers: dict[str, float] = {}
    for item in instrument.items:
        if item.id not in values:
            continue
        value = values[item.id]
        if item.type is ItemType.battery:
            if value.get(NA_COLUMN) is True:
                rows.append(AnswerRow(item.id, NA_COLUMN, 1.0, None))
                continue
            for column in item.columns:
                rows.append(AnswerRow(item.id, column.id, float(value[column.id]), None))
                numbers[f"{item.id}:{column.id}"] = float(value[column.id])
        elif item.type is ItemType.multi:
            codes = {c.value: c.code for c in item.choices}
            for chosen in value:
                code = codes[chosen]
                rows.append(
                    AnswerRow(item.id, "", float(code) if code is not None else 1.0, chosen)
                )
        elif item.type is ItemType.single:
            choice = next(c for c in item.choices if c.value == value)
            code = float(choice.code) if choice.code is not None else None
            rows.append(AnswerRow(item.id, "", code, value))
            if code is not None and all(c.code is not None for c in item.choices):
                numbers[item.id] = code
        elif item.type is ItemType.text:
            rows.append(AnswerRow(item.id, "", None, value))
        elif item.type in NUMERIC_TYPES:
            rows.append(AnswerRow(item.id, "", float(value), None))
            numbers[item.id] = float(value)
    return tuple(rows), numbers


def visible_items(
    instrument: Instrument,
    answers: Mapping[str, Any],
    *,
    lite_items: Collection[str] | None = None,
) -> set[str]:
    """Ids of the items the skip logic shows, given (possibly partial) answers.

    Parameters
    ----------
    instrument : Instrument
        The instrument.
    answers : Mapping[str, Any]
        Raw or canonical answers so far; invalid answers count as not answered.
    lite_items : collection of str, optional
        Battery items drawn for a Lite form; other battery items are not visible.

    Returns
    -------
    set of str
        Visible item ids.
    """
    lite, _ = _lite_set(instrument, lite_items)
    return _walk(instrument, answers, lite, strict=False).visible


def skip_logic(instrument: Instrument) -> dict[str, frozenset[str]]:
    """Which items are asked only under a condition, and which answers decide it.

    Parameters
    ----------
    instrument : Instrument
        The instrument.

    Returns
    -------
    dict of str to frozenset of str
        For every item with a ``show_if`` of its own or of its section, in questionnaire
        order, the ids of the items whose answers decide whether it is shown: those its
        conditions read and, since a hidden answer does not count, those deciding whether
        they are shown, and so on. Every other item is asked of every respondent (Lite forms
        aside). :func:`visible_items` needs only these answers to decide an item.
    """

    def leaves(condition: Condition | None) -> set[str]:
        if condition is None:
            return set()
        found = {condition.item} if condition.item is not None else set()
        for child in condition.conditions:
            found |= leaves(child)
        return found

    direct: dict[str, set[str]] = {}
    for section in instrument.sections:
        for item in section.items:
            read = leaves(section.show_if) | leaves(item.show_if)
            if read or section.show_if is not None or item.show_if is not None:
                direct[item.id] = read
    decided: dict[str, frozenset[str]] = {}
    for item_id, read in direct.items():
        closure, todo = set(read), list(read)
        while todo:
            for further in direct.get(todo.pop(), set()) - closure:
                closure.add(further)
                todo.append(further)
        decided[item_id] = frozenset(closure)
    return decided


def draw_lite_items(
    instrument: Instrument, rng: random.Random, *, share: float | None = None
) -> frozenset[str] | None:
    """Decide whether a respondent gets the Lite form and, if so, which battery items.

    Parameters
    ----------
    instrument : Instrument
        An instrument; without a ``lite`` plan everyone gets the full form.
    rng : random.Random
        Source of randomness (seed it for reproducible draws).
    share : float, optional
        The share of Lite forms, in place of the plan's (a campaign's own share). At 0 (or
        without a plan) the full form is given without drawing from ``rng``.

    Returns
    -------
    frozenset of str or None
        ``None`` for the full form (probability ``1 - share``); otherwise the linking
        items plus, for each scale in ``random_per_scale`` (in the instrument's scale
        order), that many items drawn without replacement from the scale's items not
        already chosen, plus every battery item that belongs to none of those scales
        (the plan samples only the scales it names; other batteries are always asked).

    Notes
    -----
    One ``rng.random()`` decides the form (none when the share is 0), then ``rng.sample``
    draws per scale, so the same seed always gives the same form.  This is LibQUAL+ Lite's
    item sampling: linking items common to all respondents plus a random subset of each
    dimension.
    """
    plan = instrument.lite
    if plan is None:
        return None
    share = plan.share if share is None else share
    if share <= 0 or not rng.random() < share:
        return None
    chosen: set[str] = set(plan.linking)
    sampled: set[str] = set()
    for scale in instrument.scales:
        if scale.id not in plan.random_per_scale:
            continue
        sampled.update(scale.items)
        count = plan.random_per_scale[scale.id]
        pool = [item_id for item_id in scale.items if item_id not in chosen]
        if count > 0:
            chosen.update(rng.sample(pool, min(count, len(pool))))
    chosen.update(
        item.id
        for item in instrument.items
        if item.type is ItemType.battery and item.id not in sampled
    )
    return frozenset(chosen)
