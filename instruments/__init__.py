"""Questionnaire definitions ("instruments"): the model, the YAML loader and its checks,
and the validation of respondents' answers.

A pure package: it imports only the standard library and PyYAML.  The file format is
described in ``docs/instrument-format.md``.
"""

from __future__ import annotations

from instruments._coerce import cell_number
from instruments._coerce import evaluate
from instruments.answers import AnswerRow
from instruments.answers import Answers
from instruments.answers import draw_lite_items
from instruments.answers import skip_logic
from instruments.answers import validate_answers
from instruments.answers import visible_items
from instruments.checks import untranslated
from instruments.errors import Code
from instruments.errors import InstrumentError
from instruments.errors import Problem
from instruments.errors import first_problems
from instruments.loader import bundled_paths
from instruments.loader import check
from instruments.loader import load
from instruments.loader import load_all
from instruments.loader import load_text
from instruments.model import NUMERIC_TYPES
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

__all__ = [
    "NUMERIC_TYPES",
    "AnswerRow",
    "Answers",
    "Choice",
    "Code",
    "Column",
    "Condition",
    "Instrument",
    "InstrumentError",
    "Item",
    "ItemType",
    "LitePlan",
    "Problem",
    "Scale",
    "Section",
    "Text",
    "bundled_paths",
    "cell_number",
    "check",
    "draw_lite_items",
    "evaluate",
    "first_problems",
    "load",
    "load_all",
    "load_text",
    "skip_logic",
    "untranslated",
    "validate_answers",
    "visible_items",
]
