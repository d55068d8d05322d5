"""The instrument under review (issue 13 §5): one instrument version across all libraries and
campaigns in the caller's scope, for methodologists and quality managers.

Three questions about the questionnaire itself, not about any library:

* **reliability per scale per campaign** — Cronbach's α with its Feldt interval and
  McDonald's ω (psych's ``omega.tot``) from each campaign's pairwise moments, refused below
  :data:`RELIABILITY_MIN_N` respondents; ω with the percentile bootstrap interval over
  respondents that the library page shows (:func:`analysis.omega_bootstrap`, the same
  replicates and seed);
* **item distributions** — how often each answer was given and the share of respondents who
  left the item empty, over every campaign of the version;
* **the intended dimensions** — an exploratory factor analysis (maximum likelihood, oblimin,
  as many factors as the instrument has scales) of the pairwise correlations of all scale
  items, with each item's largest loading set against the scale it was written for.

The responses are read ``(campaign_id, vector)`` in chunks through a server-side cursor and
accumulated into per-campaign :class:`analysis.PairwiseMoments` and answer histograms; no
statistic is computed here, only their inputs (every formula lives in :mod:`analysis`).
Results are cached per (version, scope, state of the responses), so the charts served beside
the page do not read the responses again.

The ω bootstrap refits the one-factor model :data:`OMEGA_BOOT` times per scale and campaign
on that campaign's rows (read again, one campaign at a time): 0.6–1.5 s per scale and
campaign of 300 respondents on the two-core machine (4.3 s for three scales under load), too
slow to repeat on every view of an instrument with many campaigns. The intervals are
therefore kept in the database with the campaigns' latest finished report runs
(:mod:`survey_app.services.review_cache`, as the charts are) and recomputed only when a run,
the responses or the scope change; the charts' routes ask for the review without them.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
import instruments
from instruments import Instrument
from instruments import ItemType
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import Response
from survey_app.services import library_report
from survey_app.services import review_cache
from survey_app.services.errors import NotFound
from survey_app.services.instruments import instrument_of
from survey_app.services.reporting import AnalysisPlan
from survey_app.services.reporting import analysis_plan
from survey_app.services.scope import Action
from survey_app.services.scope import library_ids_in_scope
from survey_app.services.scope import library_scope_clause
from survey_app.services.scope import require

__all__ = [
    "BOOTSTRAP_SEED",
    "OMEGA_BOOT",
    "RELIABILITY_MIN_N",
    "InstrumentReview",
    "ReviewedInstrument",
    "clear_cache",
    "instrument_review",
    "reviewable_instruments",
]

#: fewest respondents of a campaign for which α and ω are shown (the Feldt interval of α = .80
#: at n = 50 is .71–.87; ../shared/reference/analysis.md §6.5)
RELIABILITY_MIN_N = 50
#: items with more answer categories than this (e.g. 0-100 points) get no distribution
MAX_CATEGORIES = 11
#: responses read per chunk
CHUNK_ROWS = 20_000
#: reviews kept in the process cache
_CACHE_SIZE = 16
#: bootstrap replicates of ω's interval: the library page's
OMEGA_BOOT = library_report.OMEGA_BOOT
#: the seed of those replicates
BOOTSTRAP_SEED = library_report.BOOTSTRAP_SEED


@dataclass(frozen=True, slots=True)
class ReviewedInstrument:
    """An instrument with the versions that have responses in the caller's scope."""

    instrument_id: str
    title: str
    #: (version, responses in scope), newest first
    versions: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class ScaleReliability:
    """α and ω of one scale in one campaign, or why they are not shown."""

    campaign_code: str
    campaign_title: str
    scale: str
    n: int
    alpha: float | None = None
    alpha_low: float | None = None
    alpha_high: float | None = None
    omega: float | None = None
    #: ω's percentile bootstrap interval over respondents (None: not available)
    omega_low: float | None = None
    omega_high: float | None = None
    #: replicates drawn and replicates whose fit succeeded
    omega_n_boot: int | None = None
    omega_n_valid: int | None = None
    #: why α (and ω) are refused: (reason code, message)
    refused: tuple[str, str] | None = None
    #: why ω alone is refused (α shown)
    omega_refused: tuple[str, str] | None = None
    #: notes on α (reason codes)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemDistribution:
    """Answers to one item over every campaign of the version."""

    key: str
    text: str
    scale: str | None
    reverse: bool
    n_rows: int
    n_answered: int
    #: (value, count) for each value of the declared range, in order
    counts: tuple[tuple[float, int], ...]
    #: the instrument's label of each of those values: a message id to translate ("Yes",
    #: "No" — as the questionnaire asks a yes/no item) or a locale -> text mapping (a
    #: choice's text); None where the value has no label (a rating)
    labels: tuple[str | Mapping[str, str] | None, ...] = ()
    #: respondents whose questionnaire showed the item (the skip logic's ``show_if``);
    #: None when the stored answers cannot tell (a condition on an answer that is not a
    #: number, or a Lite form's battery item)
    n_asked: int | None = None

    def answer_labels(
        self, locale: str = "ru", translate: Callable[[str], str] = str
    ) -> list[str | None]:
        """The label of each value of :attr:`counts` in ``locale`` (None: show the number);
        ``translate`` (the page's ``gettext``) translates the message ids."""
        shown: list[str | None] = []
        for k in range(len(self.counts)):
            label = self.labels[k] if k < len(self.labels) else None
            if label is None:
                shown.append(None)
            elif isinstance(label, str):
                shown.append(translate(label))
            else:
                shown.append(str(label.get(locale) or label.get("ru") or "") or None)
        return shown

    @property
    def not_asked_share(self) -> float | None:
        """Share of the responses whose skip logic hid the item (None: not known)."""
        if self.n_asked is None:
            return None
        return 1.0 - self.n_asked / self.n_rows if self.n_rows else 0.0

    @property
    def _asked(self) -> int:
        """The responses that asked the item (every response when that is not known)."""
        return self.n_rows if self.n_asked is None else self.n_asked

    @property
    def missing_share(self) -> float:
        """Share of the respondents asked the item who did not answer it (of every
        response when who was asked is not known)."""
        return 1.0 - self.n_answered / self._asked if self._asked else 0.0

    @property
    def unanswered_of_all(self) -> float:
        """Responses asked the item without an answer, as a share of every response."""
        return (self._asked - self.n_answered) / self.n_rows if self.n_rows else 0.0


