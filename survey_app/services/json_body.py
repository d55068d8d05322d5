"""Strict JSON for request bodies: what :func:`json.loads` lets through, refused by name.

Python's parser accepts duplicate keys (the last wins), ``NaN`` and ``Infinity``, integers of
thousands of digits, lone surrogate escapes (``"\\udfff"``, which no database can store) and
NUL characters (which PostgreSQL refuses in text), and overflows the stack on deeply nested
input. Each becomes an :class:`Invalid` with its own code, path and message here.
"""

from __future__ import annotations

import json
import math
from typing import Any

from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue

__all__ = ["MAX_DEPTH", "MAX_INTEGER_DIGITS", "parse_json"]

#: deepest nesting of arrays and objects accepted (a submission needs 3)
MAX_DEPTH = 16
#: longest integer accepted, in digits (larger ones lose precision in every client)
MAX_INTEGER_DIGITS = 15


class _Refused(ValueError):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(Issue("API010", _printable(key), "duplicate key in a JSON object"))
        result[key] = value
    return result


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(
            Issue("API011", "", f"integer of more than {MAX_INTEGER_DIGITS} digits: too large")
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(Issue("API011", "", f"number {text[:20]} is out of range"))
    return value


def _constant(name: str) -> Any:
    raise _Refused(Issue("API011", "", f"{name} is not a JSON number"))


def _printable(text: str) -> str:
    """``text`` safe to echo in an error: surrogates and NULs escaped, at most 64 characters."""
    return text[:64].encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _bad_string(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (\\ud800-\\udfff); not valid Unicode"
    return None


def _check_tree(value: Any, *, strings: bool) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and (``strings``) text that cannot be stored."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if strings and (reason := _bad_string(node)) is not None:
                raise Invalid("The body holds text that cannot be stored.", [
                    Issue("API008", path, reason)
                ])  # fmt: skip
            continue
        if not isinstance(node, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise Invalid(
                "The JSON is nested too deeply.",
                [Issue("API009", path, f"at most {MAX_DEPTH} levels of arrays and objects")],
            )
        if isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{_printable(key)}" if path else _printable(key)
                if strings and (reason := _bad_string(key)) is not None:
                    raise Invalid(
                        "The body holds text that cannot be stored.",
                        [Issue("API008", child_path, f"key {reason}")],
                    )
                stack.append((child, child_path, depth + 1))
        else:
            for index, child in enumerate(node):
                stack.append((child, f"{path}[{index}]", depth + 1))


def parse_json(raw: bytes) -> Any:
    """Parse a request body as strict JSON (UTF-8).

    Raises
    ------
    Invalid
        API000 not UTF-8 or not JSON (with line and column), API001 ``null``,
        API008 NUL or unpaired surrogate in a string, API009 nested deeper than
        :data:`MAX_DEPTH`, API010 a duplicate key, API011 a number out of range
        (``NaN``, ``Infinity``, over :data:`MAX_INTEGER_DIGITS` digits).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Invalid(
            "The body is not UTF-8 text.",
            [Issue("API000", "", f"invalid byte at position {error.start}; send UTF-8 JSON")],
        ) from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_constant,
        )
    except _Refused as refused:
        raise Invalid("The body is not acceptable JSON.", [refused.issue]) from None
    except RecursionError:
        raise Invalid(
            "The JSON is nested too deeply.",
            [Issue("API009", "", f"at most {MAX_DEPTH} levels of arrays and objects")],
        ) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}: {error.msg}"
        raise Invalid("The body is not JSON.", [Issue("API000", "", where)]) from None
    if value is None:
        raise Invalid(
            "The body is JSON null; send a JSON object.",
            [Issue("API001", "", "expected an object, got null")],
        )
    # a NUL or a surrogate can only come from a backslash-u escape: JSON allows no raw control
    # character in a string, and UTF-8 decoding yields no surrogate
    _check_tree(value, strings="\\u" in text)
    return value
