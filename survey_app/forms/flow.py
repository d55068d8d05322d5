"""Page flow of the visitor questionnaire: what each page shows and which page comes next.

Everything a later page needs is a :class:`SurveyState`; the web survey keeps it in a
server-side draft (:mod:`survey_app.services.drafts`) in the encoding of the hidden fields
(:data:`~survey_app.forms.questionnaire.STATE_FIELDS`), and merges it with each posted page
(:func:`posted_page`).  The answers are re-validated at the end by the recording service.

Skip logic works without JavaScript.  One section is one page; between pages the show_if
conditions are evaluated on the server, so items and sections hidden by earlier answers are
never shown.  An item whose condition depends on an answer *on the same page* (nok_culture:
q1 -> q2 on the first page) is shown with a note saying when to answer it ("Answer this if
you answered “Yes” to the previous question"), is not required when its condition turns out
false, and its answer is then discarded.  Splitting such pages was rejected: it would turn
nok_culture's four short pages into nine for every visitor, on a phone.
"""

from __future__ import annotations

import itertools
import json
import math
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from instruments import Condition
from instruments import Instrument
from instruments import InstrumentError
from instruments import Item
from instruments import ItemType
from instruments import Problem
from instruments import Section
from instruments import evaluate
from instruments import validate_answers
from instruments import visible_items
from instruments.pages import split_items
from survey_app.forms.questionnaire import Question
from survey_app.forms.questionnaire import QuestionnaireForm
from survey_app.forms.questionnaire import build_form
from survey_app.forms.questionnaire import field_name
from survey_app.forms.questionnaire import formdata_of
from survey_app.forms.questionnaire import text_of

__all__ = [
    "CHANNELS",
    "Page",
    "SurveyState",
    "advance",
    "page_id",
    "parse_page_id",
    "posted_page",
    "reachable",
    "reopen",
    "show",
    "shown_items",
    "split_items",
    "start",
]

#: channels a visitor's web form can report
CHANNELS = frozenset({"web", "qr"})
#: longest time counted for one page (a phone left on the table overnight counts as a day)
MAX_PAGE_SECONDS = 86400.0
#: most value combinations tried when deciding whether a same-page condition can hold
_MAX_COMBINATIONS = 256
_PART = "~"


@dataclass(frozen=True)
class SurveyState:
    """What is carried from page to page in hidden fields."""

    client_uuid: uuid.UUID
    started_at: datetime
    channel: str
    lite_items: frozenset[str] | None
    answers: Mapping[str, Any]
    timings: Mapping[str, float]
    section: str
    shown_at: datetime
    #: the service point whose poster was scanned (``?sp=``), if any
    service_point: str | None = None

    def hidden_data(self) -> list[tuple[str, str]]:
        """Encode the state as (hidden field name, value) pairs."""
        return [
            ("s-uuid", str(self.client_uuid)),
            ("s-started", self.started_at.isoformat()),
            ("s-channel", self.channel),
            ("s-lite", "" if self.lite_items is None else json.dumps(sorted(self.lite_items))),
            ("s-answers", json.dumps(self.answers, ensure_ascii=False, separators=(",", ":"))),
            ("s-timings", json.dumps(self.timings, separators=(",", ":"))),
            ("s-section", self.section),
            ("s-shown", self.shown_at.isoformat()),
            ("s-sp", self.service_point or ""),
        ]

    def submission(self, campaign: str, library: str, submitted_at: datetime) -> dict[str, Any]:
        """Return the finished form as a JSON submission, exactly as the API would take it."""
        body: dict[str, Any] = {
            "id": str(self.client_uuid),
            "campaign": campaign,
            "library": library,
            "channel": self.channel,
            "started_at": self.started_at.isoformat(),
            "submitted_at": max(submitted_at, self.started_at).isoformat(),
            "answers": dict(self.answers),
            "page_timings": dict(self.timings),
        }
        if self.lite_items is not None:
            body["lite_items"] = sorted(self.lite_items)
        if self.service_point:
            body["service_point"] = self.service_point
        return body

    @classmethod
    def decode(cls, data: Mapping[str, str], instrument: Instrument) -> SurveyState:
        """Decode the hidden fields; raise ``BadRequest`` when they are damaged."""
        try:
            lite_raw = data.get("s-lite", "")
            lite = None if not lite_raw else frozenset(_strings(json.loads(lite_raw)))
            answers = json.loads(data.get("s-answers") or "{}")
            timings = json.loads(data.get("s-timings") or "{}")
            if not isinstance(answers, dict) or not _timings_ok(timings):
                raise ValueError("answers or timings")
            section = data.get("s-section", "")
            parse_page_id(instrument, section)
            channel = data.get("s-channel", "")
            if channel not in CHANNELS:
                raise ValueError("channel")
            return cls(
                client_uuid=uuid.UUID(data.get("s-uuid", "")),
                started_at=_moment(data.get("s-started", "")),
                channel=channel,
                lite_items=lite,
                answers=answers,
                timings={str(k): float(v) for k, v in timings.items()},
                section=section,
                shown_at=_moment(data.get("s-shown", "")),
                service_point=data.get("s-sp") or None,
            )
        except (ValueError, TypeError) as exc:
            raise BadRequest(
                _("This form is damaged or out of date. Please open the survey again.")
            ) from exc


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return value


