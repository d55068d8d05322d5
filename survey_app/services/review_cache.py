"""The instrument review's charts and intervals, cached with the report runs (issue 13 §6).

The review spans every campaign of one instrument version in the caller's scope, and is
computed from their responses. What it draws is kept in table ``review_cache`` under a key
made of

* the chart (or ``omega``) and the locale,
* the caller's scope (the libraries it may see; "all" for the region),
* the state of the responses the review was computed from (its fingerprint), and
* the ids of the latest finished report run of each of those campaigns,

so a new run, a new or excluded response or another scope gives another key and the body is
drawn afresh; the row refers to the newest of those runs, so deleting that run deletes it,
and storing a body removes the older bodies of the same chart, locale and scope (so a row
left behind by an older run does not outlive the next view). Nothing is kept while none of
the campaigns has a finished run: there is then no run to keep it with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey_app.models import ReportRun
from survey_app.models import ReviewCache
from survey_app.models import RunStatus

__all__ = ["ReviewState", "cached", "latest_runs", "review_state"]


@dataclass(frozen=True, slots=True)
class ReviewState:
    """Where a review's cached bodies belong."""

    instrument_version_id: int
    #: digest of the caller's scope
    scope: str
    #: digest of the responses' state and of the latest finished runs
    state: str
    #: the newest of those runs (None: no campaign has a finished run, nothing is kept)
    run_id: int | None

    def key(self, name: str, *parts: str) -> str:
        """The cache key of body ``name`` (``parts``: locale, titles ... it depends on)."""
        extra = _digest(parts)[:16] if parts else "-"
        return f"{name}:{extra}:{self.scope}:{self.state}"

    def prefix(self, name: str, *parts: str) -> str:
        """The part of :meth:`key` shared by every state of the same body and scope."""
        extra = _digest(parts)[:16] if parts else "-"
        return f"{name}:{extra}:{self.scope}:"


def _digest(parts: Iterable[object]) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def latest_runs(session: Session, campaign_ids: Iterable[int]) -> dict[int, int]:
    """Campaign id -> id of its latest finished report run (as
    :func:`survey_app.services.report_runs.latest_run`: the newest finished by id)."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    stmt = (
        select(ReportRun.campaign_id, func.max(ReportRun.id))
        .where(ReportRun.campaign_id.in_(ids))
        .where(ReportRun.status == RunStatus.done)
        .group_by(ReportRun.campaign_id)
    )
    return {int(c): int(r) for c, r in session.execute(stmt)}


def review_state(
    session: Session,
    instrument_version_id: int,
    campaign_ids: Iterable[int],
    scope: tuple[int, ...] | None,
    fingerprint: str,
) -> ReviewState:
    """Where the bodies of one review are cached (``scope``: the library ids the caller may
    see, None for all)."""
    runs = latest_runs(session, campaign_ids)
    scope_digest = "all" if scope is None else _digest(scope)[:24]
    state = _digest([fingerprint, *(f"{c}={r}" for c, r in sorted(runs.items()))])[:32]
    return ReviewState(
        instrument_version_id, scope_digest, state, max(runs.values()) if runs else None
    )


def cached(
    session: Session, where: ReviewState, name: str, parts: tuple[str, ...], draw: Callable[[], str]
) -> str:
    """The body ``name`` of a review: read from the cache, or drawn by ``draw`` and kept."""
    key = where.key(name, *parts)
    if where.run_id is not None:
        body = session.scalar(
            select(ReviewCache.body)
            .where(ReviewCache.instrument_version_id == where.instrument_version_id)
            .where(ReviewCache.key == key)
        )
        if body is not None:
            return body
    body = draw()
    if where.run_id is None:
        return body
    prefix = where.prefix(name, *parts)
    try:
        with session.begin_nested():
            session.execute(
                delete(ReviewCache)
                .where(ReviewCache.instrument_version_id == where.instrument_version_id)
                .where(ReviewCache.key.startswith(prefix, autoescape=True))
                .where(ReviewCache.key != key)
            )
            session.add(
                ReviewCache(
                    instrument_version_id=where.instrument_version_id,
                    run_id=where.run_id,
                    key=key,
                    body=body,
                )
            )
    except IntegrityError:
        pass  # a concurrent request stored it first
    return body
