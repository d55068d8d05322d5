"""The careless-response screening of a campaign, from the database, counted per library.

Streams a campaign's responses (not excluded) ordered by library — answer vector and the
seconds spent on each page, which the database extracts from the page timings
(:func:`~survey_app.services.response_stream.screening_chunks`: binary COPY in blocks on
PostgreSQL, no Python object per response) — and hands them to
:func:`analysis.screen_matrix` (the indices of :func:`analysis.screen_responses`, on the
numbers as they come) with its default policy (a response is flagged when at
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
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

import analysis
from survey_app.models import Campaign
from survey_app.services.instruments import instrument_of
from survey_app.services.memory import release_free_memory
from survey_app.services.reporting import AnalysisPlan
from survey_app.services.reporting import analysis_plan
from survey_app.services.response_stream import screening_chunks

__all__ = [
    "BATCH_ROWS",
    "CampaignScreening",
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


class _Batcher:
    """Regroup the stream's chunks (ordered by library; a library may go on in the next
    chunk) into batches of whole libraries: a batch ends where the first library ending at
    or after ``batch_rows`` responses ends; the last batch holds the rest."""

    def __init__(self, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self.held: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows = 0

    def push(
        self, chunk: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The batches complete once ``chunk`` is added."""
        self.held.append(chunk)
        self.rows += len(chunk[0])
        if self.rows >= self.batch_rows:
            yield from self._cut(final=False)

    def close(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The remaining batches, once the stream has ended."""
        if self.rows:
            yield from self._cut(final=True)
        if self.rows:
            yield self.held[0]
        self.held, self.rows = [], 0

    def _cut(self, final: bool) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        batch_rows = self.batch_rows
        # the held chunks are let go once stacked: one copy of the batch during its screening
        held, self.held = self.held, []
        owners, x, secs = (np.concatenate(parts) for parts in zip(*held, strict=True))
        del held
        # rows of the libraries that have ended (unless final, the last one may go on)
        ended = len(owners) if final else int(np.searchsorted(owners, owners[-1], "left"))
        while ended >= batch_rows:
            end = int(np.searchsorted(owners, owners[batch_rows - 1], "right"))
            yield owners[:end], x[:end], secs[:end]
            owners, x, secs = owners[end:], x[end:], secs[end:]
            ended -= end
        # a copy of the rest, so the concatenated batch is freed once it has been screened
        self.held, self.rows = [(owners.copy(), x.copy(), secs.copy())], len(owners)


def _same_numbers(compact: np.ndarray, exact: np.ndarray) -> bool:
    """Whether ``compact`` holds every number of ``exact`` (NaN where it is NaN).

    The two differ (``!=``) wherever ``exact`` is NaN (``compact`` is NaN exactly there) and
    wherever a number is not held, so they hold the same numbers when those are the only
    differences: ``np.array_equal(..., equal_nan=True)``'s answer in a fifth of its passes.
    """
    return int(np.count_nonzero(compact != exact)) == int(np.count_nonzero(np.isnan(exact)))


class CampaignScreening:
    """The screening of one campaign, fed the rows of a stream chunk by chunk.

    Give :attr:`pages` and :meth:`feed` to :func:`reporting.regional_analysis` (``pages``,
    ``on_rows``) to screen the rows of the analysis's own scan, or feed it
    :func:`~survey_app.services.response_stream.screening_chunks`; then :meth:`finish`.
    Batches of whole libraries of at least ``batch_rows`` responses are screened as soon as
    they are complete (see the module docstring), so only the current batch is held (its
    screened items' answers and page seconds).
    ``progress`` is called with the number of responses screened so far, after each batch.
    """

    def __init__(
        self,
        campaign: Campaign,
        *,
        batch_rows: int = BATCH_ROWS,
        progress: Callable[[int], None] | None = None,
        background: bool = False,
    ) -> None:
        instrument = instrument_of(campaign.instrument_version)
        self.plan = analysis_plan(instrument)
        self.items = screening_items(self.plan)
        #: False for an instrument with fewer than MIN_SCREENED_ITEMS ordinal items
        self.active = len(self.items) >= MIN_SCREENED_ITEMS
        self.positions = [self.plan.keys.index(k) for k in self.items]
        page_items = {
            section.id: max(1, len(section.items))
            for section in instrument.sections
            if section.items
        }
        #: the pages whose seconds the screening reads, in the order of the rows' columns
        self.pages = list(page_items)
        self._page_sizes = np.array(list(page_items.values()), dtype=float)
        self._batcher = _Batcher(batch_rows)
        self._progress = progress
        self._done = 0
        self._out: list[LibraryScreening] = []
        #: with ``background``, batches are screened on a thread of their own (the numpy
        #: work runs while the stream goes on), one at a time
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="screen") if background else None
        )
        self._pending: Future[None] | None = None

    def feed(self, owners: np.ndarray, x: np.ndarray, secs: np.ndarray) -> None:
        """Add a chunk of the stream: library of each response (ordered by library), vectors
        (``plan.keys`` columns), seconds of each page of :attr:`pages`."""
        if self.active:
            if self._pending is not None and (
                self._batcher.rows + len(owners) >= self._batcher.batch_rows
            ):
                # a batch is due: the previous one is screened before the next is stacked,
                # so one batch (and the held chunks of the next) is in memory, not two
                self._wait()
            # only the screened items' answers are held until their batch is complete, in
            # float32 when that holds them exactly (whole numbers: half the bytes)
            items = x[:, self.positions]
            compact = items.astype(np.float32)
            if _same_numbers(compact, items):
                items = compact
            for batch in self._batcher.push((owners, items, secs)):
                self._submit(batch)

    def finish(self) -> list[LibraryScreening]:
        """Screen what remains; one count per library with responses (ordered by library;
        an empty list when the instrument is not screened)."""
        try:
            self.flush()
        finally:
            self.close()
        return self._out

    def flush(self) -> None:
        """The stream has ended: start screening what remains (on the screening's thread,
        without waiting, when ``background``); :meth:`finish` then waits for it."""
        if self.active:
            for batch in self._batcher.close():
                self._submit(batch)

    def close(self, *, quiet: bool = False) -> None:
        """Wait for the batch being screened and stop the screening's thread (:meth:`finish`
        does; call it when the stream ends early). Its error, if any, is raised here, unless
        ``quiet`` (the stream's own error is the one to tell)."""
        try:
            self._wait(quiet=quiet)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)

    def _wait(self, *, quiet: bool = False) -> None:
        """Wait for the batch being screened; raise its error unless ``quiet``."""
        pending, self._pending = self._pending, None
        if pending is not None:
            if quiet:
                pending.exception()
            else:
                pending.result()

    def _submit(self, batch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        if self._pool is None:
            self._screen(*batch)
            return
        # at most one batch screened while the next one is gathered: bounded memory
        self._wait()
        self._pending = self._pool.submit(self._screen, *batch)

    def _screen(self, owners: np.ndarray, x: np.ndarray, secs: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)  # the answers as they were streamed
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # a library with one or two responses: the covariance-based indices are missing
            # (NaN never flags), numpy's warnings about it say nothing more
            warnings.simplefilter("ignore", RuntimeWarning)
            screened = analysis.screen_matrix(x, page_seconds=secs, page_items=self._page_sizes)
        flagged = screened["flagged"]
        libraries, inverse, sizes = np.unique(owners, return_inverse=True, return_counts=True)
        counts = np.bincount(inverse.ravel(), weights=flagged, minlength=len(libraries))
        self._out.extend(
            LibraryScreening(int(library_id), int(size), int(n))
            for library_id, size, n in zip(libraries, sizes, counts, strict=True)
        )
        self._done += len(owners)
        # the batch's temporaries (tens of MB at 50,000 rows) are freed now: give them back
        release_free_memory()
        if self._progress is not None:
            self._progress(self._done)


def screen_campaign(
    session: Session,
    campaign: Campaign,
    *,
    chunk_rows: int = 20_000,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> list[LibraryScreening]:
    """Screen a campaign's responses by a scan of their own (in batches of whole libraries,
    see the module docstring); one count per library with responses.

    ``progress`` is called with the number of responses screened so far, after each batch.
    An instrument with fewer than :data:`MIN_SCREENED_ITEMS` ordinal items is not screened
    (an empty list). A batch with too few responses for an index (the Mahalanobis distance
    needs more responses than items) is screened on the indices that can be computed. A
    report run screens the rows of its analysis's scan instead (:class:`CampaignScreening`).
    """
    screening = CampaignScreening(campaign, batch_rows=batch_rows, progress=progress)
    if not screening.active:
        return []
    for chunk in screening_chunks(
        session, campaign, pages=screening.pages, plan=screening.plan, chunk_rows=chunk_rows
    ):
        screening.feed(*chunk)
    return screening.finish()
