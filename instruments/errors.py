"""Stable problem codes, the :class:`Problem` record and :class:`InstrumentError`.

Every problem found in an instrument file (``INSnnn``) or in a set of answers
(``ANSnnn``) carries a stable code, a path into the document and a message built
from the code's template.  Codes are never renumbered or reused: tests, logs and
the web layer may rely on them.  Messages are English and may be reworded.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import Any

__all__ = ["FOLLOW_ON_CODES", "Code", "InstrumentError", "Problem", "first_problems"]


class _TemplateCode(StrEnum):
    """Base of the problem-code catalogues: each member is ``code, message template``.

    It has no members itself (an enum with members cannot be subclassed);
    :class:`Code` and :class:`instruments.xlsform.XlsCode` add theirs.
    """

    template: str

    def __new__(cls, code: str, template: str) -> _TemplateCode:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.template = template
        return obj


class Code(_TemplateCode):
    """Catalogue of problem codes; the value is the code, ``.template`` the message.

    The member names say what is wrong (``Code.missing_field``); the values are the
    stable codes (``"INS003"``).  ``INS`` codes concern instrument definitions,
    ``ANS`` codes concern a respondent's answers.
    """

    def format(self, **context: Any) -> str:  # type: ignore[override]
        """Return the message template filled with ``context``.

        Parameters
        ----------
        **context
            Values for the ``{placeholders}`` of the template.  A missing
            placeholder is left visible rather than raising.

        Returns
        -------
        str
            The message.
        """
        return self.template.format_map(_Lenient(context))

    # --- instrument files -------------------------------------------------------------
    syntax = "INS001", "cannot read the file: {detail}"
    not_a_mapping = "INS002", "the document must be a mapping of fields, got {got}"
    missing_field = "INS003", "required field {field!r} is missing"
    wrong_type = "INS004", "{field!r} must be {expected}, got {got}"
    unknown_field = "INS005", "unknown field {field!r}{hint}"
    unknown_item_type = "INS006", "unknown item type {type!r}; expected one of: {expected}"
    bad_id = "INS007", "{kind} {id!r} is not a valid identifier: {rule}"
    duplicate_id = "INS008", "duplicate {kind} {id!r} (first defined on line {first})"
    missing_russian = "INS009", "text has no Russian ('ru') version"
    undeclared_locale = (
        "INS010",
        "locale {locale!r} is not declared in 'locales' ({declared}){hint}",
    )
    bad_range = "INS011", "min ({min}) must be less than max ({max})"
    reverse_not_numeric = "INS012", "reverse-keyed item has no numeric scale"
    anchor_out_of_range = "INS013", "anchor {point} lies outside the range {min}..{max}"
    no_choices = "INS014", "a {type} item needs at least one choice"
    no_columns = "INS015", "a battery item needs at least one column"
    scale_unknown_item = "INS016", "scale refers to unknown item {item!r}"
    scale_item_not_numeric = "INS017", "item {item!r} ({type}) cannot be scored in a scale"
    scale_mixed = "INS018", "scale mixes items with different ranges or kinds: {detail}"
    scale_without_column = "INS019", "scale of battery items must name the scored 'column'"
    scale_unknown_column = "INS020", "item {item!r} has no column {column!r}"
    condition_unknown_item = "INS021", "show_if refers to unknown item {item!r}"
    condition_later_item = "INS022", "show_if refers to item {item!r}, which comes later"
    condition_self = "INS023", "show_if of {item!r} refers to the item itself"
    condition_bad_value = (
        "INS024",
        "show_if value {value!r} is impossible for item {item!r}: {reason}",
    )
    condition_malformed = (
        "INS025",
        "a condition needs 'item' with exactly one of {ops}, or 'all'/'any': {detail}",
    )
    condition_bad_op = "INS026", "operator {op!r} cannot be used with a {type} item"
    lite_unknown_item = "INS027", "lite plan refers to unknown item {item!r}"
    lite_bad_share = "INS028", "lite share must lie between 0 and 1, got {share}"
    lite_unknown_scale = "INS029", "lite plan refers to unknown scale {scale!r}"
    lite_bad_count = (
        "INS030",
        "cannot draw {count} items from scale {scale!r}: {available} available",
    )
    bad_version = "INS031", "version must be a positive integer, got {got}"
    file_name_mismatch = (
        "INS032",
        "file {name!r} should be named {expected!r} after its id and version",
    )
    unknown_format = "INS033", "unknown format {format!r}; defined formats: {defined}"
    not_applicable = "INS034", "field {field!r} does not apply to a {type} item"
    reverse_not_in_scale = "INS035", "reverse-keyed item {item!r} is not one of the scale's items"
    empty = "INS036", "{field!r} must not be empty"
    no_russian_locale = "INS037", "'locales' must include 'ru'"
    bad_sum_to = "INS038", "sum_to applies only to sections whose items are all number items"
    partial_codes = "INS039", "either every choice has a numeric code or none has"
    lite_not_battery = "INS040", "lite plan item {item!r} is not a battery item"
    duplicate_key = "INS041", "key {key!r} appears twice in this mapping (first on line {first})"
    bad_value = "INS042", "{field!r} {reason}"
    reserved_id = "INS043", "{kind} {id!r} is reserved"

    # --- answers ------------------------------------------------------------------------
    unknown_item = "ANS001", "no item {item!r} in this instrument"
    hidden_answered = "ANS002", "item {item!r} is hidden by skip logic and must not be answered"
    required_missing = "ANS003", "item {item!r} requires an answer"
    answer_wrong_type = "ANS004", "expected {expected}, got {got}"
    not_finite = "ANS005", "{value!r} is not a finite number"
    out_of_range = "ANS006", "{value} lies outside {min}..{max}"
    not_integer = "ANS007", "{value!r} is not a whole number"
    not_allowed = "ANS008", "{value!r} is not one of: {allowed}"
    duplicate_choice = "ANS009", "choice {value!r} is selected twice"
    text_too_long = "ANS010", "text has {length} characters; at most {limit} allowed"
    battery_incomplete = "ANS011", "rate every column ({missing} missing) or mark N/A"
    battery_na_and_columns = "ANS012", "N/A was marked together with ratings"
    battery_unknown_column = "ANS013", "no column {column!r}; columns: {columns}"
    sum_mismatch = "ANS014", "the answers add up to {total}; they must add up to {expected}"
    not_in_lite = "ANS015", "item {item!r} was not drawn for this Lite form"
    lite_bad_item = "ANS016", "lite_items names {item!r}, which is not a battery item"
    answers_not_mapping = "ANS017", "answers must be a mapping of item id to value, got {got}"
    na_not_allowed = "ANS018", "item {item!r} has no N/A option"
    control_characters = "ANS019", "text contains control characters"


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Problem:
    """One problem in an instrument file or in a set of answers.

    Attributes
    ----------
    code : str
        Stable code such as ``"INS012"`` (a :class:`Code` member, which is a ``str``).
    path : str
        Where the problem is: ``sections[1].items[3].min`` in a file,
        ``answers.AS1.perceived`` in answers.
    message : str
        Human-readable explanation (English; do not match on it).
    line : int or None
        1-based line in the source file, when known.
    file : str or None
        Name of the source file, when known.
    context : Mapping
        The values the message template was filled with (so that a user interface can
        fill a translated template instead); not part of equality.
    """

    code: str
    path: str
    message: str
    line: int | None = None
    file: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __str__(self) -> str:
        """Format as ``file:line path code message`` (missing parts are left out)."""
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        return " ".join(part for part in (where, self.path, str(self.code), self.message) if part)

    @classmethod
    def of(
        cls,
        code: Code,
        path: str,
        *,
        line: int | None = None,
        file: str | None = None,
        **context: Any,
    ) -> Problem:
        """Build a problem whose message is ``code``'s template filled with ``context``.

        Parameters
        ----------
        code : Code
            The problem code.
        path : str
            Where the problem is.
        line, file : optional
            Source location.
        **context
            Values for the message template.

        Returns
        -------
        Problem
        """
        return cls(
            code=code,
            path=path,
            message=code.format(**context),
            line=line,
            file=file,
            context=dict(context),
        )


class InstrumentError(ValueError):
    """Raised with *all* problems found in an instrument or a set of answers.

    Attributes
    ----------
    problems : tuple of Problem
        Every problem found, in a stable order.
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("InstrumentError needs at least one problem")
        super().__init__(self._summary())

    def _summary(self) -> str:
        lines = [str(p) for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"... and {len(self.problems) - 20} more")
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        return f"{count} {noun}:\n" + "\n".join(lines)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all problems, in order."""
        return tuple(str(p.code) for p in self.problems)


#: cross-reference checks (scales, conditions, lite plans, anchors, reverse keying) that an
#: earlier mistake in a definition usually sets off: a misspelt format or a wrong ``max``
#: makes every item of a scale "not scorable"
FOLLOW_ON_CODES = frozenset(
    {
        "INS012",
        "INS013",
        "INS016",
        "INS017",
        "INS018",
        "INS019",
        "INS020",
        "INS021",
        "INS022",
        "INS024",
        "INS026",
        "INS027",
        "INS029",
        "INS030",
        "INS035",
        "INS040",
    }
)


def first_problems(problems: Iterable[Problem]) -> tuple[list[Problem], int]:
    """The problems to show first, and how many follow-on problems were held back.

    When a file has problems in its definitions, the cross-reference problems
    (:data:`FOLLOW_ON_CODES`) are held back: they are usually caused by those.  The same
    code with the same message at several places is shown once, naming the other lines.
    """
    problems = list(problems)
    primary = [p for p in problems if str(p.code) not in FOLLOW_ON_CODES]
    shown = primary or problems
    held_back = len(problems) - len(shown)
    merged: dict[tuple[str, str, str | None], list[Problem]] = {}
    for problem in shown:
        merged.setdefault((str(problem.code), problem.message, problem.file), []).append(problem)
    result = []
    for group in merged.values():
        first = group[0]
        lines = [str(p.line) for p in group[1:] if p.line is not None]
        if lines:
            first = Problem(
                first.code,
                first.path,
                f"{first.message} (also on lines {', '.join(lines)})",
                first.line,
                first.file,
                first.context,
            )
        result.append(first)
    return result, held_back
