"""Turning raw answer values into canonical typed values, item type by item type.

Shared by :mod:`instruments.answers` (respondents' answers) and :mod:`instruments.checks`
(values written in ``show_if`` conditions), so that both accept the same spellings.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from instruments.errors import Code
from instruments.model import Condition
from instruments.model import Item
from instruments.model import ItemType

#: Longest accepted free-text answer when the item sets no ``max_length``.
DEFAULT_MAX_LENGTH = 2000

#: Spellings of yes and no accepted for yes/no items (compared case-insensitively).
YES = frozenset({"1", "yes", "true", "да"})
NO = frozenset({"0", "no", "false", "нет"})
#: Spellings of a ticked / unticked N/A box of a battery item.
_NA_TRUE = YES | {"on", "y"}
_NA_FALSE = NO | {"off", "n", ""}

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")
_NON_FINITE = frozenset(
    {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
)
_SAFE_INT = 2**53


class _Empty:
    __slots__ = ()

    def __repr__(self) -> str:
        return "EMPTY"


#: Marker for "no answer given" (None, "", [], a battery with no ratings ...).
EMPTY: Any = _Empty()


@dataclass
class Coerced:
    """Outcome of coercing one raw value: a canonical value, :data:`EMPTY`, or problems."""

    value: Any = EMPTY
    #: (code, sub-path appended to the item's path, template context)
    problems: list[tuple[Code, str, dict[str, Any]]] = field(default_factory=list)

    def fail(self, code: Code, subpath: str = "", **context: Any) -> Coerced:
        """Record a problem and return self."""
        self.problems.append((code, subpath, context))
        return self


class _Invalid(Exception):
    def __init__(self, code: Code, **context: Any) -> None:
        super().__init__(code)
        self.code = code
        self.context = context


def type_name(value: Any) -> str:
    """Short English name of a value's type for messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "a list"
    return type(value).__name__


def is_blank(raw: Any) -> bool:
    """True for values that mean "not answered": None, blank text, an empty list."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip() == ""
    if isinstance(raw, (list, tuple)):
        return all(is_blank(x) for x in raw)
    return False


def canonical_number(value: float) -> int | float:
    """An integral float becomes an int so that ``5``, ``5.0`` and ``"5"`` are equal in JSON."""
    if isinstance(value, int):
        return value
    if value.is_integer() and abs(value) < _SAFE_INT:
        return int(value)
    return value


def to_number(raw: Any) -> int | float:
    """Parse a number from a JSON number or a form string (``"3,5"`` is accepted).

    Raises ``_Invalid`` with ``answer_wrong_type`` or ``not_finite``.
    """
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise _Invalid(Code.answer_wrong_type, expected="a number", got=type_name(raw))
    if isinstance(raw, str):
        text = raw.strip().replace("\u2212", "-")
        if text.lower() in _NON_FINITE:
            raise _Invalid(Code.not_finite, value=raw)
        if not _NUMBER.match(text):
            raise _Invalid(Code.answer_wrong_type, expected="a number", got=repr(raw))
        text = text.replace(",", ".")
        number: int | float
        number = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
        if isinstance(number, float) and not math.isfinite(number):
            raise _Invalid(Code.not_finite, value=raw)
        return canonical_number(number)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise _Invalid(Code.not_finite, value=raw)
    return canonical_number(raw)


def _fmt(x: float | None) -> str:
    if x is None:
        return "…"
    return str(canonical_number(x))


def to_bounded(raw: Any, lo: float | None, hi: float | None, *, integer: bool) -> int | float:
    """Parse a number, require a whole number if ``integer``, and check ``lo..hi``."""
    number = to_number(raw)
    if integer and not isinstance(number, int):
        raise _Invalid(Code.not_integer, value=raw)
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise _Invalid(Code.out_of_range, value=number, min=_fmt(lo), max=_fmt(hi))
    return number


def to_yes_no(raw: Any) -> int:
    """1 for yes, 0 for no; accepts booleans, 1/0 and yes/no/да/нет/true/false."""
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in YES:
            return 1
        if text in NO:
            return 0
        raise _Invalid(Code.not_allowed, value=raw, allowed="yes, no")
    if isinstance(raw, (int, float)):
        raise _Invalid(Code.not_allowed, value=raw, allowed="yes, no")
    raise _Invalid(Code.answer_wrong_type, expected="yes or no", got=type_name(raw))


def to_choice(item: Item, raw: Any) -> str:
    """The value of one of the item's choices (an int is read as its text)."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise _Invalid(Code.answer_wrong_type, expected="a choice value", got=type_name(raw))
    text = raw.strip() if isinstance(raw, str) else str(raw)
    for choice in item.choices:
        if choice.value == text:
            return text
    raise _Invalid(Code.not_allowed, value=raw, allowed=", ".join(c.value for c in item.choices))


