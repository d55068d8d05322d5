"""A stored response's answers as sentences a person reads before excluding it."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from instruments.model import ItemType
from survey_app.forms.questionnaire import anchor_labels
from survey_app.forms.questionnaire import text_of
from survey_app.services.exclusions import ResponseAnswers


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else str(value)


def answer_lines(found: ResponseAnswers) -> list[tuple[str, str]]:
    """Return ``[(question, answer), ...]`` in questionnaire order, in the page's language."""
    locale = str(get_locale() or "ru")
    instrument = found.instrument
    grouped: dict[str, list[tuple[str, float | None, str | None]]] = {}
    for item_id, column, number, text in found.answers:
        grouped.setdefault(item_id, []).append((column, number, text))
    lines: list[tuple[str, str]] = []
    for item_id, rows in grouped.items():
        try:
            item = instrument.item(item_id)
        except KeyError:
            lines.append((item_id, ", ".join(_number(n) if t is None else t for _c, n, t in rows)))
            continue
        question = text_of(item.text, locale)
        if item.type is ItemType.battery:
            if any(column == "na" for column, _n, _t in rows):
                answer = _("not applicable")
            else:
                values = {column: number for column, number, _t in rows}
                answer = "; ".join(
                    f"{text_of(c.label, locale)}: {_number(values.get(c.id))}" for c in item.columns
                )
        elif item.type in (ItemType.single, ItemType.multi):
            labels = {c.value: text_of(c.label, locale) for c in item.choices}
            answer = "; ".join(labels.get(t or "", t or "") for _c, _n, t in rows)
        elif item.type is ItemType.yes_no:
            answer = _("yes") if rows[0][1] == 1 else _("no")
        elif item.type is ItemType.text:
            answer = rows[0][2] or ""
        else:
            number = rows[0][1]
            answer = _number(number)
            anchor = anchor_labels(item, locale).get(int(number)) if number is not None else None
            if anchor:
                answer = f"{answer} — {anchor}"
        lines.append((question, answer))
    return lines