def _timings_ok(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in value.values()
    )


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("naive timestamp")
    return moment.astimezone(UTC)


@dataclass
class Page:
    """One page to render, or the signal that the questionnaire is complete."""

    state: SurveyState
    instrument: Instrument
    section: Section
    form: QuestionnaireForm | None = None
    questions: list[Question] = field(default_factory=list)
    #: page-level messages (e.g. a 100-point split that does not add up)
    page_errors: list[str] = field(default_factory=list)
    #: position of this page among the pages this visitor will see (1-based), and their count
    number: int = 1
    total: int = 1
    is_first: bool = True
    is_last: bool = False
    #: True when every page is answered: the state holds the final answers
    complete: bool = False
    #: which page of its section this is (0-based) and how many pages the section has
    part: int = 0
    parts: int = 1
    #: the items this page shows
    items: tuple[Item, ...] = ()

    @property
    def page_id(self) -> str:
        """The page's id in URLs and the draft: the section id, ``<section>~2`` for part 2."""
        return page_id(self.section, self.part)

    @property
    def has_errors(self) -> bool:
        """Whether the page shows errors."""
        return bool(self.page_errors) or any(q.errors for q in self.questions)

    @property
    def first_error_id(self) -> str:
        """Id of the input that gets the focus: the first input of the first item in error
        ("" when the page itself is in error, e.g. a sum: the error summary gets the focus)."""
        if self.page_errors:
            return ""
        return next((q.focus_id for q in self.questions if q.errors), "")

    @property
    def fresh(self) -> bool:
        """True for the first page as opened from the link (no page posted yet)."""
        return not self.state.timings

    @property
    def title(self) -> str:
        """The section title in the form's language."""
        return text_of(self.section.title, self.form.locale if self.form else "ru")

    @property
    def help(self) -> str:
        """The section's instructions in the form's language ("" when there are none)."""
        return text_of(self.section.help, self.form.locale if self.form else "ru")


# --- visibility -------------------------------------------------------------------------


def _refs(condition: Condition | None) -> set[str]:
    if condition is None:
        return set()
    if condition.item is not None:
        return {condition.item}
    return set().union(*(_refs(c) for c in condition.conditions)) if condition.conditions else set()


def _domain(item: Item) -> list[Any] | None:
    """Every answer an item can take (``None`` = unanswered), or None when unbounded."""
    if item.type is ItemType.yes_no:
        values: list[Any] = [1, 0]
    elif item.type is ItemType.single:
        values = [c.value for c in item.choices]
    elif item.type is ItemType.multi:
        values = [[c.value] for c in item.choices]
    elif item.type is ItemType.nps:
        values = list(range(0, 11))
    elif item.type is ItemType.smiley:
        values = list(range(1, 5))
    elif item.type is ItemType.likert and item.min is not None and item.max is not None:
        values = list(range(int(item.min), int(item.max) + 1))
    else:
        return None
    return [None, *values]


