"""Problem messages of instruments and answers in the reader's language.

``instruments`` writes English messages (it knows no Flask); each :class:`~instruments.Problem`
also carries its code and the values its template was filled with.  Here every code's
template is a gettext message, so staff pages can show the problem in Russian, with the
stable code unchanged.  :func:`problem_message` falls back to the English message when a
code is unknown or the problem carries no values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Mark ``message`` for translation without translating it here."""
    return message


#: the English template of every code, exactly as instruments/errors.py and xlsform.py
#: write it (a test keeps them equal); translated with gettext when shown
TEMPLATES: dict[str, str] = {
    "INS001": N_("cannot read the file: {detail}"),
    "INS002": N_("the document must be a mapping of fields, got {got}"),
    "INS003": N_("required field {field!r} is missing"),
    "INS004": N_("{field!r} must be {expected}, got {got}"),
    "INS005": N_("unknown field {field!r}{hint}"),
    "INS006": N_("unknown item type {type!r}; expected one of: {expected}"),
    "INS007": N_("{kind} {id!r} is not a valid identifier: {rule}"),
    "INS008": N_("duplicate {kind} {id!r} (first defined on line {first})"),
    "INS009": N_("text has no Russian ('ru') version"),
    "INS010": N_("locale {locale!r} is not declared in 'locales' ({declared}){hint}"),
    "INS011": N_("min ({min}) must be less than max ({max})"),
    "INS012": N_("reverse-keyed item has no numeric scale"),
    "INS013": N_("anchor {point} lies outside the range {min}..{max}"),
    "INS014": N_("a {type} item needs at least one choice"),
    "INS015": N_("a battery item needs at least one column"),
    "INS016": N_("scale refers to unknown item {item!r}"),
    "INS017": N_("item {item!r} ({type}) cannot be scored in a scale"),
    "INS018": N_("scale mixes items with different ranges or kinds: {detail}"),
    "INS019": N_("scale of battery items must name the scored 'column'"),
    "INS020": N_("item {item!r} has no column {column!r}"),
    "INS021": N_("show_if refers to unknown item {item!r}"),
    "INS022": N_("show_if refers to item {item!r}, which comes later"),
    "INS023": N_("show_if of {item!r} refers to the item itself"),
    "INS024": N_("show_if value {value!r} is impossible for item {item!r}: {reason}"),
    "INS025": N_("a condition needs 'item' with exactly one of {ops}, or 'all'/'any': {detail}"),
    "INS026": N_("operator {op!r} cannot be used with a {type} item"),
    "INS027": N_("lite plan refers to unknown item {item!r}"),
    "INS028": N_("lite share must lie between 0 and 1, got {share}"),
    "INS029": N_("lite plan refers to unknown scale {scale!r}"),
    "INS030": N_("cannot draw {count} items from scale {scale!r}: {available} available"),
    "INS031": N_("version must be a positive integer, got {got}"),
    "INS032": N_("file {name!r} should be named {expected!r} after its id and version"),
    "INS033": N_("unknown format {format!r}; defined formats: {defined}"),
    "INS034": N_("field {field!r} does not apply to a {type} item"),
    "INS035": N_("reverse-keyed item {item!r} is not one of the scale's items"),
    "INS036": N_("{field!r} must not be empty"),
    "INS037": N_("'locales' must include 'ru'"),
    "INS038": N_("sum_to applies only to sections whose items are all number items"),
    "INS039": N_("either every choice has a numeric code or none has"),
    "INS040": N_("lite plan item {item!r} is not a battery item"),
    "INS041": N_("key {key!r} appears twice in this mapping (first on line {first})"),
    "INS042": N_("{field!r} {reason}"),
    "INS043": N_("{kind} {id!r} is reserved"),
    "ANS001": N_("no item {item!r} in this instrument"),
    "ANS002": N_("item {item!r} is hidden by skip logic and must not be answered"),
    "ANS003": N_("item {item!r} requires an answer"),
    "ANS004": N_("expected {expected}, got {got}"),
    "ANS005": N_("{value!r} is not a finite number"),
    "ANS006": N_("{value} lies outside {min}..{max}"),
    "ANS007": N_("{value!r} is not a whole number"),
    "ANS008": N_("{value!r} is not one of: {allowed}"),
    "ANS009": N_("choice {value!r} is selected twice"),
    "ANS010": N_("text has {length} characters; at most {limit} allowed"),
    "ANS011": N_("rate every column ({missing} missing) or mark N/A"),
    "ANS012": N_("N/A was marked together with ratings"),
    "ANS013": N_("no column {column!r}; columns: {columns}"),
    "ANS014": N_("the answers add up to {total}; they must add up to {expected}"),
    "ANS015": N_("item {item!r} was not drawn for this Lite form"),
    "ANS016": N_("lite_items names {item!r}, which is not a battery item"),
    "ANS017": N_("answers must be a mapping of item id to value, got {got}"),
    "ANS018": N_("item {item!r} has no N/A option"),
    "ANS019": N_("text contains control characters"),
    "XLS001": N_("cannot read the workbook: {detail}"),
    "XLS002": N_("the workbook has no {sheet!r} sheet"),
    "XLS003": N_("the {sheet!r} sheet has no {column!r} column"),
    "XLS004": N_(
        "cannot tell the language code of column {column!r}; write it like 'label::Russian (ru)'"
    ),
    "XLS005": N_("question type {type!r} cannot be mapped: {reason}"),
    "XLS006": N_("choice list {list!r} is not on the choices sheet"),
    "XLS007": N_("cannot map relevant {expression!r}: {reason}"),
    "XLS008": N_("cannot map constraint {expression!r}: {reason}"),
    "XLS009": N_("required must be yes or no, got {value!r}"),
    "XLS010": N_("column {column!r} is not supported (value {value!r})"),
    "XLS011": N_("{reason}"),
    "XLS012": N_("setting {setting!r} {reason}"),
    "XLS013": N_("{column!r} must not be empty"),
    "XLS014": N_("columns {column!r} and {other!r} both give {locale!r} texts; keep one of them"),
    "XLS015": N_("a note must be followed by a question of the same group"),
    "XLS016": N_("range parameters {value!r} cannot be mapped: {reason}"),
}

