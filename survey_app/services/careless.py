"""The careless-response screening of a campaign, from the database, counted per library.

Streams a campaign's responses (not excluded) ordered by library — answer vector and page
timings — and hands them to :func:`analysis.screen_responses` with its default policy (a
response is flagged when at least two indices flag it) in *batches of whole libraries* of at
least ``batch_rows`` responses (the last batch may be smaller). Only the current batch is
held. The statistic lives in :mod:`analysis.screening`; this module reads rows and counts.

Why batches, not one library at a time: two indices compare a response with the others —
the Mahalanobis distance (the item covariance) and the psychometric synonyms (the item pairs
correlated above .60). A library's few dozen responses cannot estimate a 30-item covariance
(below k + 1 responses the distance is missing altogether), while a batch of tens of
thousands of the region's responses can; and one call per library costs a fixed ~0.1 s,
a minute for 600 libraries. The per-response indices (longstring, IRV, page speed) do not
depend on the batch. A campaign smaller than one batch is screened in one piece.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey_app.models import Campaign
from survey_app.models import Response
from survey_app.services.instruments import instrument_of
from survey_app.services.reporting import AnalysisPlan
from survey_app.services.reporting import analysis_plan

__all__ = [
    "BATCH_ROWS",
    "MIN_SCREENED_ITEMS",
    "LibraryScreening",
    "screen_campaign",
    "screening_items",
]

#: fewer screened items than this and the campaign is not screened (a longstring or an IRV
#: over two or three answers says nothing about effort)
MIN_SCREENED_ITEMS = 4
#: responses screened together (whole libraries; see the module docstring)
BATCH_ROWS = 50_000
#: item kinds whose answers the careless indices read (ordinal answers, not counts or codes)
_SCREENED_KINDS = frozenset({"likert", "battery", "smiley", "nps", "yes_no"})


@dataclass(frozen=True, slots=True)
class LibraryScreening:
    """How many of a library's responses were screened and how many were flagged."""

    library_id: int
    screened: int
    flagged: int


def screening_items(plan: AnalysisPlan) -> list[str]:
    """The vector keys the screening reads: every ordinal answer with a declared range."""
    return [k for k in plan.keys if k in plan.ranges and plan.kinds.get(k) in _SCREENED_KINDS]


def _batches(
    session: Session, campaign: Campaign, chunk_rows: int, batch_rows: int
) -> Iterator[tuple[list[int], list[bytes], list[dict[str, float] | None], list[int]]]:
    """Whole libraries' rows, at least ``batch_rows`` of them a batch: (library id of each
    response, vectors, page timings, response ids)."""
    owners: list[int] = []
    vectors: list[bytes] = []
    timings: list[dict[str, float] | None] = []
    ids: list[int] = []
    for library_id, lib_vectors, lib_timings, lib_ids in _library_rows(
        session, campaign, chunk_rows
    ):
        owners.extend([library_id] * len(lib_ids))
        vectors.extend(lib_vectors)
        timings.extend(lib_timings)
        ids.extend(lib_ids)
        if len(ids) >= batch_rows:
            yield owners, vectors, timings, ids
            owners, vectors, timings, ids = [], [], [], []
    if ids:
        yield owners, vectors, timings, ids


def _library_rows(
    session: Session, campaign: Campaign, chunk_rows: int
) -> Iterator[tuple[int, list[bytes], list[dict[str, float] | None], list[int]]]:
    table = Response.__table__
    stmt = (
        select(table.c.id, table.c.library_id, table.c.vector, table.c.page_timings)
        .where(table.c.campaign_id == campaign.id)
        .where(table.c.excluded_at.is_(None))
        .order_by(table.c.library_id, table.c.id)
        .execution_options(yield_per=chunk_rows)
    )
    current: int | None = None
    ids: list[int] = []
    vectors: list[bytes] = []
    timings: list[dict[str, float] | None] = []
    result = session.connection().execute(stmt)
    try:
        for rows in result.partitions():
            for response_id, library_id, vector, timing in rows:
                if library_id != current:
                    if current is not None:
                        yield current, vectors, timings, ids
                    current, ids, vectors, timings = library_id, [], [], []
                ids.append(response_id)
                vectors.append(vector)
                timings.append(timing)
    finally:
        result.close()
    if current is not None:
        yield current, vectors, timings, ids


def screen_campaign(
    session: Session,
    campaign: Campaign,
    *,
    chunk_rows: int = 20_000,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> list[LibraryScreening]:
    """Screen a campaign's responses (in batches of whole libraries, see the module
    docstring); one count per library with responses.

    ``progress`` is called with the number of responses screened so far, after each batch.
    An instrument with fewer than :data:`MIN_SCREENED_ITEMS` ordinal items is not screened
    (an empty list). A batch with too few responses for an index (the Mahalanobis distance
    needs more responses than items) is screened on the indices that can be computed.
    """
    instrument = instrument_of(campaign.instrument_version)
    plan = analysis_plan(instrument)
    items = screening_items(plan)
    if len(items) < MIN_SCREENED_ITEMS:
        return []
    positions = [plan.keys.index(k) for k in items]
    page_items = {
        section.id: max(1, len(section.items)) for section in instrument.sections if section.items
    }
    width = len(plan.keys)
    out: list[LibraryScreening] = []
    done = 0
    for owners, vectors, timings, ids in _batches(session, campaign, chunk_rows, batch_rows):
        x = np.frombuffer(b"".join(vectors), dtype="<f8").reshape(len(vectors), width)
        data = pd.DataFrame(x[:, positions], columns=items, index=pd.Index(ids, name="response"))
        timing_rows: list[dict[str, Any]] = [
            {"response_id": rid, "page": page, "seconds": float(sec), "n_items": page_items[page]}
            for rid, timing in zip(ids, timings, strict=True)
            if timing
            for page, sec in timing.items()
            if page in page_items and sec is not None
        ]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # a library with one or two responses: the covariance-based indices are missing
            # (NaN never flags), numpy's warnings about it say nothing more
            warnings.simplefilter("ignore", RuntimeWarning)
            flags = analysis.screen_responses(
                data,
                items=items,
                timings=pd.DataFrame(timing_rows) if timing_rows else None,
            )
        counts = (
            pd.DataFrame({"library_id": owners, "flagged": flags["flagged"].to_numpy(bool)})
            .groupby("library_id", sort=True)["flagged"]
            .agg(["size", "sum"])
        )
        out.extend(
            LibraryScreening(int(library_id), int(size), int(flagged))
            for library_id, size, flagged in zip(
                counts.index, counts["size"], counts["sum"], strict=True
            )
        )
        done += len(ids)
        if progress is not None:
            progress(done)
    return out