def _could_show(
    instrument: Instrument,
    item: Item,
    base: Mapping[str, Any],
    pending: Mapping[str, Item],
    lite: frozenset[str] | None,
) -> bool:
    """Whether some answers to the same-page items ``pending`` would make ``item`` visible."""
    domains = []
    for ref in sorted(_refs(item.show_if) & set(pending)):
        domain = _domain(pending[ref])
        if domain is None:
            return True
        domains.append([(ref, value) for value in domain])
    for count, combination in enumerate(itertools.product(*domains)):
        if count >= _MAX_COMBINATIONS:
            return True
        answers = dict(base)
        answers.update({ref: value for ref, value in combination if value is not None})
        if item.id in visible_items(instrument, answers, lite_items=lite):
            return True
    return False


def shown_items(
    instrument: Instrument,
    section: Section,
    answers: Mapping[str, Any],
    lite_items: frozenset[str] | None,
) -> tuple[Item, ...]:
    """Return the items of ``section`` to show, given the answers to the other sections.

    An item is shown when the skip logic shows it given those answers, or when its
    condition depends on items of this same section and some answers to them would show it.
    """
    own = {item.id for item in section.items}
    base = {key: value for key, value in answers.items() if key not in own}
    visible = visible_items(instrument, base, lite_items=lite_items)
    shown: list[Item] = []
    earlier: dict[str, Item] = {}
    for item in section.items:
        depends_on_page = bool(_refs(item.show_if) & set(earlier))
        if item.id in visible or (
            depends_on_page and _could_show(instrument, item, base, earlier, lite_items)
        ):
            shown.append(item)
        earlier[item.id] = item
    return tuple(shown)


def page_id(section: Section, part: int) -> str:
    """The id of part ``part`` (0-based) of a section's pages."""
    return section.id if part == 0 else f"{section.id}{_PART}{part + 1}"


def parse_page_id(instrument: Instrument, value: str) -> tuple[Section, int]:
    """The section and part (0-based) of a page id; ``ValueError`` when there is none."""
    name, _sep, number = value.partition(_PART)
    section = next((s for s in instrument.sections if s.id == name), None)
    if section is None or (number and not (number.isascii() and number.isdigit())):
        raise ValueError(f"no page {value!r}")
    part = int(number) - 1 if number else 0
    if number and part < 1:
        raise ValueError(f"no page {value!r}")
    return section, part


def _section_parts(
    instrument: Instrument,
    section: Section,
    answers: Mapping[str, Any],
    lite: frozenset[str] | None,
) -> list[tuple[Item, ...]]:
    return split_items(shown_items(instrument, section, answers, lite))


def _pages_of(
    instrument: Instrument,
    sections: Sequence[Section],
    answers: Mapping[str, Any],
    lite: frozenset[str] | None,
) -> list[tuple[Section, int]]:
    return [
        (section, part)
        for section in sections
        for part in range(len(_section_parts(instrument, section, answers, lite)))
    ]


def _order(instrument: Instrument, section: Section, part: int) -> tuple[int, int]:
    return instrument.sections.index(section), part


def _sections_shown(
    instrument: Instrument, answers: Mapping[str, Any], lite: frozenset[str] | None
) -> list[Section]:
    return [s for s in instrument.sections if shown_items(instrument, s, answers, lite)]


def _sections_ahead(
    instrument: Instrument,
    answers: Mapping[str, Any],
    lite: frozenset[str] | None,
    current: Section,
) -> list[Section]:
    """Sections shown so far plus those after ``current`` that may still be shown.

    A later section whose conditions depend on questions not answered yet (on this page or
    later) counts, so the page count can shrink as the visitor answers but never grows.
    """
    position = instrument.sections.index(current)
    pending = {item.id for s in instrument.sections[position:] for item in s.items}
    pending -= set(answers)
    counted = []
    for index, section in enumerate(instrument.sections):
        if shown_items(instrument, section, answers, lite):
            counted.append(section)
        elif index > position:
            refs = _refs(section.show_if).union(*(_refs(i.show_if) for i in section.items))
            if refs & pending:
                counted.append(section)
    return counted


def _condition_notes(shown: Sequence[Item], locale: str) -> dict[str, str]:
    """Notes for items whose condition depends on an answer on the same page."""
    notes: dict[str, str] = {}
    position: dict[str, int] = {}
    for index, item in enumerate(shown):
        if _refs(item.show_if) & set(position):
            notes[item.id] = _condition_note(item, index, shown, position, locale)
        position[item.id] = index
    return notes


