"""A YAML reader that remembers the line of every mapping, key and list element.

The loader is PyYAML's safe loader with two changes:

* YAML 1.1's surprising scalars are plain strings: ``yes``/``no``/``on``/``off``
  are *not* booleans (only ``true``/``false`` are) and dates stay strings, so a
  methodologist can write ``eq: yes`` or a choice value ``no`` without quoting;
* mappings are :class:`LineMap` and sequences :class:`LineList`, which carry the
  1-based line of the node, of each key and of each element, and record duplicate
  keys instead of silently keeping the last one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode
from yaml.nodes import SequenceNode

__all__ = ["LineList", "LineMap", "parse", "plain"]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class LineMap(dict[Any, Any]):
    """A ``dict`` that knows where it and its keys were written."""

    __slots__ = ("duplicates", "key_lines", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        #: 1-based line of the mapping
        self.line = line
        #: key -> 1-based line of the key
        self.key_lines: dict[Any, int] = {}
        #: (key, line of the repeat, line of the first occurrence)
        self.duplicates: list[tuple[Any, int, int]] = []

    def line_of(self, key: Any) -> int:
        """Line of ``key`` if present, else the line of the mapping."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A ``list`` that knows where it and its elements were written."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        """Line of element ``index`` if known, else the line of the list."""
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML-1.2-like booleans, string dates and line numbers."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_map(loader: _Loader, node: MappingNode) -> Iterator[LineMap]:
    data = LineMap(node.start_mark.line + 1)
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=False)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from None
        value = loader.construct_object(value_node, deep=False)
        line = key_node.start_mark.line + 1
        if key in data:
            data.duplicates.append((key, line, data.key_lines[key]))
        else:
            data.key_lines[key] = line
        data[key] = value


def _construct_seq(loader: _Loader, node: SequenceNode) -> Iterator[LineList]:
    data = LineList(node.start_mark.line + 1)
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=False))
        data.item_lines.append(child.start_mark.line + 1)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)

_FastLoader: type[Any] | None = None
if yaml.__with_libyaml__:  # the same rules on libyaml's parser: about 8 times faster

    class _CLoader(yaml.CSafeLoader):
        """:class:`_Loader` on libyaml's C parser."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _CLoader.yaml_constructors = dict(_Loader.yaml_constructors)
    _FastLoader = _CLoader


class YamlSyntaxError(Exception):
    """The text is not valid YAML (or not UTF-8); carries the 1-based line if known."""

    def __init__(self, detail: str, line: int | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.line = line


def parse(text: str | bytes) -> Any:
    """Parse one YAML document into plain data made of LineMap/LineList/scalars.

    Parameters
    ----------
    text : str or bytes
        The YAML source; bytes are decoded as UTF-8 (a BOM is allowed).

    Returns
    -------
    object
        The document (``None`` for an empty one).

    Raises
    ------
    YamlSyntaxError
        If the text cannot be decoded or parsed.
    """
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            bad_line = data[: exc.start].count(b"\n") + 1
            raise YamlSyntaxError(f"not valid UTF-8 ({exc.reason})", bad_line) from None
    try:
        # both loaders derive from yaml.SafeLoader (they only add line numbers)
        return yaml.load(text, Loader=_FastLoader or _Loader)  # noqa: S506  # nosec B506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line = mark.line + 1 if mark is not None else None
        detail = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        raise YamlSyntaxError(detail, mark_line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(
            str(exc).splitlines()[0] if str(exc) else "invalid YAML", None
        ) from None


def plain(value: Any) -> Any:
    """Return ``value`` as plain JSON-able data (keys as strings, lists for sequences)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
