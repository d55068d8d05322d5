"""Convert an XLSForm workbook (``.xlsx``) into our instrument format.

XLSForm is the spreadsheet format of ODK, KoboToolbox and Enketo (a ``survey`` sheet,
a ``choices`` sheet and an optional ``settings`` sheet).  Methodologists often have
questionnaires in that shape already; :func:`convert` turns one into the raw mapping of
an instrument definition (and its YAML text) and reports, with the sheet and row, every
part that has no equivalent in our format.  :func:`load_xlsform` goes one step further
and loads the result with :func:`instruments.load_text`, translating the loader's
problems back to the sheet row they came from.

What is mapped
--------------
========================================  =============================================
XLSForm                                   instrument
========================================  =============================================
``settings``: ``form_id``, ``version``,   ``id``, ``version``, ``title`` (``form_title``
``form_title`` (``::lang`` allowed),      falls back to ``form_id``, as in pyxform)
``default_language``
``begin group`` ... ``end group``         one section (group ``relevant`` → ``show_if``);
                                          questions outside groups form sections of
                                          their own, titled with the form title
``select_one L`` with whole-number        ``likert`` (``min``/``max`` from the names,
choice names forming a run of at least    every label an anchor)
three points
``select_one L`` named ``yes``/``no``     ``yes_no``
other ``select_one L``                    ``single`` (numeric names also give ``code``)
``select_multiple L``                     ``multi``
``integer`` / ``decimal``                 ``number`` (``integer: true`` for integer)
``range`` (step 1)                        ``likert`` from ``start`` to ``end``
``text``                                  ``text``
``note``                                  before the first question: the instrument's
                                          ``description``; elsewhere: prepended to the
                                          ``help`` of the next question of its group
``label``, ``hint`` (``::Lang (code)``)   ``text``, ``help`` per locale
``required``                              ``required`` (XLSForm's default is *no*)
``relevant``                              ``show_if`` (see below)
``constraint``                            ``min``/``max`` (numbers) or ``max_length``
                                          (``string-length(.)``)
========================================  =============================================

``relevant`` expressions may use ``${q} = 'v'``, ``!=``, ``>``, ``>=``, ``<``, ``<=``
against literals, ``${q} = ''`` / ``!= ''`` (answered or not), ``selected(${q}, 'v')``,
``count-selected(${q})`` compared with 0 or 1, ``and``, ``or``, ``not(...)`` and
parentheses.  XPath semantics are kept where they differ from ours: ``${q} != 'v'`` is
also true when ``q`` is unanswered, so it becomes ``any: [{ne: v}, {answered: false}]``.

Metadata rows (``start``, ``end``, ``today``, ``deviceid``, ``audit`` ...) are skipped:
the survey records its own timings.  ``constraint_message``, ``required_message``,
``appearance`` and media columns are ignored.  Everything else that changes what a
respondent sees or answers (other question types, repeats, ``calculation``,
``choice_filter``, ``default``, ``read_only``, unmappable expressions) is reported as
a problem with an ``XLS`` code.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import IO
from typing import Any

import yaml

from instruments.errors import InstrumentError
from instruments.errors import Problem
from instruments.errors import _TemplateCode
from instruments.loader import check as _check_yaml
from instruments.loader import load_text
from instruments.model import Instrument

__all__ = ["Conversion", "SourceRef", "XlsCode", "convert", "load_xlsform"]


class XlsCode(_TemplateCode):
    """Problem codes of the XLSForm conversion; ``.template`` is the message.

    The values (``"XLS001"`` ...) are stable and never reused, like the ``INS`` codes
    of :class:`instruments.errors.Code`.
    """

    def format(self, **context: Any) -> str:  # type: ignore[override]
        """Return the message template filled with ``context``.

        Parameters
        ----------
        **context
            Values for the template's placeholders.

        Returns
        -------
        str
            The message.
        """
        return self.template.format(**context)

    unreadable = "XLS001", "cannot read the workbook: {detail}"
    missing_sheet = "XLS002", "the workbook has no {sheet!r} sheet"
    missing_column = "XLS003", "the {sheet!r} sheet has no {column!r} column"
    bad_language = (
        "XLS004",
        ("cannot tell the language code of column {column!r}; write it like 'label::Russian (ru)'"),
    )
    unsupported_type = "XLS005", "question type {type!r} cannot be mapped: {reason}"
    unknown_list = "XLS006", "choice list {list!r} is not on the choices sheet"
    unmapped_relevant = "XLS007", "cannot map relevant {expression!r}: {reason}"
    unmapped_constraint = "XLS008", "cannot map constraint {expression!r}: {reason}"
    bad_required = "XLS009", "required must be yes or no, got {value!r}"
    unsupported_column = "XLS010", "column {column!r} is not supported (value {value!r})"
    bad_group = "XLS011", "{reason}"
    bad_setting = "XLS012", "setting {setting!r} {reason}"
    missing_value = "XLS013", "{column!r} must not be empty"
    ambiguous_language = (
        "XLS014",
        ("columns {column!r} and {other!r} both give {locale!r} texts; keep one of them"),
    )
    unplaced_note = "XLS015", "a note must be followed by a question of the same group"
    bad_parameters = "XLS016", "range parameters {value!r} cannot be mapped: {reason}"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a part of the converted instrument came from in the workbook.

    Attributes
    ----------
    sheet : str
        ``"survey"``, ``"choices"`` or ``"settings"``.
    row : int or None
        1-based spreadsheet row (row 1 holds the column headers).
    columns : Mapping[str, str]
        Instrument field -> the column it came from (``"show_if"`` -> ``"relevant"``).
    """

    sheet: str
    row: int | None
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversion:
    """The outcome of :func:`convert`.

    Attributes
    ----------
    raw : dict
        The instrument as plain data (the mapping a YAML definition file holds).
    problems : tuple of Problem
        Everything that could not be mapped, with ``XLS`` codes, each located as
        ``file = "<filename>:<sheet>"`` and ``line = <row>``.
    sources : Mapping[str, SourceRef]
        Instrument path (``"sections[1].items[2]"``) -> its place in the workbook.
    filename : str
        The workbook's name used in problem reports.
    """

    raw: dict[str, Any]
    problems: tuple[Problem, ...]
    sources: Mapping[str, SourceRef]
    filename: str

    @property
    def yaml(self) -> str:
        """The instrument as YAML text (what is stored and loaded)."""
        return to_yaml(self.raw)

    def locate(self, problem: Problem) -> Problem:
        """Point a problem found in the converted YAML at its sheet and row.

        Parameters
        ----------
        problem : Problem
            A problem reported by :func:`instruments.check` for :attr:`yaml`.

        Returns
        -------
        Problem
            The same code and message, with ``file = "<filename>:<sheet>"``,
            ``line`` = the spreadsheet row and ``path`` = the column (when known).
        """
        path = problem.path
        best = ""
        for prefix in self.sources:
            if len(prefix) > len(best) and _is_prefix(prefix, path):
                best = prefix
        ref = self.sources.get(best)
        if ref is None:
            return Problem(
                problem.code, path, problem.message, None, self.filename, problem.context
            )
        rest = path[len(best) :].lstrip(".")
        key = re.split(r"[.\[]", rest, maxsplit=1)[0] if rest else ""
        column = ref.columns.get(key) or ref.columns.get("") or path
        return Problem(
            problem.code,
            column,
            problem.message,
            ref.row,
            f"{self.filename}:{ref.sheet}",
            problem.context,
        )


