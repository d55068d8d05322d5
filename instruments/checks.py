"""The rules an instrument file must satisfy, one function per rule.

Each ``check_<rule>(draft)`` yields :class:`~instruments.errors.Problem` records for a
:class:`~instruments._build.Draft` (the raw, line-numbered tree plus the best-effort
model).  :data:`CHECKS` lists them in the fixed order in which :func:`run_checks` runs
them: first the shape of the file (fields, types, ids, texts), then the meaning
(ranges, scales, skip logic, the Lite plan).

:func:`untranslated` is not a rule but a report: it lists texts lacking a translation.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from instruments._build import EXPECTED
from instruments._build import FIELDS
from instruments._build import ITEM_COMMON
from instruments._build import REQUIRED
from instruments._build import TYPE_FIELDS
from instruments._build import TYPE_REQUIRED
from instruments._build import Draft
from instruments._build import Loc
from instruments._build import is_number
from instruments._build import iter_texts
from instruments._build import type_name
from instruments._build import type_ok
from instruments._coerce import LEAF_OPS
from instruments._coerce import OPERATORS
from instruments._coerce import _Invalid
from instruments._coerce import condition_value
from instruments._coerce import numeric_range
from instruments._yaml import LineList
from instruments._yaml import LineMap
from instruments.errors import Code
from instruments.errors import Problem
from instruments.model import Instrument
from instruments.model import Item
from instruments.model import ItemType

__all__ = ["CHECKS", "run_checks", "untranslated"]

Check = Callable[[Draft], Iterator[Problem]]

#: Instrument ids name directories: lower-case.
ID_INSTRUMENT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Item, section, scale, column and format ids.
ID_GENERAL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
#: Choice values may also start with a digit or contain '-'.
ID_CHOICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
LOCALE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")

_COMMA_HINT = (
    "; a comma inside {ru: ..., en: ...} ends the text there: put the text in quotes"
    " or on its own line"
)

_ID_RULES = {
    ID_INSTRUMENT: "lower-case Latin letters, digits and '_', starting with a letter, at most 40",
    ID_GENERAL: "Latin letters, digits and '_', starting with a letter, at most 40",
    ID_CHOICE: "Latin letters, digits, '_' and '-', at most 40",
}


def _line_of(container: Any, key: Any) -> int | None:
    if isinstance(container, (LineMap, LineList)):
        return container.line_of(key)
    return None


def _p(draft: Draft, code: Code, path: str, line: int | None, **context: Any) -> Problem:
    return Problem.of(code, path, line=line, file=draft.file, **context)


def _p_at(draft: Draft, code: Code, loc: Loc, key: str | None = None, **context: Any) -> Problem:
    if key is None:
        return _p(draft, code, loc.path or "(document)", loc.line, **context)
    path, line = loc.at(key)
    return _p(draft, code, path.lstrip("."), line, **context)


def _non_text_locales(draft: Draft, path: str, texts: Any, field: str) -> Iterator[Problem]:
    """INS004 for each locale of a ``{locale: text}`` mapping whose text is not a string."""
    for locale, text in texts.items():
        if not isinstance(text, str):
            yield _p(
                draft,
                Code.wrong_type,
                f"{path}.{locale}",
                _line_of(texts, locale),
                field=f"{field}.{locale}",
                expected="text",
                got=type_name(text),
            )


# --- the shape of the file ---------------------------------------------------------------


def check_document(draft: Draft) -> Iterator[Problem]:
    """INS002: the document is a mapping."""
    if not isinstance(draft.raw, LineMap):
        yield _p(
            draft,
            Code.not_a_mapping,
            "(document)",
            getattr(draft.raw, "line", 1),
            got=type_name(draft.raw),
        )


def check_duplicate_keys(draft: Draft) -> Iterator[Problem]:
    """INS041: no key appears twice in one mapping (YAML would silently keep the last)."""

    def visit(node: Any, path: str) -> Iterator[Problem]:
        if isinstance(node, LineMap):
            for key, line, first in node.duplicates:
                yield _p(
                    draft,
                    Code.duplicate_key,
                    f"{path}.{key}".lstrip("."),
                    line,
                    key=key,
                    first=first,
                )
            for key, value in node.items():
                yield from visit(value, f"{path}.{key}")
        elif isinstance(node, LineList):
            for index, value in enumerate(node):
                yield from visit(value, f"{path}[{index}]")

    yield from visit(draft.raw, "")


def check_required_fields(draft: Draft) -> Iterator[Problem]:
    """INS003: every required field is present (some depend on the item type)."""
    for node in draft.nodes:
        if node.raw_item is not None:
            present = node.raw_item.fields
            required = list(REQUIRED["item"])
            if not node.raw_item.format_ok:
                required.remove("type")  # the unknown format is the real problem
            if node.raw_item.type is not None:
                required += TYPE_REQUIRED.get(node.raw_item.type, ())
        else:
            present = node.loc.node
            required = list(REQUIRED[node.kind])
        for name in required:
            if name not in present:
                yield _p_at(draft, Code.missing_field, node.loc, field=name)
        leaf = any(op in node.loc.node for op in LEAF_OPS)
        if node.kind == "condition" and leaf and "item" not in node.loc.node:
            yield _p_at(draft, Code.missing_field, node.loc, field="item")


def check_field_types(draft: Draft) -> Iterator[Problem]:
    """INS004: each field has the right type (lists of ids hold strings, anchors int keys ...)."""
    for node in draft.nodes:
        spec = FIELDS[node.kind]
        for key, value in node.loc.node.items():
            expected = spec.get(key)
            if expected is None:
                continue
            if not type_ok(expected, value):
                yield _p_at(
                    draft,
                    Code.wrong_type,
                    node.loc,
                    key,
                    field=key,
                    expected=EXPECTED[expected],
                    got=type_name(value),
                )
                continue
            path, _ = node.loc.at(key)
            path = path.lstrip(".")
            if expected == "str_list":
                for index, element in enumerate(value):
                    if not isinstance(element, str):
                        yield _p(
                            draft,
                            Code.wrong_type,
                            f"{path}[{index}]",
                            _line_of(value, index),
                            field=key,
                            expected="an identifier (text)",
                            got=type_name(element),
                        )
            elif expected == "count_map":
                for name, count in value.items():
                    if not (isinstance(count, int) and not isinstance(count, bool)):
                        yield _p(
                            draft,
                            Code.wrong_type,
                            f"{path}.{name}",
                            _line_of(value, name),
                            field=str(name),
                            expected="an integer",
                            got=type_name(count),
                        )
            elif expected == "anchors":
                for point, label in value.items():
                    if isinstance(point, bool) or not isinstance(point, int):
                        yield _p(
                            draft,
                            Code.wrong_type,
                            f"{path}[{point}]",
                            _line_of(value, point),
                            field="anchors",
                            expected="whole-number scale points",
                            got=type_name(point),
                        )
                    elif not isinstance(label, (str, dict)):
                        yield _p(
                            draft,
                            Code.wrong_type,
                            f"{path}[{point}]",
                            _line_of(value, point),
                            field=f"anchors[{point}]",
                            expected=EXPECTED["text"],
                            got=type_name(label),
                        )
            elif expected in ("list",) and key in (
                "sections",
                "items",
                "scales",
                "choices",
                "columns",
                "all",
                "any",
            ):
                for index, element in enumerate(value):
                    if not isinstance(element, dict):
                        yield _p(
                            draft,
                            Code.wrong_type,
                            f"{path}[{index}]",
                            _line_of(value, index),
                            field=f"{key}[{index}]",
                            expected="a mapping",
                            got=type_name(element),
                        )
            elif expected == "mapping" and key == "formats":
                for name, fmt in value.items():
                    if not isinstance(fmt, dict):
                        yield _p(
                            draft,
                            Code.wrong_type,
                            f"{path}.{name}",
                            _line_of(value, name),
                            field=str(name),
                            expected="a mapping",
                            got=type_name(fmt),
                        )
            elif expected == "text" and isinstance(value, dict):
                yield from _non_text_locales(draft, path, value, key)
    # anchor labels and choice/column labels inside anchors are texts too
    for path, _line, label in iter_texts(draft):
        if ".anchors[" in path and isinstance(label, dict):
            yield from _non_text_locales(draft, path, label, "anchors")


def check_unknown_fields(draft: Draft) -> Iterator[Problem]:
    """INS005: no field the format does not know (catches typos such as ``reqired``)."""
    for node in draft.nodes:
        known = FIELDS[node.kind]
        for key in node.loc.node:
            if key not in known:
                close = difflib.get_close_matches(str(key), list(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                yield _p_at(draft, Code.unknown_field, node.loc, str(key), field=key, hint=hint)


def check_formats(draft: Draft) -> Iterator[Problem]:
    """INS033: an item's ``format`` names a format defined under ``formats``."""
    defined = ", ".join(draft.formats) or "none"
    for raw in draft.items:
        if not raw.format_ok:
            yield _p_at(
                draft,
                Code.unknown_format,
                raw.loc,
                "format",
                format=raw.loc.node["format"],
                defined=defined,
            )