#: fixed English words the instruments package fills into templates (types, kinds, rules)
PHRASES: frozenset[str] = frozenset(
    {
        N_("nothing"),
        N_("true/false"),
        N_("a boolean"),
        N_("an integer"),
        N_("a number"),
        N_("text"),
        N_("a mapping"),
        N_("a list"),
        N_("a choice value"),
        N_("a list of choices"),
        N_("a mapping of column to rating"),
        N_("an identifier (text)"),
        N_("true or false"),
        N_("whole-number scale points"),
        N_("yes or no"),
        N_("instrument id"),
        N_("format name"),
        N_("section id"),
        N_("item id"),
        N_("scale id"),
        N_("column id"),
        N_("choice value"),
        N_("scale item"),
        N_("lower-case Latin letters, digits and '_', starting with a letter, at most 40"),
        N_("Latin letters, digits and '_', starting with a letter, at most 40"),
        N_("Latin letters, digits, '_' and '-', at most 40"),
        N_(
            "; a comma inside {ru: ..., en: ...} ends the text there: put the text in quotes"
            " or on its own line"
        ),
    }
)

_DID_YOU_MEAN = re.compile(r"^; did you mean (?P<name>'.*')\?$")


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _value(value: Any) -> Any:
    if isinstance(value, str):
        if value in PHRASES:
            return gettext(value)
        if match := _DID_YOU_MEAN.match(value):
            return gettext("; did you mean %(name)s?", name=match["name"])
    return value


def problem_message(code: str, message: str, context: Mapping[str, Any] | None) -> str:
    """The message of problem ``code`` in the current language (``message`` as fallback)."""
    template = TEMPLATES.get(str(code))
    if template is None or (context is None and "{" in template):
        return message
    values = _Lenient({key: _value(value) for key, value in (context or {}).items()})
    try:
        return gettext(template).format_map(values)
    except (ValueError, IndexError, KeyError, AttributeError):  # a broken translation
        return message
