"""Frozen data model of a questionnaire (an *instrument*).

This module is the contract between the instrument files, the web layer and the
analysis: everything here is plain, immutable data.  Texts are mappings from a locale
code (``"ru"`` is required, ``"en"`` optional) to a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import Any

#: A translated text: locale code -> string. ``"ru"`` is always present.
Text = Mapping[str, str]


class ItemType(StrEnum):
    """The kinds of question an instrument can ask."""

    likert = "likert"  #: integer rating ``min``..``max`` with labelled anchors
    yes_no = "yes_no"  #: stored as 1 (yes) / 0 (no)
    single = "single"  #: one of ``choices``
    multi = "multi"  #: any subset of ``choices``
    nps = "nps"  #: 0..10 "would you recommend"
    smiley = "smiley"  #: four faces, 1 (very unhappy) .. 4 (very happy)
    number = "number"  #: a number within optional ``min``/``max``
    text = "text"  #: free text, at most ``max_length`` characters
    battery = "battery"  #: one statement rated in several ``columns`` (gap batteries)


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a single/multi choice item; ``value`` is what is stored."""

    value: str
    label: Text
    #: numeric code for analysis (e.g. sex 1/2); ``None`` when the choice is nominal only
    code: float | None = None

    def __hash__(self) -> int:
        # texts are dicts, so the generated hash would fail; equal objects share these keys
        return hash(("Choice", self.value, self.code))


@dataclass(frozen=True, slots=True)
class Column:
    """One rating column of a battery (e.g. ``minimum``, ``desired``, ``perceived``)."""

    id: str
    label: Text

    def __hash__(self) -> int:
        # texts are dicts, so the generated hash would fail; equal objects share these keys
        return hash(("Column", self.id))


@dataclass(frozen=True, slots=True)
class Condition:
    """Skip logic: show an item/section only when an earlier answer matches.

    Exactly one of the shapes is used:

    * a leaf: ``item`` with ``op`` in ``{"eq", "ne", "in", "answered", "gt", "lt"}`` and ``value``;
    * a combination: ``op`` in ``{"all", "any"}`` with ``conditions``.
    """

    op: str
    item: str | None = None
    value: Any = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """One question."""

    id: str
    type: ItemType
    text: Text
    required: bool = True
    #: rating range for likert/battery/number/nps/smiley (nps 0..10, smiley 1..4 implied)
    min: float | None = None
    max: float | None = None
    #: labels of some scale points, e.g. {1: {"ru": "совсем не согласен"}, 7: {...}}
    anchors: Mapping[int, Text] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    columns: tuple[Column, ...] = ()
    #: battery: the respondent may answer "not applicable" instead of the columns
    na_allowed: bool = False
    max_length: int | None = None
    show_if: Condition | None = None
    help: Text | None = None
    #: line in the source file (for error messages); 0 when built in code
    line: int = 0
    #: number items only: the answer must be a whole number
    integer: bool = False

    def __hash__(self) -> int:
        # texts are dicts, so the generated hash would fail; equal objects share these keys
        return hash(("Item", self.id, self.type))


@dataclass(frozen=True, slots=True)
class Section:
    """A page of the questionnaire."""

    id: str
    title: Text
    items: tuple[Item, ...]
    show_if: Condition | None = None
    line: int = 0
    #: when set, the answered number items of this section must add up to this total
    #: (e.g. a 100-point importance split); unanswered items count as 0
    sum_to: float | None = None
    #: instructions shown at the top of the page
    help: Text | None = None

    def __hash__(self) -> int:
        # texts are dicts, so the generated hash would fail; equal objects share these keys
        return hash(("Section", self.id, len(self.items)))


@dataclass(frozen=True, slots=True)
class Scale:
    """A dimension: which items form it, which are reverse-keyed.

    For a battery the scale names the ``column`` that is scored (e.g. ``perceived``);
    the analysis key of such an item is ``"<item>:<column>"``.
    """

    id: str
    title: Text
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    column: str | None = None
    line: int = 0

    def __hash__(self) -> int:
        # texts are dicts, so the generated hash would fail; equal objects share these keys
        return hash(("Scale", self.id, self.items, self.column))


@dataclass(frozen=True, slots=True)
class LitePlan:
    """LibQUAL-Lite style item sampling for a battery instrument.

    Every Lite respondent gets the ``linking`` items and ``random_per_scale[scale]``
    further items drawn from each scale; ``share`` of respondents get the Lite form.
    """

    share: float
    linking: tuple[str, ...]
    random_per_scale: Mapping[str, int]

    def __hash__(self) -> int:
        # texts are dicts, so the generated hash would fail; equal objects share these keys
        return hash(("LitePlan", self.share, self.linking))


@dataclass(frozen=True, slots=True)
class Instrument:
    """A versioned questionnaire. Immutable once published."""

    id: str
    version: int
    title: Text
    sections: tuple[Section, ...]
    scales: tuple[Scale, ...] = ()
    description: Text | None = None
    locales: tuple[str, ...] = ("ru",)
    lite: LitePlan | None = None
    #: sha256 hex digest of the canonical content (not of the file bytes)
    sha256: str = ""

    def __hash__(self) -> int:
        # texts are dicts, so the generated hash would fail; equal objects share these keys
        return hash(("Instrument", self.id, self.version, self.sha256))

    @property
    def items(self) -> tuple[Item, ...]:
        """All items in questionnaire order."""
        return tuple(item for section in self.sections for item in section.items)

    @property
    def battery_ids(self) -> frozenset[str]:
        """Ids of the battery items: those a Lite form samples, all offered by the full form."""
        return frozenset(item.id for item in self.items if item.type is ItemType.battery)

    def item(self, item_id: str) -> Item:
        """Return the item with this id (``KeyError`` if there is none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def analysis_keys(self) -> tuple[str, ...]:
        """Keys of the numeric answer vector in a fixed order.

        One key per numeric item (``"q1"``) and one per battery column
        (``"AS1:perceived"``).  Multi-choice, text and nominal single-choice items
        have no key.  The web layer stores each response's numeric answers in this
        order so that per-library statistics can be computed from packed vectors.
        """
        keys: list[str] = []
        for item in self.items:
            if item.type is ItemType.battery:
                keys.extend(f"{item.id}:{column.id}" for column in item.columns)
            elif (
                item.type in NUMERIC_TYPES
                or item.type is ItemType.single
                and all(c.code is not None for c in item.choices)
            ):
                keys.append(item.id)
        return tuple(keys)


#: Item types whose answer is one number.
NUMERIC_TYPES = frozenset(
    {ItemType.likert, ItemType.yes_no, ItemType.nps, ItemType.smiley, ItemType.number}
)
