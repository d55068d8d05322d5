"""The schema of instrument files, a walker over the raw tree, and a lenient builder.

The loader works in three steps:

1. :func:`instruments._yaml.parse` turns text into a raw tree with line numbers;
2. :func:`build` turns the raw tree into a best-effort :class:`Draft`: the model objects
   it could build plus where each came from (path, line, raw node).  It never fails:
   anything malformed is skipped, because the checks report it;
3. :mod:`instruments.checks` inspects the draft and yields every problem.

Only when there are no problems does the loader hand out ``draft.instrument``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from instruments._coerce import LEAF_OPS
from instruments._coerce import _Invalid
from instruments._coerce import condition_value
from instruments._yaml import LineList
from instruments._yaml import LineMap
from instruments.model import Choice
from instruments.model import Column
from instruments.model import Condition
from instruments.model import Instrument
from instruments.model import Item
from instruments.model import ItemType
from instruments.model import LitePlan
from instruments.model import Scale
from instruments.model import Section
from instruments.model import Text

# --- schema ------------------------------------------------------------------------------

#: Item fields every type accepts.
ITEM_COMMON = ("id", "type", "format", "text", "help", "required", "show_if")

#: Fields that only some item types accept.
TYPE_FIELDS: Mapping[ItemType, frozenset[str]] = {
    ItemType.likert: frozenset({"min", "max", "anchors"}),
    ItemType.battery: frozenset({"min", "max", "anchors", "columns", "na_allowed"}),
    ItemType.nps: frozenset({"anchors"}),
    ItemType.smiley: frozenset({"anchors"}),
    ItemType.number: frozenset({"min", "max", "integer"}),
    ItemType.text: frozenset({"max_length"}),
    ItemType.single: frozenset({"choices"}),
    ItemType.multi: frozenset({"choices"}),
    ItemType.yes_no: frozenset(),
}

#: Fields some item types must have (beyond id, type and text).
TYPE_REQUIRED: Mapping[ItemType, tuple[str, ...]] = {
    ItemType.likert: ("min", "max"),
    ItemType.battery: ("min", "max"),
}

_ITEM_TYPES = {
    "id": "id",
    "type": "str",
    "format": "str",
    "text": "text",
    "help": "text",
    "required": "bool",
    "show_if": "condition",
    "min": "number",
    "max": "number",
    "anchors": "anchors",
    "choices": "list",
    "columns": "list",
    "na_allowed": "bool",
    "max_length": "int",
    "integer": "bool",
}

#: kind -> field -> expected type name (see :func:`type_ok`).
FIELDS: Mapping[str, Mapping[str, str]] = {
    "instrument": {
        "id": "id",
        "version": "version",
        "title": "text",
        "description": "text",
        "locales": "str_list",
        "formats": "mapping",
        "sections": "list",
        "scales": "list",
        "lite": "mapping",
    },
    "format": {
        k: v for k, v in _ITEM_TYPES.items() if k not in ("id", "text", "show_if", "format")
    },
    "section": {
        "id": "id",
        "title": "text",
        "items": "list",
        "help": "text",
        "show_if": "condition",
        "sum_to": "number",
    },
    "item": _ITEM_TYPES,
    "choice": {"value": "str", "label": "text", "code": "number"},
    "column": {"id": "id", "label": "text"},
    "scale": {
        "id": "id",
        "title": "text",
        "items": "str_list",
        "reverse": "str_list",
        "column": "str",
    },
    "lite": {"share": "number", "linking": "str_list", "random_per_scale": "count_map"},
    "condition": {
        "item": "str",
        "eq": "any",
        "ne": "any",
        "in": "any",
        "answered": "any",
        "gt": "any",
        "lt": "any",
        "all": "list",
        "any": "list",
    },
}

REQUIRED: Mapping[str, tuple[str, ...]] = {
    "instrument": ("id", "version", "title", "sections"),
    "format": (),
    "section": ("id", "title", "items"),
    "item": ("id", "type", "text"),
    "choice": ("value", "label"),
    "column": ("id", "label"),
    "scale": ("id", "title", "items"),
    "lite": ("share",),
    "condition": (),
}

EXPECTED = {
    "id": "an identifier (text)",
    "str": "text",
    "text": "a text ({ru: ..., en: ...}) or a string",
    "bool": "true or false",
    "number": "a number",
    "int": "an integer",
    "list": "a list",
    "mapping": "a mapping",
    "str_list": "a list of identifiers",
    "count_map": "a mapping of scale id to a count",
    "anchors": "a mapping of scale point to text",
    "condition": "a condition mapping",
    "version": "a positive integer",
    "any": "anything",
}


def is_number(value: Any) -> bool:
    """True for int/float but not bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def type_ok(expected: str, value: Any) -> bool:
    """Does ``value`` have the shape named by ``expected`` (element checks excluded)?"""
    if expected in ("id", "str"):
        return isinstance(value, str)
    if expected == "text":
        return isinstance(value, (str, dict))
    if expected == "bool":
        return isinstance(value, bool)
    if expected == "number":
        return is_number(value)
    if expected == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected in ("list", "str_list"):
        return isinstance(value, list)
    if expected in ("mapping", "count_map", "anchors", "condition"):
        return isinstance(value, dict)
    return True  # "version" and "any" are checked by dedicated rules


