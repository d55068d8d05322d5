"""Counts in the page's words with the locale's digit grouping: "2 640 ответов", not "2640".

Flask-Babel's Jinja ``ngettext`` puts the count into ``%(num)d`` as bare digits, while the
tables show numbers through ``format_decimal`` (the ``number`` filter). :func:`ngettext`
replaces the Jinja global: it picks the plural form by the number and writes the number as
the locale writes it (a non-breaking space groups thousands in Russian).
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal
from flask_babel import get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

__all__ = ["ngettext"]


@pass_context
def ngettext(
    context: Context, singular: str, plural: str, num: int | float, **variables: Any
) -> str:
    """The plural form of ``singular``/``plural`` for ``num``, formatted with ``variables``;
    ``%(num)d`` / ``%(num)s`` show ``num`` grouped as in the page's locale."""
    variables.setdefault("num", format_decimal(num))
    text = get_translations().ungettext(singular, plural, num).replace("%(num)d", "%(num)s")
    if context.eval_ctx.autoescape:
        # the catalogue's own text (as Jinja's ngettext marks it); "%" escapes the variables
        return Markup(text) % variables  # nosec B704
    return text % variables