def _is_prefix(prefix: str, path: str) -> bool:
    if prefix == "":
        return True
    if not path.startswith(prefix):
        return False
    rest = path[len(prefix) :]
    return rest == "" or rest[0] in ".["


class _Dumper(yaml.SafeDumper):
    """Writes repeated texts out in full: no ``&id001`` anchors in a methodologist's file."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(raw: Mapping[str, Any]) -> str:
    """Dump an instrument mapping as YAML, keys in the order written, Cyrillic kept."""
    return yaml.dump(dict(raw), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


# --- reading the workbook ---------------------------------------------------------------

_METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "phonenumber",
        "username",
        "email",
        "simserial",
        "subscriberid",
        "audit",
        "instanceid",
        "start-geopoint",
    }
)
#: columns that change the form's behaviour and have no equivalent
_UNSUPPORTED_COLUMNS = (
    "calculation",
    "choice_filter",
    "repeat_count",
    "default",
    "read_only",
    "readonly",
    "trigger",
)
_HEADER_ALIASES = {
    "list name": "list_name",
    "relevance": "relevant",
    "caption": "label",
    "calculate": "calculation",
    "title": "form_title",
    "set_form_title": "form_title",
    "set_form_id": "form_id",
}
_LANGUAGE_NAMES = {
    "russian": "ru",
    "русский": "ru",
    "ru": "ru",
    "rus": "ru",
    "english": "en",
    "английский": "en",
    "en": "en",
    "eng": "en",
}
_LANG_CODE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\)\s*$")
_TRANSLATABLE = frozenset({"label", "hint", "form_title"})
_TRUE = frozenset({"yes", "true", "true()", "1"})
_FALSE = frozenset({"no", "false", "false()", "0", ""})


@dataclass
class _Sheet:
    name: str
    rows: list[dict[str, str]]
    #: header as written -> (base column, locale or None)
    headers: dict[str, tuple[str, str | None]]

    def row_number(self, index: int) -> int:
        return index + 2


@dataclass
class _Collector:
    filename: str
    problems: list[Problem] = field(default_factory=list)

    def add(
        self, code: XlsCode, sheet: str, row: int | None, where: str, /, **context: Any
    ) -> None:
        self.problems.append(
            Problem(code, where, code.format(**context), row, f"{self.filename}:{sheet}", context)
        )


def _read_workbook(data: bytes, out: _Collector) -> dict[str, list[dict[str, str]]] | None:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import xlsx_to_dict

    try:
        book = xlsx_to_dict(io.BytesIO(data))
    except PyXFormError as exc:
        out.add(XlsCode.unreadable, "(workbook)", None, "", detail=str(exc))
        return None
    return {
        name: rows
        for name, rows in book.items()
        if isinstance(rows, list) and name != "sheet_names"
    }


def _parse_headers(
    sheet: str, names: list[str], default_locale: str, out: _Collector
) -> dict[str, tuple[str, str | None]]:
    headers: dict[str, tuple[str, str | None]] = {}
    seen: dict[tuple[str, str], str] = {}
    for header in names:
        base, sep, language = header.partition("::")
        base = base.strip().lower()
        base = _HEADER_ALIASES.get(base, base)
        locale: str | None = None
        if base in _TRANSLATABLE:
            if sep:
                locale = _language_code(language)
                if locale is None:
                    out.add(XlsCode.bad_language, sheet, 1, header, column=header)
                    continue
            else:
                locale = default_locale
            if (base, locale) in seen:
                out.add(
                    XlsCode.ambiguous_language,
                    sheet,
                    1,
                    header,
                    column=seen[(base, locale)],
                    other=header,
                    locale=locale,
                )
                continue
            seen[(base, locale)] = header
        elif sep:
            continue  # translations of ignored columns (constraint_message::ru ...)
        headers[header] = (base, locale)
    return headers


def _language_code(language: str) -> str | None:
    language = language.strip()
    match = _LANG_CODE.match(language)
    if match:
        return match.group("code").lower()
    return _LANGUAGE_NAMES.get(language.lower())


def _sheet(
    book: Mapping[str, list[dict[str, str]]], name: str, default_locale: str, out: _Collector
) -> _Sheet | None:
    if name not in book:
        return None
    header_rows = book.get(f"{name}_header") or [{}]
    names = list(header_rows[0]) if header_rows else []
    return _Sheet(name, book[name], _parse_headers(name, names, default_locale, out))


def _cells(
    sheet: _Sheet, row: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Plain cells by base column, and translatable cells by base column and locale."""
    plain: dict[str, str] = {}
    texts: dict[str, dict[str, str]] = {}
    for header, value in row.items():
        spec = sheet.headers.get(header)
        if spec is None or value is None:
            continue
        base, locale = spec
        text = str(value).strip()
        if locale is not None:
            if text:
                texts.setdefault(base, {})[locale] = text
        else:
            plain[base] = text
    return plain, texts