def _client_condition(
    condition: Condition, page: Mapping[str, str], base: Mapping[str, Any]
) -> dict[str, Any]:
    """The condition as static/questionnaire.js evaluates it: leaves on this page's items
    name their form field; leaves on other pages are already decided (``{"op": "const"}``)."""
    if condition.op in ("all", "any"):
        return {
            "op": condition.op,
            "conditions": [_client_condition(c, page, base) for c in condition.conditions],
        }
    if condition.item is not None and condition.item in page:
        return {"op": condition.op, "field": page[condition.item], "value": condition.value}
    return {"op": "const", "value": evaluate(condition, base) is not False}


def _client_conditions(
    shown: Sequence[Item], notes: Mapping[str, str], answers: Mapping[str, Any]
) -> dict[str, str]:
    """JSON conditions of the items whose condition depends on an answer on their page."""
    page = {item.id: field_name(item.id) for item in shown}
    base = {key: value for key, value in answers.items() if key not in page}
    return {
        item.id: json.dumps(
            _client_condition(item.show_if, page, base), ensure_ascii=False, sort_keys=True
        )
        for item in shown
        if item.id in notes and item.show_if is not None
    }


def _answer_label(item: Item, value: Any, locale: str) -> str:
    if item.type is ItemType.yes_no:
        return _("Yes") if value == 1 else _("No")
    for choice in item.choices:
        if choice.value == value:
            return text_of(choice.label, locale)
    return str(value)


def _condition_note(
    item: Item, index: int, shown: Sequence[Item], position: Mapping[str, int], locale: str
) -> str:
    condition = item.show_if
    ref = condition.item if condition is not None else None
    if condition is None or condition.op not in ("eq", "in") or ref is None or ref not in position:
        return _("Answer this only if it applies to you.")
    controlling = shown[position[ref]]
    values = condition.value if condition.op == "in" else (condition.value,)
    answer = _(" or ").join(
        _("“%(answer)s”", answer=_answer_label(controlling, v, locale)) for v in values
    )
    if position[ref] == index - 1:
        return _("Answer this if you answered %(answer)s to the previous question.", answer=answer)
    question = text_of(controlling.text, locale)
    if len(question) > 80:
        question = question[:77].rstrip() + "…"
    return _(
        "Answer this if you answered %(answer)s to “%(question)s”.",
        answer=answer,
        question=question,
    )


# --- checking a page --------------------------------------------------------------------


def _problem_item(path: str) -> str | None:
    if not path.startswith("answers."):
        return None
    rest = path[len("answers.") :]
    for stop in (".", "["):
        rest = rest.split(stop, 1)[0]
    return rest


def _message(
    problem: Problem, item: Item | None, section: Section, given: float | None = None
) -> str:
    code = str(problem.code)
    if code == "ANS003":
        return _("Please answer this question.")
    if code == "ANS006" and item is not None:
        if item.type is ItemType.number and item.min is not None and item.max is not None:
            return _(
                "Enter a number from %(min)s to %(max)s.",
                min=_plain(item.min),
                max=_plain(item.max),
            )
        return _("Choose one of the options.")
    if code == "ANS007":
        return _("Enter a whole number.")
    if code == "ANS010" and item is not None:
        return _(
            "Please shorten your answer to %(limit)s characters.", limit=item.max_length or 2000
        )
    if code == "ANS011":
        return _("Rate every column, or tick “Not applicable”.")
    if code == "ANS012":
        return _("Either rate the columns or tick “Not applicable”, not both.")
    if code == "ANS014":
        if given is not None:
            return _(
                "The numbers on this page add up to %(given)s; they must add up to %(total)s.",
                given=_plain(given),
                total=_plain(section.sum_to or 0),
            )
        return _(
            "The numbers on this page must add up to %(total)s.", total=_plain(section.sum_to or 0)
        )
    if code == "ANS019":
        return _("Please remove the special characters from your answer.")
    if code in ("ANS004", "ANS005"):
        return (
            _("Enter a number, for example 12.")
            if item and item.type is ItemType.number
            else _("Choose one of the options.")
        )
    return _("Please check this answer.")


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _page_sum(section: Section, answers: Mapping[str, Any]) -> float:
    """The sum of the page's answered numbers, as the visitor entered them."""
    total = 0.0
    for item in section.items:
        value = answers.get(item.id)
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += value
    return total


