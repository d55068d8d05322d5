"""The visitor questionnaire: one WTForms form class per page, composed from the instrument.

WTForms "dynamic form composition": :func:`build_form` makes a :class:`QuestionnaireForm`
subclass for one section, adding the fields each item needs through the
:data:`FIELD_BUILDERS` registry (one :class:`FieldBuilder` per :class:`ItemType`).  A builder
knows three things about its item type:

* ``fields``: which WTForms fields it needs (a battery needs one per column plus N/A);
* ``read``: how to turn the posted strings back into an answer in the shape
  :func:`instruments.validate_answers` and the JSON API take (``1``/``0``, ``"choice"``,
  ``["a", "b"]``, ``{"minimum": 5, "perceived": 7}`` or ``{"na": True}``);
* ``write``: the inverse, answer -> form data, used to pre-fill a page when the visitor goes
  back and to carry answers between pages.

Forms check syntax only (is this a number?); the instrument's rules (ranges, required items,
skip logic, sums) are checked by :func:`instruments.validate_answers` in
:mod:`survey_app.forms.flow` and again, for the whole response, by the recording service.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from typing import ClassVar

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import Field
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from instruments.model import Instrument
from instruments.model import Item
from instruments.model import ItemType
from instruments.model import Section
from survey_app.services.instruments import text_of

__all__ = [
    "FIELD_BUILDERS",
    "FieldBuilder",
    "Question",
    "QuestionnaireForm",
    "build_form",
    "field_name",
    "formdata_of",
    "text_of",
]

#: free text limit when the item sets none (the instrument validator uses the same default)
DEFAULT_TEXT_LIMIT = 2000
#: battery answer key for "not applicable"
NA = "na"

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")


def field_name(item_id: str, column: str | None = None) -> str:
    """Return the form field name of an item, or of one column (or ``na``) of a battery.

    The name is the item id (as in the API's answers), except for the rare id that is also
    an attribute of a WTForms form (``data``, ``errors`` ...), which gets an ``item-`` prefix.
    Columns are ``<item>-<column>``: item ids cannot contain ``-``, so no name can clash.
    """
    base = f"item-{item_id}" if item_id in _FORM_ATTRIBUTES else item_id
    return base if column is None else f"{base}-{column}"


def _number_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rating_range(item: Item) -> range:
    if item.type is ItemType.nps:
        return range(0, 11)
    if item.type is ItemType.smiley:
        return range(1, 5)
    lo = int(item.min if item.min is not None else 1)
    hi = int(item.max if item.max is not None else 5)
    return range(lo, hi + 1)


def _default_anchors(item: Item, locale: str) -> dict[int, str]:
    if item.type is ItemType.nps:
        return {0: _("Not at all likely"), 10: _("Extremely likely")}
    if item.type is ItemType.smiley:
        return {1: _("Very unhappy"), 2: _("Unhappy"), 3: _("Happy"), 4: _("Very happy")}
    return {}


def anchor_labels(item: Item, locale: str) -> dict[int, str]:
    """Return the labelled points of a rating item (the item's own anchors win)."""
    labels = _default_anchors(item, locale)
    labels.update({int(point): text_of(text, locale) for point, text in item.anchors.items()})
    return labels


# --- readers: posted strings -> answer (None = not answered) and a syntax error ------------


Reading = tuple[Any, str | None]


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _read_rating(item: Item, form: QuestionnaireForm) -> Reading:
    raw = form[field_name(item.id)].data
    if _blank(raw):
        return None, None
    try:
        return int(str(raw).strip()), None
    except ValueError:
        return None, _("Choose one of the options.")


def _read_yes_no(item: Item, form: QuestionnaireForm) -> Reading:
    raw = form[field_name(item.id)].data
    if _blank(raw):
        return None, None
    if raw in ("1", "0"):
        return int(raw), None
    return None, _("Choose one of the options.")


def _read_single(item: Item, form: QuestionnaireForm) -> Reading:
    raw = form[field_name(item.id)].data
    return (None, None) if _blank(raw) else (str(raw).strip(), None)


def _read_multi(item: Item, form: QuestionnaireForm) -> Reading:
    raw = [str(v).strip() for v in (form[field_name(item.id)].data or []) if not _blank(v)]
    if not raw:
        return None, None
    order = {choice.value: index for index, choice in enumerate(item.choices)}
    # unknown values are kept (at the end) so that the instrument validator reports them
    return sorted(dict.fromkeys(raw), key=lambda v: order.get(v, len(order))), None


def _parse_number(raw: str) -> int | float | None:
    text = raw.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if not _NUMBER.match(text):
        return None
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _read_number(item: Item, form: QuestionnaireForm) -> Reading:
    raw = form[field_name(item.id)].data
    if _blank(raw):
        return None, None
    number = _parse_number(str(raw))
    if number is None:
        return None, _("Enter a number, for example 12.")
    return number, None


def _read_text(item: Item, form: QuestionnaireForm) -> Reading:
    raw = form[field_name(item.id)].data
    if _blank(raw):
        return None, None
    text = unicodedata.normalize("NFC", str(raw).replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip(), None


def _read_battery(item: Item, form: QuestionnaireForm) -> Reading:
    answer: dict[str, Any] = {}
    error = None
    for column in item.columns:
        raw = form[field_name(item.id, column.id)].data
        if _blank(raw):
            continue
        try:
            answer[column.id] = int(str(raw).strip())
        except ValueError:
            error = _("Choose one of the options.")
    if item.na_allowed and form[field_name(item.id, NA)].data:
        answer[NA] = True
    return (answer or None), error


# --- writers: answer -> form data -----------------------------------------------------------


def _write_scalar(item: Item, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    return [(field_name(item.id), value if isinstance(value, str) else _number_text(value))]


def _write_multi(item: Item, value: Any) -> list[tuple[str, str]]:
    if not value:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    return [(field_name(item.id), str(v)) for v in values]


def _write_battery(item: Item, value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, Mapping):
        return []
    pairs = [
        (field_name(item.id, column.id), _number_text(value[column.id]))
        for column in item.columns
        if value.get(column.id) is not None
    ]
    if value.get(NA):
        pairs.append((field_name(item.id, NA), "y"))
    return pairs


# --- field factories -----------------------------------------------------------------------


def _radio(item: Item, choices: list[tuple[str, str]], locale: str) -> dict[str, Field]:
    # choice validation is the instrument's job (it reports every problem with a code)
    return {
        field_name(item.id): RadioField(
            text_of(item.text, locale), choices=choices, validate_choice=False
        )
    }


def _fields_rating(item: Item, locale: str) -> dict[str, Field]:
    return _radio(item, [(str(v), str(v)) for v in _rating_range(item)], locale)


def _fields_smiley(item: Item, locale: str) -> dict[str, Field]:
    labels = anchor_labels(item, locale)
    return _radio(item, [(str(v), labels.get(v, str(v))) for v in _rating_range(item)], locale)


def _fields_yes_no(item: Item, locale: str) -> dict[str, Field]:
    return _radio(item, [("1", _("Yes")), ("0", _("No"))], locale)


def _fields_single(item: Item, locale: str) -> dict[str, Field]:
    return _radio(item, [(c.value, text_of(c.label, locale)) for c in item.choices], locale)


def _fields_multi(item: Item, locale: str) -> dict[str, Field]:
    return {
        field_name(item.id): SelectMultipleField(
            text_of(item.text, locale),
            choices=[(c.value, text_of(c.label, locale)) for c in item.choices],
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            validate_choice=False,
        )
    }


def _fields_number(item: Item, locale: str) -> dict[str, Field]:
    # type="text" + inputmode, not type="number": a Russian keyboard types "3,5", which
    # type="number" silently drops in some browsers; the server parses both separators
    return {
        field_name(item.id): StringField(
            text_of(item.text, locale),
            render_kw={
                "inputmode": "numeric" if item.integer else "decimal",
                "autocomplete": "off",
            },
        )
    }


def _fields_text(item: Item, locale: str) -> dict[str, Field]:
    limit = item.max_length if item.max_length is not None else DEFAULT_TEXT_LIMIT
    return {
        field_name(item.id): TextAreaField(
            text_of(item.text, locale), render_kw={"maxlength": str(limit), "rows": "4"}
        )
    }


def _fields_battery(item: Item, locale: str) -> dict[str, Field]:
    # one row of rating tiles per column (a radio group, like a likert item), not a dropdown:
    # one tap instead of two, and the same tap targets as every other scale
    options = [(str(v), str(v)) for v in _rating_range(item)]
    fields: dict[str, Field] = {
        field_name(item.id, column.id): RadioField(
            text_of(column.label, locale), choices=options, validate_choice=False
        )
        for column in item.columns
    }
    if item.na_allowed:
        fields[field_name(item.id, NA)] = BooleanField(_("Not applicable"))
    return fields


@dataclass(frozen=True, slots=True)
class FieldBuilder:
    """How one item type becomes form fields, and how posted data becomes an answer."""

    #: (item, locale) -> {field name: unbound WTForms field}
    fields: Callable[[Item, str], dict[str, Field]]
    #: (item, bound form) -> (answer or None when unanswered, syntax error message or None)
    read: Callable[[Item, QuestionnaireForm], Reading]
    #: (item, answer) -> [(field name, posted string)], the inverse of ``read``
    write: Callable[[Item, Any], list[tuple[str, str]]]


#: One builder per item type; a test checks that every ItemType has one.
FIELD_BUILDERS: Mapping[ItemType, FieldBuilder] = MappingProxyType(
    {
        ItemType.likert: FieldBuilder(_fields_rating, _read_rating, _write_scalar),
        ItemType.yes_no: FieldBuilder(_fields_yes_no, _read_yes_no, _write_scalar),
        ItemType.single: FieldBuilder(_fields_single, _read_single, _write_scalar),
        ItemType.multi: FieldBuilder(_fields_multi, _read_multi, _write_multi),
        ItemType.nps: FieldBuilder(_fields_rating, _read_rating, _write_scalar),
        ItemType.smiley: FieldBuilder(_fields_smiley, _read_rating, _write_scalar),
        ItemType.number: FieldBuilder(_fields_number, _read_number, _write_scalar),
        ItemType.text: FieldBuilder(_fields_text, _read_text, _write_scalar),
        ItemType.battery: FieldBuilder(_fields_battery, _read_battery, _write_battery),
    }
)


@dataclass(frozen=True, slots=True)
class Question:
    """What a template needs to render one item (fields are looked up on the form by name)."""

    item: Item
    text: str
    help: str
    #: messages shown next to the item (and in the error summary)
    errors: tuple[str, ...]
    #: "answer only if ..." note for an item whose condition depends on this same page
    condition: str
    #: labelled scale points: value -> text (anchors, smiley names)
    anchors: Mapping[int, str]
    #: the column fields of a battery: (field name, column label)
    columns: tuple[tuple[str, str], ...] = ()
    #: JSON of the same-page condition for static/questionnaire.js ("" = always shown)
    show_if: str = ""
    #: one of the numbers of a page whose numbers must add up (never labelled "optional")
    sum_part: bool = False

    @property
    def optional(self) -> bool:
        """Whether the label says "optional" (not for the parts of an enforced sum)."""
        return not self.item.required and not self.sum_part

    @property
    def kind(self) -> str:
        """The item type as a string, to pick the template macro."""
        return self.item.type.value

    @property
    def name(self) -> str:
        """The field name of the item (of its N/A box for a battery)."""
        if self.item.type is ItemType.battery:
            return field_name(self.item.id, NA)
        return field_name(self.item.id)

    @property
    def dom_id(self) -> str:
        """Prefix of the ids of this item's elements (error and hint paragraphs)."""
        return f"q-{self.item.id}"

    @property
    def described_by(self) -> str:
        """Ids of the help, condition and error paragraphs of this item, for aria-describedby."""
        parts = [
            f"{self.dom_id}-{suffix}"
            for suffix, present in (
                ("help", self.help),
                ("cond", self.condition),
                ("error", self.errors),
            )
            if present
        ]
        return " ".join(parts)

    @property
    def short_text(self) -> str:
        """The question text cut to about 60 characters, for the error summary."""
        return self.text if len(self.text) <= 60 else self.text[:57].rstrip() + "…"

    @property
    def focus_id(self) -> str:
        """The id of the first input of this item (error-summary links point here)."""
        kind = self.item.type
        if kind is ItemType.battery:
            # the first tile of the first column (the N/A box when there are no columns)
            return f"{self.columns[0][0]}-0" if self.columns else self.name
        if kind in (ItemType.number, ItemType.text):
            return self.name
        return f"{self.name}-0"


#: names of the hidden fields that carry the survey state between pages; the ``s-`` prefix
#: keeps them apart from item fields (item ids cannot contain ``-``)
STATE_FIELDS = (
    "s-uuid",  # random per filled-in form: makes a double submission store one response
    "s-started",  # server time of the first page
    "s-channel",  # "qr" or "web"
    "s-lite",  # JSON list of the battery items drawn for a Lite form, or empty
    "s-answers",  # JSON answers of the pages done so far
    "s-timings",  # JSON seconds spent per page so far
    "s-section",  # id of the section this page shows
    "s-shown",  # server time at which this page was rendered
    "s-sp",  # code of the service point whose poster was scanned, or empty
)


class QuestionnaireForm(FlaskForm):
    """Base of every page form: the items' fields plus the state carried between pages.

    Nothing in the state identifies the visitor: the UUID is random per filled-in form and
    the timestamps are the server's own clock.
    """

    #: set by :func:`build_form`
    instrument: ClassVar[Instrument]
    page: ClassVar[Section]
    page_items: ClassVar[tuple[Item, ...]]
    locale: ClassVar[str]

    #: filled by :meth:`validate`
    answers: dict[str, Any]
    item_errors: dict[str, list[str]]

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        """Run WTForms' validation (CSRF), then read every item; True when all parsed."""
        valid = super().validate(extra_validators)
        self.answers, self.item_errors = self.read_answers()
        return valid and not self.item_errors

    def read_answers(self) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Return (answers of this page's answered items, syntax errors by item id)."""
        answers: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for item in self.page_items:
            value, error = FIELD_BUILDERS[item.type].read(item, self)
            if error is not None:
                errors.setdefault(item.id, []).append(error)
            elif value is not None:
                answers[item.id] = value
        return answers, errors

    def state_data(self) -> dict[str, str]:
        """Return the posted values of the hidden state fields."""
        return {name: self[name].data or "" for name in STATE_FIELDS}

    def questions(
        self,
        errors: Mapping[str, Iterable[str]] | None = None,
        conditions: Mapping[str, str] | None = None,
        show_if: Mapping[str, str] | None = None,
    ) -> list[Question]:
        """Return the view of each item on this page, with its errors and conditional note
        (and, for a condition on this same page, its JSON for the browser)."""
        errors = errors or {}
        conditions = conditions or {}
        show_if = show_if or {}
        in_sum = self.page.sum_to is not None
        return [
            Question(
                item=item,
                text=text_of(item.text, self.locale),
                help=text_of(item.help, self.locale),
                errors=tuple(errors.get(item.id, ())),
                condition=conditions.get(item.id, ""),
                anchors=MappingProxyType(anchor_labels(item, self.locale)),
                columns=tuple(
                    (field_name(item.id, c.id), text_of(c.label, self.locale)) for c in item.columns
                ),
                show_if=show_if.get(item.id, ""),
                sum_part=in_sum and item.type is ItemType.number,
            )
            for item in self.page_items
        ]


#: attributes of a form instance an item field must not shadow (see :func:`field_name`)
_FORM_ATTRIBUTES = frozenset(dir(QuestionnaireForm)) | {
    "answers",
    "item_errors",
    "instrument",
    "page",
    "page_items",
    "locale",
    "csrf_token",
    "meta",
    "data",
    "errors",
    "form_errors",
    "nav",
}


def formdata_of(items: Iterable[Item], answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the form data that pre-fills ``items`` with ``answers`` (the inverse of reading)."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        if item.id in answers:
            pairs.extend(FIELD_BUILDERS[item.type].write(item, answers[item.id]))
    return pairs


def build_form(
    instrument: Instrument,
    section: Section | str,
    locale: str,
    *,
    items: Iterable[str] | None = None,
) -> type[QuestionnaireForm]:
    """Compose the form class of one page: the fields of ``section``'s items.

    ``items`` limits the page to these item ids (those hidden by earlier answers or not drawn
    for a Lite form are left out); the default is every item of the section.
    Raises ``KeyError`` for an unknown section.
    """
    if isinstance(section, str):
        section = {s.id: s for s in instrument.sections}[section]
    wanted = None if items is None else set(items)
    chosen = tuple(i for i in section.items if wanted is None or i.id in wanted)
    attrs: dict[str, Any] = {name: HiddenField() for name in STATE_FIELDS}
    for item in chosen:
        attrs.update(FIELD_BUILDERS[item.type].fields(item, locale))
    attrs.update(instrument=instrument, page=section, page_items=chosen, locale=locale)
    return type(f"PageForm_{section.id}", (QuestionnaireForm,), attrs)
