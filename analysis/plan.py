"""The analysis plan: which statistics an instrument calls for, as plain data.

An :class:`AnalysisPlan` names the numeric answer keys of one instrument version and what
each is analysed as (item means, top-2-box shares, NPS, smiley index, scales with their
reverse-keyed items, gap and SERVQUAL batteries, the NOK questions). The application derives
it from an instrument (``survey_app.services.analysis_plan``); this package never sees the
instrument itself, so the plan is the whole contract between the two.

The plan is consumed by the two paths that compute every statistic once
(``docs/analysis-architecture.md``): :func:`analysis.plan_tables.tables_from_rows` (the
analysis functions on wide rows) and :class:`analysis.accumulator.Accumulator` followed by
:func:`analysis.plan_tables.tables_from_stats` (sufficient statistics per group).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

__all__ = [
    "GAP3_COLUMNS",
    "MAX_BINS",
    "NA_COLUMN",
    "NOK_QUESTIONS",
    "SERVQUAL_COLUMNS",
    "SERVQUAL_POINTS",
    "TOP_BOX",
    "AnalysisPlan",
    "GapSpec",
    "ScaleSpec",
    "ServqualSpec",
]

#: the 344n culture questions (yes = 1, no = 0) and the skip filters of analysis.nok_scores
NOK_QUESTIONS: tuple[str, ...] = tuple(f"q{k}" for k in range(1, 15))
#: how many top scale points count as "satisfied" for a rating item (top-2 box)
TOP_BOX = 2
#: the battery pseudo-column of the wide format holding the N/A tick
NA_COLUMN = "na"
GAP3_COLUMNS = ("minimum", "desired", "perceived")
SERVQUAL_COLUMNS = ("expectation", "perception")
#: the points a SERVQUAL respondent shares out over the dimensions
SERVQUAL_POINTS = 100.0
#: keys whose answers are whole numbers in a range narrower than this get dense histograms
MAX_BINS = 1001


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """A scale as :func:`analysis.cronbach_alpha` and ``describe_dimensions`` take it."""

    id: str
    #: analysis keys of the items (``"AS1:perceived"`` for a battery column)
    items: tuple[str, ...]
    #: the reverse-keyed keys among ``items``
    reverse: tuple[str, ...]
    #: declared (min, max) of every item key
    ranges: Mapping[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class GapSpec:
    """A LibQUAL-style minimum/desired/perceived battery (:func:`analysis.gap_scores`)."""

    items: tuple[str, ...]
    #: dimension id -> battery item ids (the instrument's scales over the battery)
    dimensions: Mapping[str, tuple[str, ...]]
    #: whether the items offer "not applicable" (the wide format then has ``<item>:na``)
    na_allowed: bool


@dataclass(frozen=True, slots=True)
class ServqualSpec:
    """An expectation/perception battery (:func:`analysis.servqual_scores`)."""

    dimensions: Mapping[str, tuple[str, ...]]
    scale_range: tuple[float, float]
    #: negatively worded items (the scales' reverse-keyed items), recoded before the gap
    reverse: tuple[str, ...]
    #: dimension -> number item holding the respondent's importance points, if the
    #: instrument asks for a 100-point split over exactly these dimensions
    weight_columns: Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class AnalysisPlan:
    """Everything the analysis needs to know about one instrument version, as plain data."""

    instrument_id: str
    version: int
    #: the numeric answer vector's keys, in order (``Instrument.analysis_keys``)
    keys: tuple[str, ...]
    #: declared (or implied) answer range of each key that has one
    ranges: Mapping[str, tuple[float, float]]
    #: key -> item type (``"likert"``, ``"battery"``, ...)
    kinds: Mapping[str, str]
    #: keys described by mean, sd, median and t interval (ratings, numbers, battery columns)
    means: tuple[str, ...]
    #: rating key -> threshold of the top-2 box ("satisfied")
    ratings: Mapping[str, float]
    yes_no: tuple[str, ...]
    nps: tuple[str, ...]
    smileys: tuple[str, ...]
    scales: tuple[ScaleSpec, ...]
    gap: GapSpec | None
    servqual: ServqualSpec | None
    #: whether the instrument carries the NOK culture questions q1..q14 as yes/no items
    nok: bool
    #: keys whose answers are whole numbers within a declared range (dense histograms)
    integer_keys: frozenset[str]
    #: coded single-choice key -> {choice value: code}: the wide format carries the value,
    #: the vector the code (nominal, so no index uses them)
    codes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def shares(self) -> Mapping[str, float]:
        """Key -> threshold of every "share satisfied" indicator (ratings, then yes/no)."""
        out = dict(self.ratings)
        out.update(dict.fromkeys(self.yes_no, 1.0))
        return out

    @property
    def plain_yes_no(self) -> tuple[str, ...]:
        """The yes/no keys whose share is a plain "share satisfied" (not the NOK questions,
        whose shares follow the method's skip filters: :func:`analysis.nok_item_shares`)."""
        return tuple(k for k in self.yes_no if not (self.nok and k in NOK_QUESTIONS))