def _check(
    instrument: Instrument,
    section: Section,
    shown: Sequence[Item],
    answers: Mapping[str, Any],
    lite: frozenset[str] | None,
) -> tuple[dict[str, list[str]], list[str]]:
    """Errors for this page's items (and the page itself) from the instrument's own rules."""
    try:
        validate_answers(instrument, answers, lite_items=lite)
    except InstrumentError as exc:
        problems = exc.problems
    else:
        return {}, []
    on_page = {item.id: item for item in shown}
    errors: dict[str, list[str]] = {}
    page_errors: list[str] = []
    for problem in problems:
        item_id = _problem_item(problem.path)
        if item_id in on_page:
            message = _message(problem, on_page[item_id], section)
            if message not in errors.get(item_id, []):
                errors.setdefault(item_id, []).append(message)
        elif problem.path == f"sections.{section.id}.sum_to":
            page_errors.append(_message(problem, None, section, _page_sum(section, answers)))
    return errors, page_errors


# --- the flow ---------------------------------------------------------------------------


def _render(
    instrument: Instrument,
    state: SurveyState,
    section: Section,
    locale: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    page_errors: Sequence[str] = (),
    part: int = 0,
) -> Page:
    parts = _section_parts(instrument, section, state.answers, state.lite_items)
    part = min(max(part, 0), len(parts) - 1)
    shown = parts[part]
    state = replace(state, section=page_id(section, part))
    form_class = build_form(instrument, section, locale, items=[i.id for i in shown])
    data = MultiDict(state.hidden_data() + formdata_of(shown, state.answers))
    form = form_class(formdata=data)
    sections = _sections_ahead(instrument, state.answers, state.lite_items, section)
    ids = [
        page_id(s, p) for s, p in _pages_of(instrument, sections, state.answers, state.lite_items)
    ]
    here = page_id(section, part)
    number = ids.index(here) + 1 if here in ids else 1
    notes = _condition_notes(shown, locale)
    return Page(
        state=state,
        instrument=instrument,
        section=section,
        form=form,
        questions=form.questions(errors, notes, _client_conditions(shown, notes, state.answers)),
        page_errors=list(page_errors),
        number=number,
        total=max(len(ids), number),
        is_first=number == 1,
        is_last=number >= len(ids),
        part=part,
        parts=len(parts),
        items=tuple(shown),
    )