def type_name(value: Any) -> str:
    """English name of a raw YAML value's type."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return f"text {value!r}" if len(value) <= 30 else "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


# --- draft -------------------------------------------------------------------------------


@dataclass
class Loc:
    """Where a raw mapping is: its path and its node (for key lines)."""

    path: str
    node: LineMap

    @property
    def line(self) -> int:
        """Line of the mapping."""
        return self.node.line

    def at(self, key: str) -> tuple[str, int]:
        """Path and line of a field of this mapping."""
        return f"{self.path}.{key}", self.node.line_of(key)


@dataclass
class RawItem:
    """An item as written, with its format merged in, and the model item if buildable."""

    #: position among all items of the file (0-based, in questionnaire order)
    pos: int
    section: int
    loc: Loc
    #: the item's fields with the format's fields underneath
    fields: dict[str, Any]
    id: str | None
    type: ItemType | None
    item: Item | None = None
    #: the named format exists (or none was named)
    format_ok: bool = True


@dataclass
class RawSection:
    """A section as written; ``first_pos`` is the position of its first item."""

    loc: Loc
    first_pos: int
    items: list[RawItem] = field(default_factory=list)


@dataclass
class RawCondition:
    """A show_if mapping (or one of its all/any children) and who owns it."""

    loc: Loc
    #: position before which referenced items must come
    before: int
    #: the owning item's id (None for a section)
    owner: str | None


@dataclass
class Node:
    """A raw mapping of a known kind, for the generic structural checks."""

    kind: str
    loc: Loc
    #: for items: the merged fields and the type (used for type-dependent rules)
    raw_item: RawItem | None = None


@dataclass
class Draft:
    """Everything the checks need: raw tree, best-effort model, and locations."""

    raw: Any
    file: str | None
    instrument: Instrument | None = None
    root: Loc | None = None
    formats: dict[str, Loc] = field(default_factory=dict)
    sections: list[RawSection] = field(default_factory=list)
    items: list[RawItem] = field(default_factory=list)
    scales: list[tuple[Loc, Scale | None]] = field(default_factory=list)
    lite: Loc | None = None
    conditions: list[RawCondition] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)

    def first_item(self, item_id: str) -> RawItem | None:
        """The first raw item with this id."""
        for raw in self.items:
            if raw.id == item_id:
                return raw
        return None

    def model_item(self, item_id: str) -> Item | None:
        """The first buildable model item with this id."""
        raw = self.first_item(item_id)
        return raw.item if raw is not None else None


# --- building ----------------------------------------------------------------------------


def to_text(value: Any) -> dict[str, str]:
    """A text field as a locale mapping (a bare string is Russian)."""
    if isinstance(value, str):
        return {"ru": value}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, str)}
    return {}


def _num(value: Any) -> float | None:
    return value if is_number(value) else None


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def build(raw: Any, file: str | None = None) -> Draft:
    """Build a :class:`Draft` from a parsed document, skipping whatever is malformed."""
    draft = Draft(raw=raw, file=file)
    if not isinstance(raw, LineMap):
        return draft
    root = Loc("", raw)
    draft.root = root
    draft.nodes.append(Node("instrument", root))

    formats = raw.get("formats")
    if isinstance(formats, LineMap):
        for name, node in formats.items():
            if isinstance(node, LineMap):
                loc = Loc(f"formats.{name}", node)
                draft.formats[str(name)] = loc
                draft.nodes.append(Node("format", loc))
                _walk_children(draft, "format", loc)

    sections = raw.get("sections")
    pos = 0
    if isinstance(sections, LineList):
        for si, snode in enumerate(sections):
            if not isinstance(snode, LineMap):
                continue
            sloc = Loc(f"sections[{si}]", snode)
            rsec = RawSection(sloc, pos)
            draft.sections.append(rsec)
            draft.nodes.append(Node("section", sloc))
            items = snode.get("items")
            if isinstance(items, LineList):
                for ii, inode in enumerate(items):
                    if not isinstance(inode, LineMap):
                        continue
                    ritem = _raw_item(draft, inode, Loc(f"{sloc.path}.items[{ii}]", inode), pos, si)
                    rsec.items.append(ritem)
                    draft.items.append(ritem)
                    draft.nodes.append(Node("item", ritem.loc, ritem))
                    _walk_children(draft, "item", ritem.loc)
                    pos += 1

    # conditions after all items exist, so "later" references can be told from unknown ones
    for rsec in draft.sections:
        if "show_if" in rsec.loc.node:
            _collect_conditions(draft, rsec.loc, rsec.first_pos, None)
        for ritem in rsec.items:
            if "show_if" in ritem.loc.node:
                _collect_conditions(draft, ritem.loc, ritem.pos, ritem.id)

    scales = raw.get("scales")
    if isinstance(scales, LineList):
        for ci, cnode in enumerate(scales):
            if isinstance(cnode, LineMap):
                cloc = Loc(f"scales[{ci}]", cnode)
                draft.nodes.append(Node("scale", cloc))
                draft.scales.append((cloc, _build_scale(cnode)))

    lite = raw.get("lite")
    if isinstance(lite, LineMap):
        draft.lite = Loc("lite", lite)
        draft.nodes.append(Node("lite", draft.lite))

    draft.instrument = _build_instrument(draft)
    return draft


def _walk_children(draft: Draft, kind: str, loc: Loc) -> None:
    for key, child_kind in (("choices", "choice"), ("columns", "column")):
        children = loc.node.get(key)
        if isinstance(children, LineList):
            for index, child in enumerate(children):
                if isinstance(child, LineMap):
                    draft.nodes.append(Node(child_kind, Loc(f"{loc.path}.{key}[{index}]", child)))


def _raw_item(draft: Draft, node: LineMap, loc: Loc, pos: int, section: int) -> RawItem:
    fields: dict[str, Any] = {}
    format_ok = True
    fmt = node.get("format")
    if isinstance(fmt, str):
        floc = draft.formats.get(fmt)
        if floc is None:
            format_ok = False
        else:
            fields.update(floc.node)
    fields.update(node)
    item_id = fields.get("id") if isinstance(fields.get("id"), str) else None
    kind = None
    if isinstance(fields.get("type"), str) and fields["type"] in ItemType.__members__:
        kind = ItemType(fields["type"])
    ritem = RawItem(pos, section, loc, fields, item_id, kind, format_ok=format_ok)
    if item_id is not None and kind is not None:
        ritem.item = _build_item(fields, item_id, kind, node.line)
    return ritem


def _build_item(f: dict[str, Any], item_id: str, kind: ItemType, line: int) -> Item:
    lo, hi = _num(f.get("min")), _num(f.get("max"))
    if kind is ItemType.nps:
        lo, hi = 0, 10
    elif kind is ItemType.smiley:
        lo, hi = 1, 4
    anchors: dict[int, Text] = {}
    if isinstance(f.get("anchors"), dict):
        for point, label in f["anchors"].items():
            if isinstance(point, int) and not isinstance(point, bool):
                anchors[point] = to_text(label)
    choices: list[Choice] = []
    if isinstance(f.get("choices"), list):
        for c in f["choices"]:
            if isinstance(c, dict) and isinstance(c.get("value"), str):
                choices.append(Choice(c["value"], to_text(c.get("label")), _num(c.get("code"))))
    columns: list[Column] = []
    if isinstance(f.get("columns"), list):
        for c in f["columns"]:
            if isinstance(c, dict) and isinstance(c.get("id"), str):
                columns.append(Column(c["id"], to_text(c.get("label"))))
    max_length = f.get("max_length")
    return Item(
        id=item_id,
        type=kind,
        text=to_text(f.get("text")),
        required=f["required"] if isinstance(f.get("required"), bool) else True,
        min=lo,
        max=hi,
        anchors=anchors,
        choices=tuple(choices),
        columns=tuple(columns),
        na_allowed=f.get("na_allowed") is True,
        max_length=max_length
        if isinstance(max_length, int) and not isinstance(max_length, bool)
        else None,
        show_if=None,
        help=to_text(f["help"]) if "help" in f else None,
        line=line,
        integer=f.get("integer") is True,
    )


def _collect_conditions(draft: Draft, owner: Loc, before: int, owner_id: str | None) -> None:
    def visit(node: Any, path: str) -> None:
        if not isinstance(node, LineMap):
            return
        loc = Loc(path, node)
        draft.conditions.append(RawCondition(loc, before, owner_id))
        draft.nodes.append(Node("condition", loc))
        for op in ("all", "any"):
            children = node.get(op)
            if isinstance(children, LineList):
                for index, child in enumerate(children):
                    visit(child, f"{path}.{op}[{index}]")

    visit(owner.node.get("show_if"), f"{owner.path}.show_if")


def build_condition(draft: Draft, node: Any) -> Condition | None:
    """A normalised model condition, or None if the mapping is malformed or impossible."""
    if not isinstance(node, dict):
        return None
    combos = [op for op in ("all", "any") if op in node]
    leaves = [op for op in LEAF_OPS if op in node]
    if len(combos) + len(leaves) != 1:
        return None
    if combos:
        op = combos[0]
        if "item" in node or not isinstance(node[op], list) or not node[op]:
            return None
        children = [build_condition(draft, child) for child in node[op]]
        if any(child is None for child in children):
            return None
        return Condition(op=op, conditions=tuple(c for c in children if c is not None))
    op = leaves[0]
    target_id = node.get("item")
    if not isinstance(target_id, str):
        return None
    target = draft.model_item(target_id)
    if target is None:
        return None
    try:
        value = condition_value(target, op, node[op])
    except _Invalid:
        return None
    return Condition(op=op, item=target_id, value=value)


def _build_scale(node: LineMap) -> Scale | None:
    if not isinstance(node.get("id"), str):
        return None
    column = node.get("column")
    return Scale(
        id=node["id"],
        title=to_text(node.get("title")),
        items=_str_tuple(node.get("items")),
        reverse=_str_tuple(node.get("reverse")),
        column=column if isinstance(column, str) else None,
        line=node.line,
    )


def _build_instrument(draft: Draft) -> Instrument:
    raw = draft.raw
    sections: list[Section] = []
    for rsec in draft.sections:
        for ritem in rsec.items:
            if ritem.item is not None and "show_if" in ritem.loc.node:
                cond = build_condition(draft, ritem.loc.node["show_if"])
                ritem.item = dataclasses.replace(ritem.item, show_if=cond)
        snode = rsec.loc.node
        sum_to = _num(snode.get("sum_to"))
        sections.append(
            Section(
                id=snode["id"] if isinstance(snode.get("id"), str) else "",
                title=to_text(snode.get("title")),
                items=tuple(r.item for r in rsec.items if r.item is not None),
                show_if=build_condition(draft, snode["show_if"]) if "show_if" in snode else None,
                line=snode.line,
                sum_to=sum_to,
                help=to_text(snode["help"]) if "help" in snode else None,
            )
        )
    lite = None
    lnode = draft.lite.node if draft.lite is not None else None
    if lnode is not None and is_number(lnode.get("share")):
        counts = lnode.get("random_per_scale")
        lite = LitePlan(
            share=float(lnode["share"]),
            linking=_str_tuple(lnode.get("linking")),
            random_per_scale={
                str(k): v
                for k, v in (counts.items() if isinstance(counts, dict) else ())
                if isinstance(v, int) and not isinstance(v, bool)
            },
        )
    locales = _str_tuple(raw.get("locales")) or ("ru",)
    version = raw.get("version")
    return Instrument(
        id=raw["id"] if isinstance(raw.get("id"), str) else "",
        version=version if isinstance(version, int) and not isinstance(version, bool) else 0,
        title=to_text(raw.get("title")),
        sections=tuple(sections),
        scales=tuple(s for _, s in draft.scales if s is not None),
        description=to_text(raw["description"]) if "description" in raw else None,
        locales=locales,
        lite=lite,
    )


def iter_texts(draft: Draft) -> Iterator[tuple[str, int, Any]]:
    """Every text field written in the file: (path, line, raw value)."""
    for node in draft.nodes:
        spec = FIELDS[node.kind]
        for key, value in node.loc.node.items():
            if spec.get(key) == "text":
                path, line = node.loc.at(key)
                yield path, line, value
            elif spec.get(key) == "anchors" and isinstance(value, LineMap):
                for point, label in value.items():
                    yield f"{node.loc.path}.anchors[{point}]", value.line_of(point), label