@dataclass(frozen=True, slots=True)
class InstrumentReview:
    """Everything the review page shows for one instrument version."""

    instrument_id: str
    version: int
    title: str
    #: every version of the instrument with responses in scope: (version, responses)
    versions: tuple[tuple[int, int], ...]
    n_responses: int
    campaigns: tuple[tuple[str, str, int], ...]
    #: scale id -> title (Russian)
    scales: dict[str, str]
    #: scale id -> its analysis keys
    scale_items: dict[str, tuple[str, ...]]
    reverse: frozenset[str]
    reliability: tuple[ScaleReliability, ...]
    items: tuple[ItemDistribution, ...]
    #: whether some reviewed campaign gives its battery items in a short Lite form (some
    #: forms leave items out: the page says so where it explains "not asked")
    lite_form: bool = False
    factor: analysis.FactorResult | None = None
    #: why the factor analysis is refused: (reason code, message)
    factor_refused: tuple[str, str] | None = None
    structure: pd.DataFrame | None = None
    factor_of_scale: dict[str, str] = field(default_factory=dict)
    #: identifies the data the review was computed from (for caches and ETags)
    fingerprint: str = ""
    #: the instrument version's row id, the reviewed campaigns' ids and the caller's scope
    #: (library ids, None for all): where the review's charts are cached
    version_id: int = 0
    campaign_ids: tuple[int, ...] = ()
    scope: tuple[int, ...] | None = None

    def cache_state(self, session: Session) -> review_cache.ReviewState:
        """Where this review's charts and intervals are cached (with the latest runs)."""
        return review_cache.review_state(
            session, self.version_id, self.campaign_ids, self.scope, self.fingerprint
        )

    @property
    def scale_of_factor(self) -> dict[str, str]:
        """Factor -> the intended scale matched to it."""
        return {factor: scale for scale, factor in self.factor_of_scale.items()}

    @property
    def disagreeing(self) -> list[str]:
        """Items whose largest loading is not on their scale's factor."""
        if self.structure is None:
            return []
        return [str(i) for i in self.structure.loc[~self.structure["agrees"], "item"]]

    def structure_rows(self) -> list[dict[str, Any]]:
        """The loadings table as plain rows for the page: one per item, in instrument order.

        Each row: ``item``, ``scale``, ``agrees``, ``communality`` and ``cells``, a list of
        ``(factor, loading, is_primary, is_cross_loading)``.
        """
        if self.factor is None or self.structure is None:
            return []
        loadings = self.factor.loadings
        rows = []
        for record in self.structure.to_dict("records"):
            item = record["item"]
            rows.append(
                {
                    "item": item,
                    "scale": record["scale"],
                    "agrees": bool(record["agrees"]),
                    "communality": float(self.factor.communality[item]),
                    "cells": [
                        (
                            str(f),
                            float(loadings.loc[item, f]),
                            f == record["primary_factor"],
                            f in record["cross_loadings"],
                        )
                        for f in loadings.columns
                    ],
                }
            )
        return rows

    def phi_rows(self) -> list[tuple[str, list[float]]]:
        """Factor correlations as (factor, [correlations]) rows."""
        if self.factor is None:
            return []
        phi = self.factor.phi
        return [(str(f), [float(v) for v in phi.loc[f]]) for f in phi.index]