def check_item_types(draft: Draft) -> Iterator[Problem]:
    """INS006: ``type`` is one of the known item types."""
    expected = ", ".join(t.value for t in ItemType)
    for loc in list(draft.formats.values()) + [r.loc for r in draft.items]:
        kind = loc.node.get("type")
        if isinstance(kind, str) and kind not in ItemType.__members__:
            yield _p_at(draft, Code.unknown_item_type, loc, "type", type=kind, expected=expected)


def check_applicable_fields(draft: Draft) -> Iterator[Problem]:
    """INS034: type-specific fields appear only on items of a type that uses them."""
    for raw in draft.items:
        if raw.type is None:
            continue
        allowed = set(ITEM_COMMON) | TYPE_FIELDS[raw.type]
        for key in raw.loc.node:
            if key in FIELDS["item"] and key not in allowed:
                yield _p_at(
                    draft, Code.not_applicable, raw.loc, key, field=key, type=raw.type.value
                )
    for loc in draft.formats.values():
        kind = loc.node.get("type")
        if isinstance(kind, str) and kind in ItemType.__members__:
            allowed = set(ITEM_COMMON) | TYPE_FIELDS[ItemType(kind)]
            for key in loc.node:
                if key in FIELDS["format"] and key not in allowed:
                    yield _p_at(draft, Code.not_applicable, loc, key, field=key, type=kind)


