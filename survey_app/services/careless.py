"""The careless-response screening of a campaign, from the database, counted per library.

Streams a campaign's responses (not excluded) ordered by library — answer vector and the
seconds spent on each page, which the database extracts from the page timings
(:func:`~survey_app.services.response_stream.screening_chunks`: binary COPY in blocks on
PostgreSQL, no Python object per response) — and hands them to
:func:`analysis.screen_responses` with its default policy (a response is flagged when at
least two indices flag it) in *batches of whole libraries* of at least ``batch_rows``
responses (the last batch may be smaller). Only the current batch and one chunk are held.
The statistic lives in :mod:`analysis.screening`; this module reads rows and counts.

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

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

import analysis
from survey_app.models import Campaign
from survey_app.services.instruments import instrument_of
from survey_app.services.reporting import AnalysisPlan
from survey_app.services.reporting import analysis_plan
from survey_app.services.response_stream import screening_chunks

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
    chunks: Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]], batch_rows: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Regroup the stream's chunks (ordered by library; a library may go on in the next
    chunk) into batches of whole libraries: a batch ends where the first library ending at
    or after ``batch_rows`` responses ends; the last batch holds the rest."""
    held: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    rows = 0

    def cut(final: bool) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        nonlocal held, rows
        owners, x, secs = (np.concatenate(parts) for parts in zip(*held, strict=True))
        # rows of the libraries that have ended (unless final, the last one may go on)
        ended = len(owners) if final else int(np.searchsorted(owners, owners[-1], "left"))
        while ended >= batch_rows:
            end = int(np.searchsorted(owners, owners[batch_rows - 1], "right"))
            yield owners[:end], x[:end], secs[:end]
            owners, x, secs = owners[end:], x[end:], secs[end:]
            ended -= end
        held, rows = [(owners, x, secs)], len(owners)

    for chunk in chunks:
        held.append(chunk)
        rows += len(chunk[0])
        if rows >= batch_rows:
            yield from cut(final=False)
    if rows:
        yield from cut(final=True)
    if rows:
        yield held[0]


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
    pages = np.array(list(page_items), dtype=object)
    page_sizes = np.array(list(page_items.values()), dtype=float)
    out: list[LibraryScreening] = []
    done = 0
    chunks = screening_chunks(
        session, campaign, pages=list(page_items), plan=plan, chunk_rows=chunk_rows
    )
    for owners, x, secs in _batches(chunks, batch_rows):
        data = pd.DataFrame(x[:, positions], columns=items)
        timed, page = np.nonzero(~np.isnan(secs))
        timings = (
            pd.DataFrame(
                {
                    "response_id": timed,
                    "page": pages[page],
                    "seconds": secs[timed, page],
                    "n_items": page_sizes[page],
                }
            )
            if timed.size
            else None
        )
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # a library with one or two responses: the covariance-based indices are missing
            # (NaN never flags), numpy's warnings about it say nothing more
            warnings.simplefilter("ignore", RuntimeWarning)
            flags = analysis.screen_responses(
                data,
                items=items,
                timings=timings,
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
        done += len(owners)
        if progress is not None:
            progress(done)
    return out