def N_(message: str) -> str:  # noqa: N802 - the gettext_noop name extractors know
    """Mark a message for extraction; the page translates it."""
    return message


def _title(text: Any) -> str:
    return str(text.get("ru") or next(iter(text.values()), "")) if text else ""


def reviewable_instruments(session: Session, actor: object) -> list[ReviewedInstrument]:
    """The instruments with responses in the caller's scope, with their versions.

    Raises
    ------
    Forbidden
        When the caller may not review instruments.
    """
    require(actor, Action.review_instruments)
    stmt = (
        select(Response.instrument_id, Response.instrument_version, func.count())
        .where(Response.excluded_at.is_(None))
        .where(library_scope_clause(session, actor, Response.library_id))
        .group_by(Response.instrument_id, Response.instrument_version)
    )
    versions: dict[str, list[tuple[int, int]]] = {}
    for instrument_id, version, count in session.execute(stmt):
        versions.setdefault(instrument_id, []).append((int(version), int(count)))
    titles = dict(
        session.execute(
            select(InstrumentVersion.instrument_id, InstrumentVersion.title).order_by(
                InstrumentVersion.version
            )
        ).all()
    )
    return [
        ReviewedInstrument(key, titles.get(key, key), tuple(sorted(found, reverse=True)))
        for key, found in sorted(versions.items())
    ]


def _condition(session: Session, actor: object, row: InstrumentVersion) -> Any:
    return (
        (Response.instrument_id == row.instrument_id)
        & (Response.instrument_version == row.version)
        & Response.excluded_at.is_(None)
        & library_scope_clause(session, actor, Response.library_id)
    )


def _vectors(
    session: Session,
    condition: Any,
    width: int,
    chunk_rows: int,
    *,
    ordered: bool = False,
    lite_items: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray, list[list[str] | None] | None]]:
    """Yield (campaign id per response, their answer vectors as a matrix, with
    ``lite_items`` their stored Lite draws, else None), chunk by chunk (``ordered``: in the
    order the responses were stored, as the export writes them)."""
    table = Response.__table__
    columns = [table.c.campaign_id, table.c.vector]
    if lite_items:
        columns.append(table.c.lite_items)
    stmt = select(*columns).where(condition).execution_options(yield_per=chunk_rows)
    if ordered:
        stmt = stmt.order_by(table.c.id)
    result = session.connection().execute(stmt)
    try:
        for rows in result.partitions():
            blob = b"".join(r[1] for r in rows)
            if len(blob) != 8 * width * len(rows):
                raise ValueError("a stored answer vector does not match the instrument version")
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            drawn = [r[2] for r in rows] if lite_items else None
            yield ids, np.frombuffer(blob, dtype="<f8").reshape(len(rows), width), drawn
    finally:
        result.close()