def _id_fields(draft: Draft) -> Iterator[tuple[str, Loc, str, Any, re.Pattern[str]]]:
    """(kind, loc, key, value, rule) for every identifier written in the file."""
    if draft.root is not None:
        yield "instrument id", draft.root, "id", draft.root.node.get("id"), ID_INSTRUMENT
    for name in draft.formats:
        yield "format name", Loc("formats", draft.raw["formats"]), name, name, ID_GENERAL
    for node in draft.nodes:
        if node.kind in ("section", "item", "scale", "column"):
            yield f"{node.kind} id", node.loc, "id", node.loc.node.get("id"), ID_GENERAL
        elif node.kind == "choice":
            yield "choice value", node.loc, "value", node.loc.node.get("value"), ID_CHOICE


def check_ids(draft: Draft) -> Iterator[Problem]:
    """INS007/INS043: identifiers are well formed; a column may not be called ``na``."""
    for kind, loc, key, value, rule in _id_fields(draft):
        if not isinstance(value, str):
            continue
        if not rule.match(value):
            yield _p_at(draft, Code.bad_id, loc, key, kind=kind, id=value, rule=_ID_RULES[rule])
        elif kind == "column id" and value == "na":
            yield _p_at(draft, Code.reserved_id, loc, key, kind=kind, id=value)