def numeric_range(item: Item) -> tuple[float, float] | None:
    """The closed range of a numeric item's answers, or None when unbounded/non-numeric."""
    kind = item.type
    if kind is ItemType.nps:
        return (0.0, 10.0)
    if kind is ItemType.smiley:
        return (1.0, 4.0)
    if kind is ItemType.yes_no:
        return (0.0, 1.0)
    if kind in (ItemType.likert, ItemType.battery, ItemType.number):
        if item.min is None or item.max is None:
            return None
        return (float(item.min), float(item.max))
    if kind is ItemType.single and item.choices and all(c.code is not None for c in item.choices):
        codes = [float(c.code) for c in item.choices if c.code is not None]
        return (min(codes), max(codes))
    return None


def _rating(item: Item, raw: Any) -> int:
    bounds = numeric_range(item)
    lo, hi = bounds if bounds is not None else (None, None)
    return int(to_bounded(raw, lo, hi, integer=True))


def coerce_answer(item: Item, raw: Any) -> Coerced:
    """Coerce one raw answer for ``item``.

    Returns a :class:`Coerced` whose ``value`` is the canonical value (or
    :data:`EMPTY` when nothing was answered) and whose ``problems`` list what is wrong.
    """
    result = Coerced()
    kind = item.type
    if kind is ItemType.battery:
        return _coerce_battery(item, raw, result)
    if kind is ItemType.multi:
        return _coerce_multi(item, raw, result)
    if is_blank(raw):
        return result
    try:
        if kind in (ItemType.likert, ItemType.nps, ItemType.smiley):
            result.value = _rating(item, raw)
        elif kind is ItemType.number:
            result.value = to_bounded(raw, item.min, item.max, integer=item.integer)
        elif kind is ItemType.yes_no:
            result.value = to_yes_no(raw)
        elif kind is ItemType.single:
            result.value = to_choice(item, raw)
        elif kind is ItemType.text:
            return _coerce_text(item, raw, result)
        else:  # pragma: no cover - every ItemType is handled above
            raise TypeError(f"unsupported item type {kind!r}")
    except _Invalid as exc:
        result.fail(exc.code, **exc.context)
    return result


def _coerce_text(item: Item, raw: Any, result: Coerced) -> Coerced:
    if not isinstance(raw, str):
        return result.fail(Code.answer_wrong_type, expected="text", got=type_name(raw))
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        return result.fail(Code.control_characters)
    limit = item.max_length if item.max_length is not None else DEFAULT_MAX_LENGTH
    if len(text) > limit:
        return result.fail(Code.text_too_long, length=len(text), limit=limit)
    result.value = text
    return result


def _coerce_multi(item: Item, raw: Any, result: Coerced) -> Coerced:
    if raw is None:
        return result
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        return result.fail(Code.answer_wrong_type, expected="a list of choices", got=type_name(raw))
    chosen: set[str] = set()
    for index, element in enumerate(raw):
        if isinstance(element, str) and element.strip() == "":
            continue
        try:
            value = to_choice(item, element)
        except _Invalid as exc:
            result.fail(exc.code, f"[{index}]", **exc.context)
            continue
        if value in chosen:
            result.fail(Code.duplicate_choice, f"[{index}]", value=value)
        chosen.add(value)
    if not result.problems and chosen:
        result.value = [c.value for c in item.choices if c.value in chosen]
    return result