_cache: OrderedDict[tuple[Any, ...], InstrumentReview] = OrderedDict()
_cache_lock = threading.Lock()


def _scope_key(session: Session, actor: object) -> tuple[int, ...] | None:
    ids = library_ids_in_scope(session, actor)
    return None if ids is None else tuple(sorted(ids))


def instrument_review(
    session: Session,
    actor: object,
    instrument_id: str,
    version: int,
    *,
    intervals: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> InstrumentReview:
    """Review one instrument version over every campaign and library in the caller's scope.

    ``intervals=False`` leaves ω's bootstrap intervals out (the charts need none of them):
    they are the slow part and are read from, or kept in, the cache with the runs.

    Raises
    ------
    Forbidden
        When the caller may not review instruments.
    NotFound
        When the version does not exist or has no responses in the caller's scope.
    """
    require(actor, Action.review_instruments)
    row = session.scalar(
        select(InstrumentVersion).where(
            InstrumentVersion.instrument_id == instrument_id, InstrumentVersion.version == version
        )
    )
    if row is None:
        raise NotFound("No such instrument version.")
    condition = _condition(session, actor, row)
    count, last = session.execute(
        select(func.count(), func.max(Response.id)).where(condition)
    ).one()
    if not count:
        raise NotFound("No responses to this instrument version in your scope.")
    fingerprint = f"{row.id}-{row.sha256[:12]}-{count}-{last}"
    scope = _scope_key(session, actor)
    key: tuple[Any, ...] = (row.id, scope, fingerprint)
    review = _kept(key)
    if review is None:
        review = _compute(session, actor, row, condition, int(count), fingerprint, chunk_rows)
        review = _keep(key, replace(review, scope=scope))
    if not intervals:
        return review
    found = _kept((*key, "omega"))
    if found is not None:
        return found
    with_intervals = _with_omega_intervals(session, review, row, condition, chunk_rows)
    return _keep((*key, "omega"), with_intervals)


def clear_cache() -> None:
    """Forget every review kept in this process (they are computed again when next asked)."""
    with _cache_lock:
        _cache.clear()


def _kept(key: tuple[Any, ...]) -> InstrumentReview | None:
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
        return found


def _keep(key: tuple[Any, ...], review: InstrumentReview) -> InstrumentReview:
    with _cache_lock:
        _cache[key] = review
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return review


def _compute(
    session: Session,
    actor: object,
    row: InstrumentVersion,
    condition: Any,
    count: int,
    fingerprint: str,
    chunk_rows: int,
) -> InstrumentReview:
    instrument = instrument_of(row)
    plan = analysis_plan(instrument)
    keys = list(plan.keys)
    scale_keys = list(dict.fromkeys(k for s in plan.scales for k in s.items))
    scale_columns = [keys.index(k) for k in scale_keys]
    shown = [
        k
        for k in keys
        if k in plan.integer_keys
        and k in plan.ranges
        and plan.ranges[k][1] - plan.ranges[k][0] < MAX_CATEGORIES
    ]
    shown_columns = [keys.index(k) for k in shown]
    lows = np.array([plan.ranges[k][0] for k in shown])
    sizes = [int(plan.ranges[k][1] - plan.ranges[k][0]) + 1 for k in shown]
    histograms = [np.zeros(s, dtype=np.int64) for s in sizes]
    answered = np.zeros(len(shown), dtype=np.int64)
    # the campaigns with a Lite form: their responses say which battery items were offered
    lite_campaigns = frozenset(
        session.scalars(
            select(Campaign.id).where(
                Campaign.instrument_version_id == row.id, Campaign.lite_share > 0
            )
        )
    )
    asking = _Asking(instrument, keys, shown, lite_campaigns)
    moments: dict[int, analysis.PairwiseMoments] = {}
    responses: dict[int, int] = {}
    for campaign_ids, x, drawn in _vectors(
        session, condition, len(keys), chunk_rows, lite_items=asking.reads_lite
    ):
        for campaign_id in np.unique(campaign_ids):
            part = x[campaign_ids == campaign_id]
            responses[int(campaign_id)] = responses.get(int(campaign_id), 0) + len(part)
            if scale_keys:
                acc = moments.setdefault(int(campaign_id), analysis.PairwiseMoments(scale_keys))
                acc.add(part[:, scale_columns])
        asking.add(x, campaign_ids, drawn)
        values = x[:, shown_columns]
        present = ~np.isnan(values)
        answered += present.sum(axis=0)
        for j in range(len(shown)):
            col = values[present[:, j], j] - lows[j]
            idx = np.rint(col).astype(np.int64)
            idx = idx[(idx >= 0) & (idx < sizes[j])]
            histograms[j] += np.bincount(idx, minlength=sizes[j])
    campaigns = {
        c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(sorted(responses))))
    }
    ordered = sorted(responses, key=lambda i: (campaigns[i].created_at, i))
    reverse = frozenset(k for s in plan.scales for k in s.reverse)
    owner = {k: s.id for s in plan.scales for k in s.items}
    asked = asking.counts()
    reliability = [
        _reliability(campaigns[cid], moments[cid], scale)
        for cid in ordered
        if cid in moments
        for scale in plan.scales
    ]
    items = tuple(
        ItemDistribution(
            key=k,
            text=_item_text(instrument, k),
            scale=owner.get(k),
            reverse=k in reverse,
            n_rows=count,
            n_answered=int(answered[j]),
            counts=tuple(
                (float(lows[j] + v), int(c)) for v, c in enumerate(histograms[j].tolist())
            ),
            labels=_answer_labels(instrument, k, float(lows[j]), sizes[j]),
            n_asked=asked[j],
        )
        for j, k in enumerate(shown)
    )
    review = InstrumentReview(
        instrument_id=row.instrument_id,
        version=row.version,
        title=_title(instrument.title) or row.title,
        versions=_versions(session, actor, row.instrument_id),
        n_responses=count,
        campaigns=tuple((campaigns[c].code, campaigns[c].title, responses[c]) for c in ordered),
        scales={s.id: _title(s.title) for s in instrument.scales},
        scale_items={s.id: tuple(s.items) for s in plan.scales},
        reverse=reverse,
        reliability=tuple(reliability),
        items=items,
        lite_form=asking.reads_lite,
        fingerprint=fingerprint,
        version_id=row.id,
        campaign_ids=tuple(ordered),
    )
    if len(plan.scales) == 0:
        return review
    pooled = _pooled(list(moments.values()), scale_keys)
    return _with_factors(review, plan, pooled, count)