def check_duplicate_ids(draft: Draft) -> Iterator[Problem]:
    """INS008: item, section and scale ids are unique; choices and columns within an item."""

    def dupes(kind: str, entries: list[tuple[Any, Loc, str]]) -> Iterator[Problem]:
        first: dict[Any, int] = {}
        for value, loc, key in entries:
            if value is None:
                continue
            line = loc.node.line_of(key)
            if value in first:
                yield _p_at(
                    draft, Code.duplicate_id, loc, key, kind=kind, id=value, first=first[value]
                )
            else:
                first[value] = line

    def ids(locs: list[Loc], key: str = "id") -> list[tuple[Any, Loc, str]]:
        out: list[tuple[Any, Loc, str]] = []
        for loc in locs:
            value = loc.node.get(key)
            out.append((value if isinstance(value, (str, int, float)) else None, loc, key))
        return out

    yield from dupes("section id", ids([s.loc for s in draft.sections]))
    yield from dupes("item id", ids([r.loc for r in draft.items]))
    yield from dupes("scale id", ids([loc for loc, _ in draft.scales]))
    for owner in [r.loc for r in draft.items] + list(draft.formats.values()):
        for key, kind, id_key in (
            ("choices", "choice value", "value"),
            ("columns", "column id", "id"),
        ):
            children = owner.node.get(key)
            if isinstance(children, LineList):
                locs = [
                    Loc(f"{owner.path}.{key}[{i}]", c)
                    for i, c in enumerate(children)
                    if isinstance(c, LineMap)
                ]
                yield from dupes(kind, ids(locs, id_key))
                if key == "choices":
                    yield from dupes(
                        "choice code",
                        [(v, loc, k) for v, loc, k in ids(locs, "code") if is_number(v)],
                    )
    for loc, _ in draft.scales:
        for key in ("items", "reverse"):
            values = loc.node.get(key)
            if isinstance(values, LineList):
                seen: dict[str, int] = {}
                for index, value in enumerate(values):
                    if isinstance(value, str):
                        if value in seen:
                            yield _p(
                                draft,
                                Code.duplicate_id,
                                f"{loc.path}.{key}[{index}]",
                                _line_of(values, index),
                                kind="scale item",
                                id=value,
                                first=seen[value],
                            )
                        else:
                            seen[value] = values.line_of(index)


