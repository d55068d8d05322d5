"""The instrument review's charts and ω intervals, cached with the report runs (issue 13 §6).

A chart is drawn once per state of the responses, scope, latest finished runs and locale and
read back from table ``review_cache`` afterwards (counted draw calls); a new run of one of the
reviewed campaigns gives a new key (drawn again, the older row removed), deleting the run
deletes its rows, and nothing is kept while no campaign has a finished run. ω's interval is
:func:`analysis.omega_bootstrap` on the campaign's rows as read from the bfi file (not from
the database), with the library page's replicates and seed.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey_app.models import Campaign
from survey_app.models import ReportRun
from survey_app.models import ReviewCache
from survey_app.services import instrument_review as review_service
from survey_app.services import library_report
from survey_app.services import report_runs
from survey_app.services import review_charts
from tests.analysis.reference import bfi

#: the scales of bfi_review (psych's keys: A1, C4, C5, E1, E2 reversed)
SCALES = {
    "A": (["A1", "A2", "A3", "A4", "A5"], ["A1"]),
    "C": (["C1", "C2", "C3", "C4", "C5"], ["C4", "C5"]),
    "E": (["E1", "E2", "E3", "E4", "E5"], ["E1", "E2"]),
}


@pytest.fixture(autouse=True)
def fresh_reviews() -> None:
    """Each test starts as a new process would: no review kept in memory."""
    review_service.clear_cache()


def finished_run(session: Session, campaign: Campaign) -> ReportRun:
    """A report run of the campaign computed as the queue computes one."""
    run, new = report_runs.request_run(session, campaign)
    assert new
    report_runs.start_run(session, run)
    done = report_runs.compute_run(session, run, standard_name=None)
    session.commit()
    return done


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each review chart was drawn."""
    counts = {"items": 0, "loadings": 0}
    for name in counts:
        original = getattr(review_charts, f"_draw_{name}")

        def counted(*args: Any, _name: str = name, _draw: Any = original) -> bytes:
            counts[_name] += 1
            return bytes(_draw(*args))

        monkeypatch.setattr(review_charts, f"_draw_{name}", counted)
    return counts


def review(session: Session, actor: Any) -> review_service.InstrumentReview:
    return review_service.instrument_review(session, actor, "bfi_review", 1)


def items_svg(session: Session, actor: Any, locale: str = "ru") -> bytes:
    body = review_charts.item_distributions_svg(
        session, review(session, actor), title="Ответы", missing="нет ответа", locale=locale
    )
    session.commit()
    return body


def rows(session: Session, prefix: str = "items:") -> list[ReviewCache]:
    return list(
        session.scalars(
            select(ReviewCache).where(ReviewCache.key.startswith(prefix)).order_by(ReviewCache.id)
        )
    )


def test_without_a_finished_run__drawn_every_time_and_nothing_kept(session, bfi_review, draws):
    first = items_svg(session, bfi_review.manager)
    again = items_svg(session, bfi_review.manager)
    assert draws["items"] == 2
    assert first == again  # the same data give the same bytes
    assert session.scalar(select(func.count()).select_from(ReviewCache)) == 0


def test_second_request__reads_the_chart_from_the_database(session, bfi_review, draws):
    run = finished_run(session, bfi_review.spring)
    first = items_svg(session, bfi_review.manager)
    again = items_svg(session, bfi_review.manager)
    assert draws["items"] == 1
    assert again == first
    (row,) = rows(session)
    assert row.run_id == run.id and row.body.encode("utf-8") == first
    body = review_charts.loadings_svg(session, review(session, bfi_review.manager), title="λ")
    review_charts.loadings_svg(session, review(session, bfi_review.manager), title="λ")
    assert draws["loadings"] == 1 and body.startswith(b"<?xml")
    # another locale and another scope are other charts
    items_svg(session, bfi_review.manager, locale="en")
    items_svg(session, bfi_review.methodologist)
    assert draws["items"] == 3
    assert len(rows(session)) == 3


def test_new_run__draws_again_and_replaces_the_older_chart(session, bfi_review, draws):
    first_run = finished_run(session, bfi_review.spring)
    items_svg(session, bfi_review.manager)
    second_run = finished_run(session, bfi_review.spring)
    items_svg(session, bfi_review.manager)
    items_svg(session, bfi_review.manager)
    assert draws["items"] == 2
    (row,) = rows(session)
    assert row.run_id == second_run.id != first_run.id
    # a run of the other campaign of the version counts as well (the methodologist sees both)
    items_svg(session, bfi_review.methodologist)
    finished_run(session, bfi_review.autumn)
    items_svg(session, bfi_review.methodologist)
    assert draws["items"] == 4


def test_deleting_the_run__deletes_its_charts(session, bfi_review, draws):
    run = finished_run(session, bfi_review.spring)
    items_svg(session, bfi_review.manager)
    review_charts.loadings_svg(session, review(session, bfi_review.manager), title="λ")
    session.commit()
    assert len(rows(session, "")) >= 2
    session.execute(delete(ReportRun).where(ReportRun.id == run.id))
    session.commit()
    assert rows(session, "") == []
    items_svg(session, bfi_review.manager)
    assert draws["items"] == 2


def test_omega_interval__the_library_pages_bootstrap_on_the_campaigns_rows(session, bfi_review):
    found = {r.scale: r for r in review(session, bfi_review.manager).reliability}
    data = bfi().iloc[:300, :15]
    for scale, (items, reverse) in SCALES.items():
        expected = analysis.omega_bootstrap(
            data,
            items=items,
            reverse=reverse,
            scale=(1, 6),
            n_boot=library_report.OMEGA_BOOT,
            seed=library_report.BOOTSTRAP_SEED,
        )
        row = found[scale]
        assert row.omega_low == pytest.approx(expected.low, abs=1e-9)
        assert row.omega_high == pytest.approx(expected.high, abs=1e-9)
        assert (row.omega_n_boot, row.omega_n_valid) == (200, expected.n_valid)
        assert row.omega is not None and row.omega_low < row.omega < row.omega_high


def test_omega_interval__kept_with_the_run_and_not_bootstrapped_again(
    session, bfi_review, monkeypatch
):
    finished_run(session, bfi_review.spring)
    calls = []
    original = analysis.omega_bootstrap

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["items"])
        return original(*args, **kwargs)

    monkeypatch.setattr(analysis, "omega_bootstrap", counted)
    first = review(session, bfi_review.manager)
    session.commit()
    assert len(calls) == 3  # one per scale of SPRING (AUTUMN is outside the manager's scope)
    review_service.clear_cache()  # another process: only the database is shared
    again = review(session, bfi_review.manager)
    assert again is not first and len(calls) == 3
    assert again.reliability == first.reliability
    (row,) = rows(session, "omega:")
    assert row.instrument_version_id == bfi_review.spring.instrument_version_id


def test_charts__need_no_bootstrap(session, bfi_review, monkeypatch):
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the charts asked for ω's bootstrap")

    monkeypatch.setattr(analysis, "omega_bootstrap", refused)
    plain = review_service.instrument_review(
        session, bfi_review.manager, "bfi_review", 1, intervals=False
    )
    assert all(r.omega_low is None for r in plain.reliability)
    assert review_charts.item_distributions_svg(session, plain, title="t", missing="m")