class _Asking:
    """How many responses were asked each item, from the answers its skip logic reads and,
    in a campaign with a Lite form, the battery items each response's form offered.

    Whether an item was shown depends only on the answers that decide it
    (:func:`instruments.skip_logic`), so each distinct combination of those answers in a
    chunk is walked once by :func:`instruments.visible_items` (the questionnaire's own
    rule), and its responses counted for the items it shows. An item decided by an answer
    the vector does not hold as a number (a text, a multiple choice) is left unknown. A
    Lite form leaves the battery items it did not draw out of the vector as if unanswered;
    the draw stored with each response (``lite_items``) tells them apart, and where a
    response of such a campaign has none (stored before it was kept) the battery items are
    left unknown.
    """

    def __init__(
        self,
        instrument: Instrument,
        keys: list[str],
        shown: list[str],
        lite_campaigns: frozenset[int] = frozenset(),
    ) -> None:
        self.instrument = instrument
        decided_by = instruments.skip_logic(instrument)
        items = {item.id: item for item in instrument.items}
        self.shown = shown
        self.item_of = [k.split(":", 1)[0] for k in shown]
        self.kinds = [items[i].type for i in self.item_of]
        #: per shown key: always asked (False), countable (True) or not known (None)
        self.conditional: list[bool | None] = []
        read: set[str] = set()
        in_vector = set(keys)
        for item in self.item_of:
            deciding = decided_by.get(item)
            if deciding is None:
                self.conditional.append(False)
            elif deciding <= in_vector:
                self.conditional.append(True)
                read |= deciding
            else:
                self.conditional.append(None)
        self.read = [i.id for i in instrument.items if i.id in read]
        self.columns = [keys.index(i) for i in self.read]
        self.batteries = [j for j, kind in enumerate(self.kinds) if kind is ItemType.battery]
        self.lite_campaigns = lite_campaigns
        #: whether the responses' Lite draws are needed (battery items and a Lite campaign)
        self.reads_lite = bool(self.batteries and lite_campaigns)
        #: a response of a Lite campaign without its draw was seen: batteries not known
        self.draw_unknown = False
        self.asked = np.zeros(len(shown), dtype=np.int64)
        self._visible: dict[tuple[float, ...], frozenset[str]] = {}
        self._offered: dict[tuple[str, ...] | None, np.ndarray] = {}

    def add(
        self,
        x: np.ndarray,
        campaign_ids: np.ndarray,
        drawn: list[list[str] | None] | None = None,
    ) -> None:
        """Count the chunk ``x`` (rows of the answer vector) of the campaigns
        ``campaign_ids``, whose forms drew ``drawn`` (None: every item offered)."""
        if not len(x):
            return
        offered = self._offered_rows(campaign_ids, drawn) if drawn is not None else None
        if not self.read:
            self.asked += len(x) if offered is None else offered.sum(axis=0)
            return
        decisive = x[:, self.columns]
        # NaN (no answer) as -inf: a number no answer can be, and equal to itself in unique
        decisive = np.where(np.isnan(decisive), -np.inf, decisive)
        combinations, inverse = np.unique(decisive, axis=0, return_inverse=True)
        # per combination and shown key: whether the combination's questionnaire shows it
        shows = np.ones((len(combinations), len(self.item_of)), dtype=bool)
        for c, combination in enumerate(combinations):
            visible = self._visible_for(tuple(float(v) for v in combination))
            for j, item in enumerate(self.item_of):
                shows[c, j] = not self.conditional[j] or item in visible
        if offered is None:
            rows = np.bincount(inverse.ravel(), minlength=len(combinations))
            self.asked += rows @ shows
        else:
            self.asked += (shows[inverse.ravel()] & offered).sum(axis=0)

    def _offered_rows(self, campaign_ids: np.ndarray, drawn: list[list[str] | None]) -> np.ndarray:
        """Per response and shown key, whether the response's form offered the key."""
        lite = np.isin(campaign_ids, list(self.lite_campaigns)).tolist()
        rows = []
        for in_lite, items in zip(lite, drawn, strict=True):
            # None: no Lite form (every item offered), or stored before the draw was kept
            self.draw_unknown = self.draw_unknown or (items is None and in_lite)
            key = None if items is None else tuple(items)
            pattern = self._offered.get(key)
            if pattern is None:
                pattern = np.ones(len(self.item_of), dtype=bool)
                if key is not None:
                    offered = set(key)
                    for j in self.batteries:
                        pattern[j] = self.item_of[j] in offered
                self._offered[key] = pattern
            rows.append(pattern)
        return np.array(rows, dtype=bool).reshape(len(drawn), len(self.item_of))

    def _visible_for(self, combination: tuple[float, ...]) -> frozenset[str]:
        found = self._visible.get(combination)
        if found is None:
            given = zip(self.read, combination, strict=True)
            answers = {
                item: answer
                for item, value in given
                if np.isfinite(value)
                and (answer := _raw_answer(self.instrument, item, value)) is not None
            }
            found = frozenset(instruments.visible_items(self.instrument, answers))
            self._visible[combination] = found
        return found

    def counts(self) -> list[int | None]:
        """Responses asked each shown key (None: not known)."""
        return [
            None
            if self.conditional[j] is None or (self.draw_unknown and kind is ItemType.battery)
            else int(self.asked[j])
            for j, kind in enumerate(self.kinds)
        ]