def check_version(draft: Draft) -> Iterator[Problem]:
    """INS031: ``version`` is a positive integer."""
    if draft.root is None or "version" not in draft.root.node:
        return
    version = draft.root.node["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        yield _p_at(draft, Code.bad_version, draft.root, "version", got=type_name(version))


def check_file_name(draft: Draft) -> Iterator[Problem]:
    """INS032: a file named ``<something>/<n>.yaml`` is ``<id>/<version>.yaml``."""
    if draft.file is None or draft.root is None:
        return
    path = PurePath(draft.file)
    if path.suffix not in (".yaml", ".yml") or not path.stem.isdigit() or not path.parent.name:
        return
    inst_id, version = draft.root.node.get("id"), draft.root.node.get("version")
    if not isinstance(inst_id, str) or not isinstance(version, int) or isinstance(version, bool):
        return
    if path.parent.name != inst_id or int(path.stem) != version:
        yield _p(
            draft,
            Code.file_name_mismatch,
            "id",
            draft.root.node.line_of("id"),
            name=f"{path.parent.name}/{path.name}",
            expected=f"{inst_id}/{version}{path.suffix}",
        )


def check_locales(draft: Draft) -> Iterator[Problem]:
    """INS037/INS010/INS042: ``locales`` includes ``ru``; every text uses declared locales."""
    if draft.root is None:
        return
    declared: list[str] = ["ru"]
    locales = draft.root.node.get("locales")
    if isinstance(locales, LineList):
        declared = [x for x in locales if isinstance(x, str)]
        if "ru" not in declared:
            declared.append("ru")  # reported once below, not once per text
        for index, locale in enumerate(locales):
            if isinstance(locale, str) and not LOCALE.match(locale):
                yield _p(
                    draft,
                    Code.bad_value,
                    f"locales[{index}]",
                    locales.line_of(index),
                    field="locales",
                    reason=f"contains {locale!r}, which is not a locale code",
                )
        if locales and "ru" not in locales:
            yield _p_at(draft, Code.no_russian_locale, draft.root, "locales")
    shown = ", ".join(declared)
    for path, _line, value in iter_texts(draft):
        if isinstance(value, dict):
            for locale in value:
                if locale not in declared:
                    yield _p(
                        draft,
                        Code.undeclared_locale,
                        f"{path}.{locale}".lstrip("."),
                        _line_of(value, locale),
                        locale=locale,
                        declared=shown,
                        hint="" if LOCALE.match(str(locale)) else _COMMA_HINT,
                    )


def check_russian(draft: Draft) -> Iterator[Problem]:
    """INS009: every text has a non-empty Russian version."""
    for path, line, value in iter_texts(draft):
        if isinstance(value, str):
            if not value.strip():
                yield _p(draft, Code.missing_russian, path.lstrip("."), line)
        elif isinstance(value, dict):
            ru = value.get("ru")
            if not isinstance(ru, str) or not ru.strip():
                yield _p(draft, Code.missing_russian, path.lstrip("."), line)


def check_empty_lists(draft: Draft) -> Iterator[Problem]:
    """INS036: sections, a section's items, a scale's items and locales are not empty."""
    lists: list[tuple[Loc, str]] = []
    if draft.root is not None:
        lists += [(draft.root, "sections"), (draft.root, "locales")]
    lists += [(rsec.loc, "items") for rsec in draft.sections]
    lists += [(loc, "items") for loc, _ in draft.scales]
    for loc, key in lists:
        value = loc.node.get(key)
        if isinstance(value, list) and not value:
            yield _p_at(draft, Code.empty, loc, key, field=key)


# --- the meaning -------------------------------------------------------------------------


def check_ranges(draft: Draft) -> Iterator[Problem]:
    """INS011/INS042: min < max; rating bounds are whole numbers; max_length is positive."""
    for raw in draft.items:
        item = raw.item
        if item is None:
            continue
        key = "max" if "max" in raw.loc.node else "min"
        if item.type in (ItemType.likert, ItemType.battery, ItemType.number):
            if item.min is not None and item.max is not None and item.min >= item.max:
                yield _p_at(draft, Code.bad_range, raw.loc, key, min=item.min, max=item.max)
            if item.type is not ItemType.number:
                for bound in ("min", "max"):
                    value = getattr(item, bound)
                    if value is not None and not float(value).is_integer():
                        yield _p_at(
                            draft,
                            Code.bad_value,
                            raw.loc,
                            bound if bound in raw.loc.node else None,
                            field=bound,
                            reason="must be a whole number for a rating",
                        )
            span = item.max - item.min if item.min is not None and item.max is not None else 0
            if item.type is ItemType.likert and span > 100:
                yield _p_at(
                    draft,
                    Code.bad_value,
                    raw.loc,
                    key,
                    field="max",
                    reason="gives more than 101 scale points",
                )
        short = item.max_length is not None and item.max_length < 1
        if item.type is ItemType.text and short:
            yield _p_at(
                draft,
                Code.bad_value,
                raw.loc,
                "max_length" if "max_length" in raw.loc.node else None,
                field="max_length",
                reason="must be at least 1",
            )


def check_anchors(draft: Draft) -> Iterator[Problem]:
    """INS013: anchor points lie inside the item's range."""
    for raw in draft.items:
        item = raw.item
        if item is None or not item.anchors:
            continue
        bounds = numeric_range(item)
        if bounds is None:
            continue
        lo, hi = bounds
        anchors = raw.fields.get("anchors")
        for point in item.anchors:
            if not lo <= point <= hi:
                if "anchors" in raw.loc.node and isinstance(anchors, LineMap):
                    path, line = f"{raw.loc.path}.anchors[{point}]", anchors.line_of(point)
                else:
                    path, line = f"{raw.loc.path}.anchors[{point}]", raw.loc.line
                yield _p(
                    draft, Code.anchor_out_of_range, path, line, point=point, min=_n(lo), max=_n(hi)
                )


def _n(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def check_choices(draft: Draft) -> Iterator[Problem]:
    """INS014/INS039: single and multi items have choices, all coded or none coded."""
    for raw in draft.items:
        if raw.type not in (ItemType.single, ItemType.multi):
            continue
        choices = raw.fields.get("choices")
        if choices is None or (isinstance(choices, list) and not choices):
            key = "choices" if "choices" in raw.loc.node else None
            yield _p_at(draft, Code.no_choices, raw.loc, key, type=raw.type.value)
        elif raw.item is not None:
            coded = [c.code is not None for c in raw.item.choices]
            if any(coded) and not all(coded):
                yield _p_at(
                    draft,
                    Code.partial_codes,
                    raw.loc,
                    "choices" if "choices" in raw.loc.node else None,
                )


def check_columns(draft: Draft) -> Iterator[Problem]:
    """INS015: battery items have columns."""
    for raw in draft.items:
        if raw.type is not ItemType.battery:
            continue
        columns = raw.fields.get("columns")
        if columns is None or (isinstance(columns, list) and not columns):
            yield _p_at(
                draft, Code.no_columns, raw.loc, "columns" if "columns" in raw.loc.node else None
            )


def check_sum_to(draft: Draft) -> Iterator[Problem]:
    """INS038: ``sum_to`` is only set on sections made of number items."""
    for rsec in draft.sections:
        not_numbers = any(r.type is not ItemType.number for r in rsec.items)
        if "sum_to" in rsec.loc.node and rsec.items and not_numbers:
            yield _p_at(draft, Code.bad_sum_to, rsec.loc, "sum_to")


def _scorable(item: Item) -> bool:
    if item.type is ItemType.battery:
        return True
    return numeric_range(item) is not None or item.type is ItemType.number


def check_scales(draft: Draft) -> Iterator[Problem]:
    """INS016-INS020, INS035, INS012: scales name scorable items of one kind and range.

    A scale's items exist (INS016) and can be scored (INS017); they share one range and
    are all batteries or all single ratings (INS018); a battery scale names its scored
    ``column`` (INS019) and every item has it (INS020); reverse-keyed items belong to the
    scale (INS035) and have a bounded numeric range to reverse (INS012).
    """
    for loc, scale in draft.scales:
        if scale is None:
            continue
        listed = loc.node.get("items")
        found: list[tuple[Item, int]] = []
        for index, item_id in _indexed_ids(listed):
            line = _line_of(listed, index)
            path = f"{loc.path}.items[{index}]"
            raw = draft.first_item(item_id)
            if raw is None:
                yield _p(draft, Code.scale_unknown_item, path, line, item=item_id)
            elif raw.item is not None:
                if not _scorable(raw.item):
                    yield _p(
                        draft,
                        Code.scale_item_not_numeric,
                        path,
                        line,
                        item=item_id,
                        type=raw.item.type.value,
                    )
                else:
                    found.append((raw.item, index))
        batteries = [item for item, _ in found if item.type is ItemType.battery]
        if found:
            signatures = {
                (
                    "battery" if item.type is ItemType.battery else "single rating",
                    numeric_range(item),
                )
                for item, _ in found
            }
            if len(signatures) > 1:
                detail = "; ".join(
                    f"{item.id}: {'battery' if item.type is ItemType.battery else item.type.value} "
                    f"{_range_text(item)}"
                    for item, _ in found
                )
                yield _p_at(draft, Code.scale_mixed, loc, "items", detail=detail)
        if batteries and scale.column is None:
            yield _p_at(
                draft, Code.scale_without_column, loc, "column" if "column" in loc.node else None
            )
        if scale.column is not None:
            for item, _ in found:
                if item.type is ItemType.battery and scale.column not in [
                    c.id for c in item.columns
                ]:
                    yield _p(
                        draft,
                        Code.scale_unknown_column,
                        f"{loc.path}.column",
                        loc.node.line_of("column"),
                        item=item.id,
                        column=scale.column,
                    )
            if not batteries and found:
                yield _p_at(
                    draft,
                    Code.not_applicable,
                    loc,
                    "column",
                    field="column",
                    type="non-battery scale",
                )
        reverse = loc.node.get("reverse")
        for index, item_id in _indexed_ids(reverse):
            line = _line_of(reverse, index)
            path = f"{loc.path}.reverse[{index}]"
            if item_id not in scale.items:
                yield _p(draft, Code.reverse_not_in_scale, path, line, item=item_id)
                continue
            target = draft.model_item(item_id)
            if target is not None and numeric_range(target) is None:
                yield _p(draft, Code.reverse_not_numeric, path, line)


def _indexed_ids(values: Any) -> Iterator[tuple[int, str]]:
    """(index, id) of the string elements of a raw list (others are INS004 problems)."""
    if isinstance(values, list):
        for index, value in enumerate(values):
            if isinstance(value, str):
                yield index, value


def _range_text(item: Item) -> str:
    bounds = numeric_range(item)
    if bounds is None:
        return "unbounded"
    return f"{_n(bounds[0])}..{_n(bounds[1])}"


def check_conditions(draft: Draft) -> Iterator[Problem]:
    """INS025, INS021-INS024, INS026: show_if is well formed and refers back in time.

    A condition is a leaf (``item`` plus exactly one operator) or an ``all``/``any``
    list (INS025).  The item exists (INS021), is not the owner itself (INS023) and comes
    earlier in the questionnaire (INS022; a section's condition must refer to an item of
    an earlier section).  The operator suits the item type (INS026) and the value is
    possible for the item (INS024).
    """
    ops = ", ".join(LEAF_OPS)
    for cond in draft.conditions:
        node = cond.loc.node
        combos = [op for op in ("all", "any") if op in node]
        leaves = [op for op in LEAF_OPS if op in node]
        if len(combos) + len(leaves) != 1:
            present = combos + leaves
            detail = "no operator" if not present else f"several operators ({', '.join(present)})"
            yield _p_at(draft, Code.condition_malformed, cond.loc, None, ops=ops, detail=detail)
            continue
        if combos:
            op = combos[0]
            if "item" in node:
                yield _p_at(
                    draft,
                    Code.condition_malformed,
                    cond.loc,
                    "item",
                    ops=ops,
                    detail=f"'{op}' combines conditions and takes no 'item'",
                )
            elif isinstance(node[op], list) and not node[op]:
                yield _p_at(
                    draft,
                    Code.condition_malformed,
                    cond.loc,
                    op,
                    ops=ops,
                    detail=f"'{op}' needs at least one condition",
                )
            continue
        op = leaves[0]
        target_id = node.get("item")
        if not isinstance(target_id, str):
            continue  # missing or mistyped: INS003/INS004
        raw = draft.first_item(target_id)
        if raw is None:
            yield _p_at(draft, Code.condition_unknown_item, cond.loc, "item", item=target_id)
            continue
        if cond.owner is not None and target_id == cond.owner:
            yield _p_at(draft, Code.condition_self, cond.loc, "item", item=target_id)
            continue
        if raw.pos >= cond.before:
            yield _p_at(draft, Code.condition_later_item, cond.loc, "item", item=target_id)
            continue
        target = raw.item
        if target is None:
            continue
        if op not in OPERATORS[target.type]:
            yield _p_at(draft, Code.condition_bad_op, cond.loc, op, op=op, type=target.type.value)
            continue
        try:
            condition_value(target, op, node[op])
        except _Invalid as exc:
            yield _p_at(
                draft,
                Code.condition_bad_value,
                cond.loc,
                op,
                value=node[op],
                item=target_id,
                **exc.context,
            )


def check_lite(draft: Draft) -> Iterator[Problem]:
    """INS027-INS030, INS040: the Lite plan names battery items and scales, share in [0, 1]."""
    if draft.lite is None:
        return
    loc = draft.lite
    node = loc.node
    share = node.get("share")
    if isinstance(share, (int, float)) and not isinstance(share, bool) and not 0 <= share <= 1:
        yield _p_at(draft, Code.lite_bad_share, loc, "share", share=share)
    linking = node.get("linking")
    linked: set[str] = set()
    if isinstance(linking, LineList):
        for index, item_id in enumerate(linking):
            if not isinstance(item_id, str):
                continue
            linked.add(item_id)
            path, line = f"lite.linking[{index}]", _line_of(linking, index)
            raw = draft.first_item(item_id)
            if raw is None:
                yield _p(draft, Code.lite_unknown_item, path, line, item=item_id)
            elif raw.type is not ItemType.battery:
                yield _p(draft, Code.lite_not_battery, path, line, item=item_id)
    counts = node.get("random_per_scale")
    scales = {scale.id: scale for _, scale in draft.scales if scale is not None}
    if isinstance(counts, LineMap):
        for name, count in counts.items():
            path, line = f"lite.random_per_scale.{name}", _line_of(counts, name)
            scale = scales.get(str(name))
            if scale is None:
                yield _p(draft, Code.lite_unknown_scale, path, line, scale=name)
                continue
            non_battery = [
                i
                for i in scale.items
                if (r := draft.first_item(i)) is not None and r.type is not ItemType.battery
            ]
            for item_id in non_battery:
                yield _p(draft, Code.lite_not_battery, path, line, item=item_id)
            if not isinstance(count, int) or isinstance(count, bool):
                continue
            available = len([i for i in scale.items if i not in linked])
            if count < 0 or count > available:
                yield _p(
                    draft,
                    Code.lite_bad_count,
                    path,
                    line,
                    count=count,
                    scale=name,
                    available=available,
                )


#: Every rule, in the order in which they run.
CHECKS: tuple[Check, ...] = (
    check_document,
    check_duplicate_keys,
    check_required_fields,
    check_field_types,
    check_unknown_fields,
    check_formats,
    check_item_types,
    check_applicable_fields,
    check_ids,
    check_duplicate_ids,
    check_version,
    check_file_name,
    check_locales,
    check_russian,
    check_empty_lists,
    check_ranges,
    check_anchors,
    check_choices,
    check_columns,
    check_sum_to,
    check_scales,
    check_conditions,
    check_lite,
)


def run_checks(draft: Draft) -> list[Problem]:
    """Run every rule of :data:`CHECKS` in order and return all problems found."""
    problems: list[Problem] = []
    for check in CHECKS:
        problems.extend(check(draft))
    return problems


def untranslated(instrument: Instrument, locale: str = "en") -> list[str]:
    """List the texts of an instrument that lack a ``locale`` version.

    This is a report, not a rule: a missing English text is a warning.

    Parameters
    ----------
    instrument : Instrument
        A loaded instrument.
    locale : str, default "en"
        The locale to look for.

    Returns
    -------
    list of str
        Paths such as ``"sections[0].items[2].text"`` or
        ``"sections[1].items[0].anchors[9]"``, in document order.
    """

    def missing(text: Any) -> bool:
        return text is not None and not (isinstance(text.get(locale), str) and text[locale].strip())

    paths: list[str] = []
    for path, text in (("title", instrument.title), ("description", instrument.description)):
        if missing(text):
            paths.append(path)
    for si, section in enumerate(instrument.sections):
        spath = f"sections[{si}]"
        if missing(section.title):
            paths.append(f"{spath}.title")
        if missing(section.help):
            paths.append(f"{spath}.help")
        for ii, item in enumerate(section.items):
            ipath = f"{spath}.items[{ii}]"
            if missing(item.text):
                paths.append(f"{ipath}.text")
            if missing(item.help):
                paths.append(f"{ipath}.help")
            for point in sorted(item.anchors):
                if missing(item.anchors[point]):
                    paths.append(f"{ipath}.anchors[{point}]")
            for ci, choice in enumerate(item.choices):
                if missing(choice.label):
                    paths.append(f"{ipath}.choices[{ci}].label")
            for ci, column in enumerate(item.columns):
                if missing(column.label):
                    paths.append(f"{ipath}.columns[{ci}].label")
    for ci, scale in enumerate(instrument.scales):
        if missing(scale.title):
            paths.append(f"scales[{ci}].title")
    return paths