def _column_of(sheet: _Sheet, base: str) -> str:
    """The header written for a base column (the first translation for texts)."""
    for header, (name, _) in sheet.headers.items():
        if name == base:
            return header
    return base


# --- expressions --------------------------------------------------------------------------


class _Unmappable(Exception):
    """An expression, or a part of it, has no equivalent; ``args[0]`` says why."""


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<ref>\$\{\s*(?P<refname>[^}\s]+)\s*\})
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<self>\.)
  | (?P<name>[A-Za-z_][A-Za-z0-9_:-]*)
  | (?P<arith>[-+*|])
  )""",
    re.VERBOSE,
)


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise _Unmappable(f"unexpected {text[pos:].strip()[:10]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind == "refname":
            kind = "ref"
        value = match.group("refname") if kind == "ref" else match.group(kind)
        tokens.append((kind, value))
    return tokens


class _Parser:
    """Recursive descent over the XPath subset XLSForm users write in relevant/constraint."""

    def __init__(self, expression: str) -> None:
        self.tokens = _tokens(expression)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _Unmappable("the expression ends too early")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise _Unmappable(f"expected {value!r}, found {token[1]!r}")

    def parse(self) -> tuple[Any, ...]:
        if not self.tokens:
            raise _Unmappable("empty expression")
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            if token[0] == "arith":
                raise _Unmappable("arithmetic has no equivalent")
            raise _Unmappable(f"unexpected {token[1]!r}")
        return node

    def _chain(self, word: str, sub: Any) -> tuple[Any, ...]:
        parts = [sub()]
        while self.peek() == ("name", word):
            self.take()
            parts.append(sub())
        return parts[0] if len(parts) == 1 else (word, tuple(parts))

    def or_expr(self) -> tuple[Any, ...]:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> tuple[Any, ...]:
        return self._chain("and", self.comparison)

    def comparison(self) -> tuple[Any, ...]:
        left = self.primary()
        token = self.peek()
        if token is not None and token[0] == "op":
            self.take()
            right = self.primary()
            if self.peek() is not None and self.peek()[0] == "op":  # type: ignore[index]
                raise _Unmappable("chained comparisons")
            return ("cmp", token[1], left, right)
        return left

    def primary(self) -> tuple[Any, ...]:
        kind, value = self.take()
        if kind == "punct" and value == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if kind == "ref":
            return ("ref", value)
        if kind == "self":
            return ("self",)
        if kind == "str":
            return ("lit", value[1:-1])
        if kind == "num":
            return ("lit", _number(value))
        if kind == "arith" and value == "-":
            nkind, nvalue = self.take()
            if nkind != "num":
                raise _Unmappable("arithmetic")
            return ("lit", -_number(nvalue))
        if kind == "arith":
            raise _Unmappable("arithmetic")
        if kind == "name" and self.peek() == ("punct", "("):
            self.take()
            args: list[tuple[Any, ...]] = []
            if self.peek() != ("punct", ")"):
                args.append(self.or_expr())
                while self.peek() == ("punct", ","):
                    self.take()
                    args.append(self.or_expr())
            self.expect(")")
            return ("call", value, tuple(args))
        raise _Unmappable(f"unexpected {value!r}")


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def _numeric(value: Any) -> int | float | None:
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()):
        return _number(value.strip())
    return None


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
_NEGATE = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


@dataclass(frozen=True)
class _Target:
    """What a relevant expression needs to know about a referenced question."""

    kind: str  # an instrument item type, or "unknown"
    integer: bool = False


def _relevant(
    node: tuple[Any, ...], targets: Mapping[str, _Target], negate: bool = False
) -> dict[str, Any]:
    """Translate a parsed relevant expression into a show_if condition."""
    tag = node[0]
    if tag in ("and", "or"):
        op = {"and": "all", "or": "any"}[tag]
        if negate:  # De Morgan
            op = "any" if op == "all" else "all"
        parts: list[dict[str, Any]] = []
        for child in node[1]:
            cond = _relevant(child, targets, negate)
            parts.extend(cond[op] if set(cond) == {op} else [cond])
        return {op: parts}
    if tag == "call" and node[1] == "not":
        if len(node[2]) != 1:
            raise _Unmappable("not() takes one argument")
        return _relevant(node[2][0], targets, not negate)
    if tag == "call" and node[1] == "selected":
        args = node[2]
        if len(args) != 2 or args[0][0] != "ref" or args[1][0] != "lit":
            raise _Unmappable("selected() needs a ${question} and a choice name")
        name, value = args[0][1], str(args[1][1])
        if negate:
            return _either({"item": name, "ne": value}, {"item": name, "answered": False})
        return {"item": name, "eq": value}
    if tag == "cmp":
        return _comparison(node, targets, negate)
    if tag == "call":
        raise _Unmappable(f"function {node[1]}() has no equivalent")
    raise _Unmappable("a condition must compare a question with a value")


def _either(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"any": list(conditions)}


def _comparison(
    node: tuple[Any, ...], targets: Mapping[str, _Target], negate: bool
) -> dict[str, Any]:
    _, op, left, right = node
    if left[0] == "lit" and right[0] != "lit":
        left, right, op = right, left, _FLIP[op]
    if right[0] != "lit":
        raise _Unmappable("only comparisons of a question with a literal value can be mapped")
    literal = right[1]
    if left[0] == "call" and left[1] == "count-selected":
        return _count_selected(left, op, literal, negate)
    if left[0] != "ref":
        raise _Unmappable("a condition must compare a ${question} with a value")
    name = left[1]
    target = targets.get(name, _Target("unknown"))
    if literal == "":
        if op not in ("=", "!="):
            raise _Unmappable("an empty value can only be compared with = or !=")
        answered = op == "!="
        return {"item": name, "answered": answered != negate}
    if target.kind == "multi" and op in ("=", "!="):
        raise _Unmappable(f"use selected(${{{name}}}, '...') for a select_multiple question")
    numeric = target.kind in ("likert", "number", "nps", "smiley")
    if op in ("<", ">", "<=", ">=") and target.kind not in (
        "likert",
        "number",
        "nps",
        "smiley",
        "unknown",
    ):
        raise _Unmappable(f"{op} cannot compare a {target.kind} question")
    value: Any = literal
    if numeric or op in ("<", ">", "<=", ">="):
        value = _numeric(literal)
        if value is None:
            raise _Unmappable(f"{literal!r} is not a number")
    elif isinstance(literal, (int, float)) and target.kind in ("single", "multi", "yes_no"):
        value = str(literal)
    if negate:
        if op in ("<", ">", "<=", ">="):  # not(x > 3) is also true when x is blank
            flipped = _leaf(name, _NEGATE[op], value, target)
            return _either(*_flatten_any(flipped), {"item": name, "answered": False})
        op = _NEGATE[op]
    return _leaf(name, op, value, target)


def _flatten_any(cond: dict[str, Any]) -> list[dict[str, Any]]:
    return list(cond["any"]) if set(cond) == {"any"} else [cond]


def _leaf(name: str, op: str, value: Any, target: _Target) -> dict[str, Any]:
    whole = target.integer and isinstance(value, int)
    if op == "=":
        return {"item": name, "eq": value}
    if op == "!=":  # XPath: a blank answer is "not equal" too
        return _either({"item": name, "ne": value}, {"item": name, "answered": False})
    if op == ">":
        return {"item": name, "gt": value}
    if op == "<":
        return {"item": name, "lt": value}
    if op == ">=":
        if whole:
            return {"item": name, "gt": value - 1}
        return _either({"item": name, "gt": value}, {"item": name, "eq": value})
    if whole:  # "<="
        return {"item": name, "lt": value + 1}
    return _either({"item": name, "lt": value}, {"item": name, "eq": value})


def _count_selected(call: tuple[Any, ...], op: str, literal: Any, negate: bool) -> dict[str, Any]:
    args = call[2]
    if len(args) != 1 or args[0][0] != "ref":
        raise _Unmappable("count-selected() needs one ${question}")
    name = args[0][1]
    number = _numeric(literal)
    answered = {(">", 0), (">=", 1), ("!=", 0)}
    unanswered = {("=", 0), ("<", 1), ("<=", 0)}
    if (op, number) in answered:
        flag = True
    elif (op, number) in unanswered:
        flag = False
    else:
        raise _Unmappable("count-selected() can only be compared with 0 or 1 (answered or not)")
    return {"item": name, "answered": flag != negate}


def _constraint(node: tuple[Any, ...], kind: str, integer: bool) -> dict[str, Any]:
    """Translate a parsed constraint into min/max (numbers) or max_length (text)."""
    parts = node[1] if node[0] == "and" else (node,)
    bounds: dict[str, Any] = {}
    for part in parts:
        if part[0] != "cmp":
            raise _Unmappable("only bounds joined by 'and' can be mapped")
        _, op, left, right = part
        if left[0] == "lit":
            left, right, op = right, left, _FLIP[op]
        value = _numeric(right[1]) if right[0] == "lit" else None
        if value is None:
            raise _Unmappable("a bound must be a number")
        if left == ("self",) and kind == "number":
            key, bound = _bound(op, value, integer)
        elif left == ("call", "string-length", (("self",),)) and kind == "text":
            if op not in ("<", "<=") or not isinstance(value, int):
                raise _Unmappable("only an upper limit of string-length(.) can be mapped")
            key, bound = "max_length", value - 1 if op == "<" else value
        else:
            raise _Unmappable(
                "only '. >= n', '. <= n' (numbers) and 'string-length(.) <= n' (text) can be mapped"
            )
        if key in bounds:
            raise _Unmappable(f"two bounds for {key}")
        bounds[key] = bound
    return bounds


def _bound(op: str, value: int | float, integer: bool) -> tuple[str, int | float]:
    if op == ">=":
        return "min", value
    if op == "<=":
        return "max", value
    if op in (">", "<") and integer and isinstance(value, int):
        return ("min", value + 1) if op == ">" else ("max", value - 1)
    if op in (">", "<"):
        raise _Unmappable("a strict bound on a decimal has no equivalent; use >= or <=")
    raise _Unmappable(f"{op} is not a bound")


# --- conversion ---------------------------------------------------------------------------


@dataclass
class _Question:
    """A survey row on its way to an item."""

    row: int
    item: dict[str, Any]
    columns: dict[str, str]
    choices: list[tuple[str, int]] = field(default_factory=list)  # (field path, choices row)


@dataclass
class _SectionDraft:
    row: int
    data: dict[str, Any]
    columns: dict[str, str]
    questions: list[_Question] = field(default_factory=list)
    group: bool = True


@dataclass
class _Choices:
    rows: list[tuple[int, str, dict[str, str]]]  # (row, name, labels)


def convert(
    data: bytes | IO[bytes],
    *,
    filename: str = "form.xlsx",
    instrument_id: str | None = None,
    version: int | None = None,
) -> Conversion:
    """Convert an XLSForm workbook into an instrument mapping.

    Parameters
    ----------
    data : bytes or binary file object
        The ``.xlsx`` workbook.
    filename : str, default "form.xlsx"
        Name used in problem reports (``form.xlsx:survey:12``).
    instrument_id : str, optional
        Used when the settings sheet has no ``form_id``.
    version : int, optional
        Used when the settings sheet has no ``version``.

    Returns
    -------
    Conversion
        The mapping (even when there are problems: whatever could be mapped), every
        conversion problem, and the source map used by :meth:`Conversion.locate`.

    Raises
    ------
    TypeError
        If ``data`` is neither bytes nor a binary stream.
    """
    if hasattr(data, "read"):
        data = data.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be the bytes of an .xlsx workbook, got {type(data).__name__}")
    if instrument_id is not None and not isinstance(instrument_id, str):
        raise TypeError("instrument_id must be a str")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise TypeError("version must be an int")
    out = _Collector(filename)
    sources: dict[str, SourceRef] = {}
    book = _read_workbook(bytes(data), out)
    if book is None:
        return Conversion({}, tuple(out.problems), sources, filename)
    raw = _Converter(book, out, sources, instrument_id, version).run()
    return Conversion(raw, tuple(out.problems), sources, filename)


class _Converter:
    def __init__(
        self,
        book: Mapping[str, list[dict[str, str]]],
        out: _Collector,
        sources: dict[str, SourceRef],
        instrument_id: str | None,
        version: int | None,
    ) -> None:
        self.book = book
        self.out = out
        self.sources = sources
        self.instrument_id = instrument_id
        self.version = version
        self.locales: list[str] = []

    # settings ----------------------------------------------------------------------------
    def settings(self) -> tuple[dict[str, Any], str]:
        rows = self.book.get("settings") or []
        header = (self.book.get("settings_header") or [{}])[0]
        first = rows[0] if rows else {}
        default_language = str(first.get("default_language") or "").strip()
        default_locale = "ru"
        if default_language and default_language.lower() != "default":
            code = _language_code(default_language)
            if code is None:
                self.out.add(
                    XlsCode.bad_setting,
                    "settings",
                    2,
                    "default_language",
                    setting="default_language",
                    reason=f"{default_language!r} is not a language like 'Russian (ru)'",
                )
            else:
                default_locale = code
        sheet = _Sheet(
            "settings", rows, _parse_headers("settings", list(header), default_locale, self.out)
        )
        plain, texts = _cells(sheet, first)
        doc: dict[str, Any] = {}
        columns = {
            "id": "form_id",
            "version": "version",
            "title": _column_of(sheet, "form_title"),
            "": "form_id",
            "locales": "default_language",
        }
        self.sources[""] = SourceRef("settings", 2 if rows else None, columns)
        form_id = plain.get("form_id") or self.instrument_id
        if not form_id:
            self.out.add(
                XlsCode.bad_setting,
                "settings",
                2 if rows else None,
                "form_id",
                setting="form_id",
                reason="is missing; give the form an id",
            )
        else:
            doc["id"] = form_id
        version = plain.get("version")
        if version:
            if re.fullmatch(r"\d+", version) and int(version) > 0:
                doc["version"] = int(version)
            else:
                self.out.add(
                    XlsCode.bad_setting,
                    "settings",
                    2,
                    "version",
                    setting="version",
                    reason=f"must be a positive whole number, got {version!r}",
                )
        elif self.version is not None:
            doc["version"] = self.version
        else:
            self.out.add(
                XlsCode.bad_setting,
                "settings",
                2 if rows else None,
                "version",
                setting="version",
                reason="is missing; give the form a version number",
            )
        title = texts.get("form_title") or ({default_locale: form_id} if form_id else {})
        doc["title"] = _text(title)
        return doc, default_locale

    # choices -----------------------------------------------------------------------------
    def choices(self, default_locale: str) -> dict[str, _Choices]:
        sheet = _sheet(self.book, "choices", default_locale, self.out)
        lists: dict[str, _Choices] = {}
        if sheet is None:
            return lists
        bases = {base for base, _ in sheet.headers.values()}
        if "name" not in bases and "value" in bases:
            sheet.headers = {
                h: ("name" if b == "value" else b, loc) for h, (b, loc) in sheet.headers.items()
            }
        for column in ("list_name", "name"):
            if column not in {base for base, _ in sheet.headers.values()}:
                self.out.add(
                    XlsCode.missing_column, "choices", 1, column, sheet="choices", column=column
                )
        for index, row in enumerate(sheet.rows):
            plain, texts = _cells(sheet, row)
            list_name = plain.get("list_name", "")
            if not list_name:
                continue
            name = plain.get("name", "")
            number = sheet.row_number(index)
            if not name:
                self.out.add(XlsCode.missing_value, "choices", number, "name", column="name")
                continue
            self._note_locales(texts.get("label", {}))
            lists.setdefault(list_name, _Choices([])).rows.append(
                (number, name, texts.get("label", {}))
            )
        return lists

    def _note_locales(self, text: Mapping[str, str]) -> None:
        for locale in text:
            if locale not in self.locales:
                self.locales.append(locale)

    # survey ------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        doc, default_locale = self.settings()
        self._note_locales(doc.get("title", {}) if isinstance(doc.get("title"), dict) else {})
        lists = self.choices(default_locale)
        survey = _sheet(self.book, "survey", default_locale, self.out)
        if survey is None:
            self.out.add(XlsCode.missing_sheet, "survey", None, "", sheet="survey")
            return doc
        for column in ("type", "name"):
            if column not in {base for base, _ in survey.headers.values()}:
                self.out.add(
                    XlsCode.missing_column, "survey", 1, column, sheet="survey", column=column
                )
        sections, description = self.survey(survey, lists, doc.get("title", {}))
        self.sources["locales"] = SourceRef("survey", 1, {"": "label"})
        if description:
            doc["description"] = _text(description)
        found = self.locales or [default_locale]
        doc["locales"] = [code for code in found if code == "ru"] + [c for c in found if c != "ru"]
        doc["sections"] = [self._finish_section(si, section) for si, section in enumerate(sections)]
        return doc

    def survey(
        self, sheet: _Sheet, lists: Mapping[str, _Choices], title: Any
    ) -> tuple[list[_SectionDraft], dict[str, str]]:
        sections: list[_SectionDraft] = []
        current: _SectionDraft | None = None  # the open group, if any
        loose: _SectionDraft | None = None  # the section gathering questions outside groups
        depth = 0
        description: dict[str, list[str]] = {}
        notes: list[tuple[int, dict[str, str]]] = []
        seen_question = False
        targets: dict[str, _Target] = {}

        def flush_notes() -> None:
            for row, _ in notes:
                self.out.add(XlsCode.unplaced_note, "survey", row, "type")
            notes.clear()

        for index, row in enumerate(sheet.rows):
            number = sheet.row_number(index)
            plain, texts = _cells(sheet, row)
            kind = re.sub(r"\s+", " ", plain.get("type", "")).strip()
            if not kind:
                if any(plain.values()) or texts:
                    self.out.add(XlsCode.missing_value, "survey", number, "type", column="type")
                continue
            self._unsupported_columns(plain, number)
            word = kind.lower().replace("_", " ")
            if word in ("begin group", "begin lgroup"):
                depth += 1
                if depth > 1:
                    self.out.add(
                        XlsCode.bad_group,
                        "survey",
                        number,
                        "type",
                        reason="groups inside groups are not supported: one group is one page",
                    )
                    continue
                flush_notes()
                loose = None
                current = self._begin_group(sheet, plain, texts, number, len(sections), targets)
                sections.append(current)
                continue
            if word == "end group":
                if depth == 0:
                    self.out.add(
                        XlsCode.bad_group,
                        "survey",
                        number,
                        "type",
                        reason="'end group' without a 'begin group'",
                    )
                    continue
                depth -= 1
                if depth == 0:
                    flush_notes()
                    current = None
                continue
            if word.startswith(("begin repeat", "end repeat")):
                self.out.add(
                    XlsCode.unsupported_type,
                    "survey",
                    number,
                    "type",
                    type=kind,
                    reason="repeats are not supported",
                )
                continue
            if word in _METADATA_TYPES:
                continue
            if word == "note":
                self._note_locales(texts.get("label", {}))
                if not seen_question:
                    for locale, text in texts.get("label", {}).items():
                        description.setdefault(locale, []).append(text)
                else:
                    notes.append((number, texts.get("label", {})))
                continue
            question = self._question(sheet, kind, plain, texts, number, lists, targets)
            if question is None:
                continue
            seen_question = True
            if notes:
                help_text = dict(question.item.get("help") or {})
                for locale in {loc for _, text in notes for loc in text} | set(help_text):
                    parts = [text[locale] for _, text in notes if locale in text]
                    if locale in help_text:
                        parts.append(help_text[locale])
                    help_text[locale] = "\n".join(parts)
                question.item["help"] = help_text
                notes.clear()
            section = current
            if section is None:
                if loose is None:
                    loose = _SectionDraft(
                        number,
                        {"id": f"section{len(sections) + 1}", "title": title},
                        {"": "type", "id": "type", "title": "type"},
                        group=False,
                    )
                    sections.append(loose)
                section = loose
            section.questions.append(question)
        flush_notes()
        if depth > 0 and current is not None:
            self.out.add(
                XlsCode.bad_group,
                "survey",
                current.row,
                "type",
                reason="this group is never closed with 'end group'",
            )
        return sections, {locale: "\n".join(parts) for locale, parts in description.items()}

    def _unsupported_columns(self, plain: Mapping[str, str], number: int) -> None:
        for column in _UNSUPPORTED_COLUMNS:
            value = plain.get(column, "")
            if value and value.lower() not in _FALSE:
                self.out.add(
                    XlsCode.unsupported_column, "survey", number, column, column=column, value=value
                )

    def _begin_group(
        self,
        sheet: _Sheet,
        plain: Mapping[str, str],
        texts: Mapping[str, dict[str, str]],
        number: int,
        index: int,
        targets: Mapping[str, _Target],
    ) -> _SectionDraft:
        label = texts.get("label", {})
        self._note_locales(label)
        data: dict[str, Any] = {
            "id": plain.get("name") or f"section{index + 1}",
            "title": _text(label),
        }
        if not plain.get("name"):
            self.out.add(XlsCode.missing_value, "survey", number, "name", column="name")
        if not label:
            self.out.add(
                XlsCode.missing_value,
                "survey",
                number,
                _column_of(sheet, "label"),
                column=_column_of(sheet, "label"),
            )
        relevant = plain.get("relevant", "")
        if relevant:
            condition = self._relevant(relevant, targets, number)
            if condition is not None:
                data["show_if"] = condition
        columns = {
            "": "type",
            "id": "name",
            "title": _column_of(sheet, "label"),
            "show_if": "relevant",
            "items": "type",
        }
        return _SectionDraft(number, data, columns)

    def _relevant(
        self, expression: str, targets: Mapping[str, _Target], number: int
    ) -> dict[str, Any] | None:
        try:
            return _relevant(_Parser(expression).parse(), targets)
        except _Unmappable as exc:
            self.out.add(
                XlsCode.unmapped_relevant,
                "survey",
                number,
                "relevant",
                expression=expression,
                reason=exc.args[0],
            )
            return None

    def _question(
        self,
        sheet: _Sheet,
        kind: str,
        plain: Mapping[str, str],
        texts: Mapping[str, dict[str, str]],
        number: int,
        lists: Mapping[str, _Choices],
        targets: dict[str, _Target],
    ) -> _Question | None:
        name = plain.get("name", "")
        label_column = _column_of(sheet, "label")
        columns = {
            "": "type",
            "id": "name",
            "type": "type",
            "text": label_column,
            "help": _column_of(sheet, "hint"),
            "required": "required",
            "show_if": "relevant",
            "min": "constraint",
            "max": "constraint",
            "max_length": "constraint",
            "integer": "type",
            "choices": "type",
            "anchors": "type",
        }
        item: dict[str, Any] = {"id": name}
        question = _Question(number, item, columns)
        parts = kind.split()
        base = parts[0].lower()
        select = _select_kind(kind)
        integer = False
        if select is not None:
            list_name = kind.split()[-1] if len(parts) > 1 else ""
            if not list_name or list_name.lower() in (
                "one",
                "multiple",
                "select_one",
                "select_multiple",
            ):
                self.out.add(
                    XlsCode.unsupported_type,
                    "survey",
                    number,
                    "type",
                    type=kind,
                    reason="name the choice list after the type, e.g. 'select_one yes_no'",
                )
                return None
            if list_name not in lists:
                self.out.add(XlsCode.unknown_list, "survey", number, "type", list=list_name)
                return None
            self._select(question, select, lists[list_name])
        elif base in ("integer", "int", "decimal"):
            item["type"] = "number"
            integer = base != "decimal"
            if integer:
                item["integer"] = True
        elif base in ("text", "string"):
            item["type"] = "text"
        elif base == "range":
            if not self._range(question, plain.get("parameters", ""), number):
                return None
        else:
            reason = {
                "calculate": "calculations are not supported",
                "hidden": "hidden fields are not supported",
            }.get(base, "no equivalent question type")
            self.out.add(
                XlsCode.unsupported_type, "survey", number, "type", type=kind, reason=reason
            )
            return None
        if not name:
            self.out.add(XlsCode.missing_value, "survey", number, "name", column="name")
        item["text"] = _text(texts.get("label", {}))
        self._note_locales(texts.get("label", {}))
        if not texts.get("label"):
            self.out.add(XlsCode.missing_value, "survey", number, label_column, column=label_column)
        if texts.get("hint"):
            item["help"] = dict(texts["hint"])
            self._note_locales(texts["hint"])
        required = plain.get("required", "").strip().lower()
        if required in _TRUE:
            item["required"] = True
        elif required in _FALSE:
            item["required"] = False
        else:
            item["required"] = False
            self.out.add(
                XlsCode.bad_required, "survey", number, "required", value=plain.get("required")
            )
        constraint = plain.get("constraint", "")
        if constraint:
            self._apply_constraint(item, constraint, integer, number)
        relevant = plain.get("relevant", "")
        if relevant:
            condition = self._relevant(relevant, targets, number)
            if condition is not None:
                item["show_if"] = condition
        if name:
            targets[name] = _Target(
                str(item.get("type")), integer or item.get("type") in ("likert", "nps")
            )
        return question

    def _select(self, question: _Question, select: str, choices: _Choices) -> None:
        item = question.item
        names = [name for _, name, _ in choices.rows]
        for _, _, label in choices.rows:
            self._note_locales(label)
        numbers = [int(n) for n in names if re.fullmatch(r"-?\d+", n)]
        if select == "single" and len(numbers) == len(names) >= 3 and _is_run(numbers):
            item["type"] = "likert"
            item["min"], item["max"] = min(numbers), max(numbers)
            item["anchors"] = {int(name): _text(label) for _, name, label in choices.rows}
            question.choices = [(f"anchors[{int(name)}]", row) for row, name, _ in choices.rows]
            return
        if select == "single" and sorted(n.lower() for n in names) == ["no", "yes"]:
            item["type"] = "yes_no"
            return
        item["type"] = select
        numeric = select == "single" and all(_numeric(n) is not None for n in names)
        listed: list[dict[str, Any]] = []
        for index, (row, name, label) in enumerate(choices.rows):
            choice: dict[str, Any] = {"value": name, "label": _text(label)}
            if numeric:
                choice["code"] = _numeric(name)
            listed.append(choice)
            question.choices.append((f"choices[{index}]", row))
        item["choices"] = listed

    def _range(self, question: _Question, parameters: str, number: int) -> bool:
        values = {"start": "1", "end": "10", "step": "1"}
        for part in parameters.replace(";", " ").replace(",", " ").split():
            key, _, value = part.partition("=")
            values[key.strip().lower()] = value.strip()
        start, end, step = (_numeric(values.get(k, "")) for k in ("start", "end", "step"))
        if not (isinstance(start, int) and isinstance(end, int) and step == 1 and start < end):
            self.out.add(
                XlsCode.bad_parameters,
                "survey",
                number,
                "parameters",
                value=parameters,
                reason="a range becomes a rating scale: whole-number start < end and step=1",
            )
            return False
        question.item.update({"type": "likert", "min": start, "max": end})
        question.columns.update({"min": "parameters", "max": "parameters"})
        return True

    def _apply_constraint(
        self, item: dict[str, Any], constraint: str, integer: bool, number: int
    ) -> None:
        try:
            if item.get("type") not in ("number", "text"):
                raise _Unmappable(f"a {item.get('type')} question takes no constraint")
            bounds = _constraint(_Parser(constraint).parse(), str(item["type"]), integer)
        except _Unmappable as exc:
            self.out.add(
                XlsCode.unmapped_constraint,
                "survey",
                number,
                "constraint",
                expression=constraint,
                reason=exc.args[0],
            )
            return
        item.update(bounds)

    def _finish_section(self, index: int, section: _SectionDraft) -> dict[str, Any]:
        path = f"sections[{index}]"
        self.sources[path] = SourceRef("survey", section.row, section.columns)
        items: list[dict[str, Any]] = []
        for qi, question in enumerate(section.questions):
            ipath = f"{path}.items[{qi}]"
            self.sources[ipath] = SourceRef("survey", question.row, question.columns)
            for sub, row in question.choices:
                self.sources[f"{ipath}.{sub}"] = SourceRef(
                    "choices", row, {"": "name", "value": "name", "label": "label", "code": "name"}
                )
            items.append(_ordered(question.item))
        data = dict(section.data)
        data["items"] = items
        return {key: data[key] for key in ("id", "title", "show_if", "items") if key in data}


def _select_kind(kind: str) -> str | None:
    text = kind.strip().lower()
    for prefix, select in (
        ("select_one", "single"),
        ("select one", "single"),
        ("select1", "single"),
        ("select_multiple", "multi"),
        ("select multiple", "multi"),
        ("select all that apply", "multi"),
    ):
        if text == prefix or text.startswith(prefix + " "):
            if "from_file" in text or "external" in text or "from file" in text:
                return None
            return select
    return None


def _is_run(numbers: list[int]) -> bool:
    ordered = sorted(numbers)
    if ordered != list(range(ordered[0], ordered[0] + len(ordered))):
        return False
    return numbers in (ordered, ordered[::-1])


def _text(text: Mapping[str, str]) -> dict[str, str]:
    return {locale: text[locale] for locale in sorted(text, key=lambda code: (code != "ru", code))}


_ITEM_ORDER = (
    "id",
    "type",
    "text",
    "help",
    "required",
    "min",
    "max",
    "integer",
    "anchors",
    "choices",
    "max_length",
    "show_if",
)


def _ordered(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: item[key] for key in _ITEM_ORDER if key in item}


# --- loading ----------------------------------------------------------------------------


def load_xlsform(
    data: bytes | IO[bytes],
    *,
    filename: str = "form.xlsx",
    instrument_id: str | None = None,
    version: int | None = None,
) -> tuple[Instrument, str]:
    """Convert an XLSForm and load it as an instrument.

    Parameters
    ----------
    data : bytes or binary file object
        The ``.xlsx`` workbook.
    filename : str, default "form.xlsx"
        Name used in problem reports.
    instrument_id, version : optional
        Defaults for a workbook whose settings sheet lacks ``form_id``/``version``.

    Returns
    -------
    tuple of (Instrument, str)
        The loaded instrument and the YAML text it was loaded from (store the text:
        it is the single source of truth from then on).

    Raises
    ------
    InstrumentError
        With every problem: the conversion's (``XLS`` codes) and the loader's
        (``INS`` codes), all located at ``<filename>:<sheet>`` and a row.  Loader
        problems on a row that already has a conversion problem are left out, as
        they usually repeat it.
    """
    conversion = convert(data, filename=filename, instrument_id=instrument_id, version=version)
    problems = list(conversion.problems)
    if not conversion.raw:
        raise InstrumentError(problems)
    text = conversion.yaml
    found = _check_yaml(text.encode("utf-8"))
    flagged = {(p.file, p.line) for p in problems if p.line is not None}
    for problem in found:
        located = conversion.locate(problem)
        if (located.file, located.line) not in flagged:
            problems.append(located)
    if problems:
        raise InstrumentError(problems)
    return load_text(text), text