def _raw_answer(instrument: Instrument, item_id: str, number: float) -> Any:
    """The answer the vector's ``number`` stands for, as a submission gives it."""
    item = next(i for i in instrument.items if i.id == item_id)
    if item.type is ItemType.single:
        return next((c.value for c in item.choices if c.code == number), None)
    return int(number) if float(number).is_integer() else number


def _versions(session: Session, actor: object, instrument_id: str) -> tuple[tuple[int, int], ...]:
    stmt = (
        select(Response.instrument_version, func.count())
        .where(Response.instrument_id == instrument_id)
        .where(Response.excluded_at.is_(None))
        .where(library_scope_clause(session, actor, Response.library_id))
        .group_by(Response.instrument_version)
        .order_by(Response.instrument_version.desc())
    )
    return tuple((int(v), int(n)) for v, n in session.execute(stmt))


def _item_text(instrument: Instrument, key: str) -> str:
    item_id, _, column = key.partition(":")
    try:
        item = instrument.item(item_id)
    except KeyError:
        return key
    text = _title(item.text) or key
    if column:
        for col in item.columns:
            if col.id == column:
                return f"{text} — {_title(col.label) or column}"
    return text


def _answer_labels(
    instrument: Instrument, key: str, low: float, size: int
) -> tuple[str | Mapping[str, str] | None, ...]:
    """The instrument's own label of each value ``low .. low + size - 1`` of item ``key``.

    A yes/no item stores 1 (yes) and 0 (no), labelled as the questionnaire labels them; a
    single-choice item's numeric codes carry their choices' texts. Ratings keep numbers.
    """
    try:
        item = instrument.item(key.partition(":")[0])
    except KeyError:
        return ()
    values = [low + v for v in range(size)]
    if item.type is ItemType.yes_no:
        names = {0.0: N_("No"), 1.0: N_("Yes")}
        return tuple(names.get(v) for v in values)
    if item.type is ItemType.single:
        texts = {float(c.code): dict(c.label) for c in item.choices if c.code is not None}
        return tuple(texts.get(v) for v in values)
    return ()