def start(
    instrument: Instrument,
    *,
    channel: str,
    lite_items: frozenset[str] | None,
    locale: str,
    now: datetime,
    service_point: str | None = None,
) -> Page:
    """Return the first page for a new visitor (a fresh client UUID, ``started_at`` = now)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {sorted(CHANNELS)}")
    sections = _sections_shown(instrument, {}, lite_items)
    if not sections:
        raise ValueError(f"instrument {instrument.id!r} shows no items")
    state = SurveyState(
        client_uuid=uuid.uuid4(),
        started_at=now,
        channel=channel,
        lite_items=lite_items,
        answers={},
        timings={},
        section=sections[0].id,
        shown_at=now,
        service_point=service_point,
    )
    return _render(instrument, state, sections[0], locale)


def advance(
    instrument: Instrument,
    form_data: MultiDict[str, str],
    *,
    locale: str,
    now: datetime,
) -> Page:
    """Take one posted page and return the page to show next (or ``complete``).

    ``nav`` in the form data says what the visitor pressed: ``next`` (the default) checks
    this page and moves on; ``back`` keeps what was typed and goes to the previous page;
    ``lang`` re-renders this page (in the language of the request).
    """
    state = SurveyState.decode(form_data, instrument)
    section, part = parse_page_id(instrument, state.section)
    parts = _section_parts(instrument, section, state.answers, state.lite_items)
    part = min(part, len(parts) - 1)
    shown = parts[part]
    form = build_form(instrument, section, locale, items=[i.id for i in shown])(formdata=form_data)
    form.validate()
    # a section on several pages: this page owns its own statements only
    own = {item.id for item in section.items} if len(parts) == 1 else {i.id for i in shown}
    answers = {k: v for k, v in state.answers.items() if k not in own}
    answers.update(form.answers)
    # answers to same-page items that the page's own answers hide are discarded
    visible = visible_items(instrument, answers, lite_items=state.lite_items)
    answers = {k: v for k, v in answers.items() if k not in own or k in visible}
    timings = dict(state.timings)
    spent = min(max((now - state.shown_at).total_seconds(), 0.0), MAX_PAGE_SECONDS)
    timings[section.id] = round(min(timings.get(section.id, 0.0) + spent, MAX_PAGE_SECONDS), 1)
    state = replace(state, answers=answers, timings=timings, shown_at=now)

    nav = form_data.get("nav", "next")
    pages = _pages_of(
        instrument,
        _sections_shown(instrument, answers, state.lite_items),
        answers,
        state.lite_items,
    )
    here = _order(instrument, section, part)
    if nav == "lang":
        return _render(instrument, state, section, locale, part=part)
    if nav == "back":
        earlier = [(s, p) for s, p in pages if _order(instrument, s, p) < here]
        target, target_part = earlier[-1] if earlier else (section, part)
        return _render(instrument, state, target, locale, part=target_part)

    errors, page_errors = _check(instrument, section, shown, answers, state.lite_items)
    for item_id, messages in form.item_errors.items():
        errors[item_id] = messages  # a syntax error explains more than the rule it breaks
    if errors or page_errors:
        return _render(
            instrument, state, section, locale, errors=errors, page_errors=page_errors, part=part
        )
    later = [(s, p) for s, p in pages if _order(instrument, s, p) > here]
    if not later:
        final = visible_items(instrument, answers, lite_items=state.lite_items)
        done = replace(state, answers={k: v for k, v in answers.items() if k in final})
        return Page(state=done, instrument=instrument, section=section, complete=True)
    return _render(instrument, state, later[0][0], locale, part=later[0][1])


def reachable(instrument: Instrument, state: SurveyState) -> list[str]:
    """Ids of the sections a visitor may open: those shown, up to the current one."""
    section, part = parse_page_id(instrument, state.section)
    current = _order(instrument, section, part)
    shown = _sections_shown(instrument, state.answers, state.lite_items)
    return [
        page_id(s, p)
        for s, p in _pages_of(instrument, shown, state.answers, state.lite_items)
        if _order(instrument, s, p) <= current
    ] or [state.section]


def show(instrument: Instrument, state: SurveyState, section_id: str, *, locale: str) -> Page:
    """Return the page ``section_id`` (a page id) with the answers given so far (no checks)."""
    section, part = parse_page_id(instrument, section_id)
    return _render(instrument, state, section, locale, part=part)


def posted_page(
    state: SurveyState, section_id: str, posted: Iterable[tuple[str, str]]
) -> MultiDict[str, str]:
    """The form data :func:`advance` takes: the stored state, on page ``section_id``, plus
    the posted fields (posted ``s-`` state fields are ignored: the server's state wins)."""
    pairs = [(k, v) for k, v in state.hidden_data() if k != "s-section"]
    pairs.append(("s-section", section_id))
    pairs.extend((k, v) for k, v in posted if not k.startswith("s-"))
    return MultiDict(pairs)


def reopen(
    instrument: Instrument,
    state: SurveyState,
    paths: Iterable[str],
    *,
    locale: str,
) -> Page | None:
    """Show the first page holding a problem the final check found (by problem path).

    Pages are checked as the visitor goes, so this happens only when the carried answers
    were changed on the way.  Returns None when no page can show the problems (they concern
    the submission itself, e.g. a channel the campaign does not accept).
    """
    hit: set[str] = set()
    for path in paths:
        item_id = _problem_item(path)
        for section in instrument.sections:
            if path.startswith(f"sections.{section.id}.") or any(
                item.id == item_id for item in section.items
            ):
                hit.add(section.id)
    for section in instrument.sections:
        if section.id not in hit:
            continue
        parts = _section_parts(instrument, section, state.answers, state.lite_items)
        for part, shown in enumerate(parts):
            errors, page_errors = _check(
                instrument, section, shown, state.answers, state.lite_items
            )
            if errors or page_errors:
                return _render(
                    instrument,
                    state,
                    section,
                    locale,
                    errors=errors,
                    page_errors=page_errors,
                    part=part,
                )
    return None