def _na_flag(raw: Any) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _NA_TRUE:
            return True
        if text in _NA_FALSE:
            return False
    return None


def _coerce_battery(item: Item, raw: Any, result: Coerced) -> Coerced:
    if raw is None:
        return result
    if not isinstance(raw, Mapping):
        return result.fail(
            Code.answer_wrong_type, expected="a mapping of column to rating", got=type_name(raw)
        )
    column_ids = [c.id for c in item.columns]
    na = False
    for key in raw:
        if key == "na":
            flag = _na_flag(raw[key])
            if flag is None:
                result.fail(
                    Code.answer_wrong_type, ".na", expected="true or false", got=repr(raw[key])
                )
            else:
                na = flag
        elif key not in column_ids:
            result.fail(
                Code.battery_unknown_column, f".{key}", column=key, columns=", ".join(column_ids)
            )
    ratings: dict[str, int] = {}
    given = [c for c in column_ids if c in raw and not is_blank(raw[c])]
    for column in given:
        try:
            ratings[column] = _rating(item, raw[column])
        except _Invalid as exc:
            result.fail(exc.code, f".{column}", **exc.context)
    if na:
        if not item.na_allowed:
            return result.fail(Code.na_not_allowed, item=item.id)
        if given:
            return result.fail(Code.battery_na_and_columns)
        if not result.problems:
            result.value = {"na": True}
        return result
    if result.problems or not given:
        return result
    missing = [c for c in column_ids if c not in given]
    if missing:
        return result.fail(Code.battery_incomplete, missing=", ".join(missing))
    result.value = {c: ratings[c] for c in column_ids}
    return result


# --- show_if ---------------------------------------------------------------------------

#: Operators each item type supports in show_if leaves.
OPERATORS: Mapping[ItemType, frozenset[str]] = {
    ItemType.likert: frozenset({"eq", "ne", "in", "gt", "lt", "answered"}),
    ItemType.nps: frozenset({"eq", "ne", "in", "gt", "lt", "answered"}),
    ItemType.smiley: frozenset({"eq", "ne", "in", "gt", "lt", "answered"}),
    ItemType.number: frozenset({"eq", "ne", "in", "gt", "lt", "answered"}),
    ItemType.yes_no: frozenset({"eq", "ne", "in", "answered"}),
    ItemType.single: frozenset({"eq", "ne", "in", "answered"}),
    ItemType.multi: frozenset({"eq", "ne", "in", "answered"}),
    ItemType.text: frozenset({"answered"}),
    ItemType.battery: frozenset({"answered"}),
}

LEAF_OPS = ("eq", "ne", "in", "answered", "gt", "lt")


def condition_value(item: Item, op: str, raw: Any) -> Any:
    """Normalise the value of a show_if leaf for ``item``.

    Returns the canonical value (a tuple for ``in``); raises ``_Invalid`` whose
    context carries a ``reason``.
    """
    if op == "answered":
        if not isinstance(raw, bool):
            raise _Invalid(Code.condition_bad_value, reason="'answered' takes true or false")
        return raw
    if op == "in":
        if not isinstance(raw, list) or not raw:
            raise _Invalid(Code.condition_bad_value, reason="'in' takes a non-empty list")
        return tuple(condition_value(item, "eq", element) for element in raw)
    if op in ("gt", "lt"):
        bounds = numeric_range(item)
        if isinstance(raw, (str, bool)) or not isinstance(raw, (int, float)):
            raise _Invalid(Code.condition_bad_value, reason="a number is needed")
        try:
            number = to_number(raw)
        except _Invalid:
            raise _Invalid(Code.condition_bad_value, reason="a finite number is needed") from None
        if bounds is not None:
            lo, hi = bounds
            if (op == "gt" and number >= hi) or (op == "lt" and number <= lo):
                raise _Invalid(
                    Code.condition_bad_value, reason=f"never true within {_fmt(lo)}..{_fmt(hi)}"
                )
        return number
    try:
        if item.type is ItemType.yes_no:
            return to_yes_no(raw)
        if item.type in (ItemType.single, ItemType.multi):
            if not isinstance(raw, str):
                raise _Invalid(Code.condition_bad_value, reason="a choice value is needed")
            return to_choice(item, raw)
        if item.type in (ItemType.likert, ItemType.nps, ItemType.smiley):
            return _rating(item, raw)
        if item.type is ItemType.number:
            return to_bounded(raw, item.min, item.max, integer=item.integer)
    except _Invalid as exc:
        reason = {
            Code.not_allowed: "not one of the item's values",
            Code.out_of_range: "outside the item's range",
            Code.not_integer: "not a whole number",
        }.get(exc.code, "wrong kind of value")
        raise _Invalid(Code.condition_bad_value, reason=reason) from None
    raise _Invalid(Code.condition_bad_value, reason="no value applies")