def _refusal(error: ValueError) -> tuple[str, str]:
    if isinstance(error, analysis.StatisticUnavailable):
        return error.code.value, error.message
    return analysis.Reason.INVALID_DATA.value, str(error)


def _reliability(
    campaign: Campaign, moments: analysis.PairwiseMoments, scale: Any
) -> ScaleReliability:
    base = {
        "campaign_code": campaign.code,
        "campaign_title": campaign.title,
        "scale": scale.id,
        "n": moments.n_rows,
    }
    if len(scale.items) < 2:
        return ScaleReliability(
            **base, refused=(analysis.Reason.INVALID_DATA.value, "a scale of one item")
        )
    items, reverse, ranges = list(scale.items), list(scale.reverse), dict(scale.ranges) or None
    try:
        alpha = analysis.cronbach_alpha_from_moments(
            moments, items=items, reverse=reverse, scale=ranges, min_n=RELIABILITY_MIN_N
        )
    except ValueError as error:
        return ScaleReliability(**base, refused=_refusal(error))
    omega: float | None = None
    omega_refused = None
    try:
        omega = analysis.omega_total_from_moments(
            moments, items=items, reverse=reverse, scale=ranges, min_n=RELIABILITY_MIN_N
        ).omega_total
    except ValueError as error:
        omega_refused = _refusal(error)
    return ScaleReliability(
        **base,
        alpha=alpha.alpha,
        alpha_low=alpha.ci_low,
        alpha_high=alpha.ci_high,
        omega=omega,
        omega_refused=omega_refused,
        notes=tuple(n.code.value for n in alpha.notes),
    )


def _pooled(
    parts: list[analysis.PairwiseMoments], keys: list[str]
) -> analysis.PairwiseMoments | None:
    if not parts:
        return None
    total = analysis.PairwiseMoments(keys)
    for part in parts:
        total = total.merge(part)
    return total


def _with_factors(
    review: InstrumentReview,
    plan: AnalysisPlan,
    pooled: analysis.PairwiseMoments | None,
    count: int,
) -> InstrumentReview:
    """Add the factor analysis of all scale items (reverse-keyed items flipped) to a review."""
    if pooled is None:
        return replace(review, factor_refused=(analysis.Reason.NO_RESPONSES.value, "no responses"))
    keys = list(pooled.items)
    fewest = int(pooled.pair_counts.to_numpy().min())
    # (too few responses altogether is refused below, by the factor analysis itself)
    if fewest < analysis.MIN_EFA_RESPONDENTS <= count:
        return replace(
            review,
            factor_refused=(
                analysis.Reason.FEW_JOINT_RESPONSES.value,
                f"an item pair was answered together by {fewest} respondents, fewer than "
                f"{analysis.MIN_EFA_RESPONDENTS}",
            ),
        )
    corr = pooled.corr("pairwise")
    sign = np.array([-1.0 if k in review.reverse else 1.0 for k in keys])
    keyed = pd.DataFrame(corr.to_numpy() * np.outer(sign, sign), index=keys, columns=keys)
    try:
        result = analysis.factor_analysis_from_corr(keyed, count, len(plan.scales))
    except ValueError as error:
        return replace(review, factor_refused=_refusal(error))
    intended = {k: s.id for s in plan.scales for k in s.items}
    table, factor_of_scale = result.structure(intended)
    return replace(review, factor=result, structure=table, factor_of_scale=factor_of_scale)


def _omega_intervals(
    session: Session,
    review: InstrumentReview,
    plan: AnalysisPlan,
    condition: Any,
    chunk_rows: int,
) -> list[dict[str, Any]]:
    """ω's bootstrap interval of every scale and campaign where ω is shown, from the
    campaign's rows in the order they were stored (the resamples draw row positions, so the
    order makes the interval reproducible), one campaign in memory at a time."""
    wanted: dict[str, list[str]] = {}
    for r in review.reliability:
        if r.omega is not None:
            wanted.setdefault(r.campaign_code, []).append(r.scale)
    specs = {s.id: s for s in plan.scales}
    keys = list(plan.keys)
    scale_keys = list(dict.fromkeys(k for s in plan.scales for k in s.items))
    columns = [keys.index(k) for k in scale_keys]
    stmt = select(Campaign.code, Campaign.id).where(Campaign.id.in_(review.campaign_ids))
    codes = {str(code): int(cid) for code, cid in session.execute(stmt)}
    out: list[dict[str, Any]] = []
    for code, scales in wanted.items():
        parts = [
            x[:, columns]
            for _ids, x, _drawn in _vectors(
                session,
                condition & (Response.campaign_id == codes[code]),
                len(keys),
                chunk_rows,
                ordered=True,
            )
        ]
        frame = pd.DataFrame(np.vstack(parts), columns=scale_keys)
        for scale in scales:
            spec = specs[scale]
            try:
                interval = analysis.omega_bootstrap(
                    frame,
                    items=list(spec.items),
                    reverse=list(spec.reverse),
                    scale=dict(spec.ranges) or None,
                    n_boot=OMEGA_BOOT,
                    seed=BOOTSTRAP_SEED,
                    min_n=RELIABILITY_MIN_N,
                )
            except ValueError:
                continue
            out.append(
                {
                    "campaign": code,
                    "scale": scale,
                    "low": None if np.isnan(interval.low) else float(interval.low),
                    "high": None if np.isnan(interval.high) else float(interval.high),
                    "n_boot": int(interval.n_boot),
                    "n_valid": int(interval.n_valid),
                }
            )
    return out


def _with_omega_intervals(
    session: Session,
    review: InstrumentReview,
    row: InstrumentVersion,
    condition: Any,
    chunk_rows: int,
) -> InstrumentReview:
    """Add ω's bootstrap intervals to a review, read from the cache kept with the runs or
    computed (and kept)."""
    if not any(r.omega is not None for r in review.reliability):
        return review
    plan = analysis_plan(instrument_of(row))
    body = review_cache.cached(
        session,
        review.cache_state(session),
        "omega",
        (str(OMEGA_BOOT), str(BOOTSTRAP_SEED)),
        lambda: json.dumps(_omega_intervals(session, review, plan, condition, chunk_rows)),
    )
    found = {(e["campaign"], e["scale"]): e for e in json.loads(body)}
    rows = []
    for r in review.reliability:
        e = found.get((r.campaign_code, r.scale))
        if e is not None:
            r = replace(
                r,
                omega_low=e["low"],
                omega_high=e["high"],
                omega_n_boot=e["n_boot"],
                omega_n_valid=e["n_valid"],
            )
        rows.append(r)
    return replace(review, reliability=tuple(rows))