def evaluate(
    condition: Condition, values: Mapping[str, Any], unknown: Sequence[str] | set[str] = ()
) -> bool | None:
    """Evaluate ``condition`` against canonical answers.

    Parameters
    ----------
    condition : Condition
        A leaf or an all/any combination with normalised values.
    values : Mapping
        Canonical answers of visible, answered items.
    unknown : collection of str
        Items whose answer was invalid: a leaf on them evaluates to ``None``.

    Returns
    -------
    bool or None
        ``None`` when the outcome depends on an invalid answer.
    """
    if condition.op in ("all", "any"):
        outcomes = [evaluate(c, values, unknown) for c in condition.conditions]
        if condition.op == "all":
            if any(o is False for o in outcomes):
                return False
            return None if any(o is None for o in outcomes) else True
        if any(o is True for o in outcomes):
            return True
        return None if any(o is None for o in outcomes) else False
    item = condition.item
    if item is None:
        return False
    if item in unknown:
        return None
    if condition.op == "answered":
        return (item in values) == bool(condition.value)
    if item not in values:
        return False
    value = values[item]
    target = condition.value
    if isinstance(value, list):  # multi: membership
        if condition.op == "eq":
            return target in value
        if condition.op == "ne":
            return target not in value
        if condition.op == "in":
            return any(t in value for t in target)
        return False
    if condition.op == "eq":
        return bool(value == target)
    if condition.op == "ne":
        return bool(value != target)
    if condition.op == "in":
        return value in target
    if isinstance(value, (int, float)) and isinstance(target, (int, float)):
        if condition.op == "gt":
            return value > target
        if condition.op == "lt":
            return value < target
    return False


def cell_number(raw: str, item_type: ItemType | None = None) -> int | float | None:
    """The number one cell of the wide format holds, read as ``import responses`` reads it.

    An empty cell is ``None`` (no answer; there is no other missing-value code). A yes/no item
    takes 1/0, yes/no, да/нет, true/false (:func:`to_yes_no`); the other numeric types take a
    number, with a decimal point or comma (:func:`to_number`). With ``item_type=None`` (a
    plain table, no instrument) either is accepted.

    Raises
    ------
    ValueError
        With a message naming the value, e.g. ``'NA' is not a number``.
    """
    if is_blank(raw):
        return None
    text = raw.strip()
    try:
        if item_type is ItemType.yes_no:
            return to_yes_no(text)
        if item_type is None and text.lower() in YES | NO:
            return to_yes_no(text)
        return to_number(text)
    except _Invalid as exc:
        expected = "yes or no" if item_type is ItemType.yes_no else "a number"
        if item_type is None:
            expected = "a number or yes/no"
        hint = ""
        if text.upper() in ("N/A", "NAN", "NULL", "-", "Н/Д"):
            hint = " (leave the cell empty for no answer; see docs/data-format.md)"
        raise ValueError(f"{raw!r} is not {expected}{hint}") from exc
