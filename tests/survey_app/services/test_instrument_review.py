"""The instrument under review (issue 13 §5), from the database, against R.

The responses are bfi rows answered through an instrument with psych's scoring keys
(``tests.factories.bfi_review``). For the 300 rows of campaign SPRING, R psych 2.2.9 gives α,
its Feldt interval, ω (omega.tot) per scale and the ML + oblimin factor solution
(``tests/analysis/reference/psych_fa.R``, ``review_subset``); the review computed from the
stored answer vectors must give the same numbers. Item counts are checked against pandas'
``value_counts`` of the same rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.reasons import Reason
from survey_app.services import instrument_review as review_service
from survey_app.services.errors import Forbidden
from survey_app.services.errors import NotFound
from tests.analysis.reference import bfi
from tests.analysis.reference import psych_fa

TOL = 1e-8  # α and its interval do not depend on a fit
FIT_TOL = 5e-5  # ω and the loadings come from optimisers on both sides


def test_quality_manager__reliability_per_scale_equals_psych(session, bfi_review):
    review = review_service.instrument_review(session, bfi_review.manager, "bfi_review", 1)
    assert review.n_responses == 300
    assert [c[0] for c in review.campaigns] == ["SPRING"]
    rows = {r.scale: r for r in review.reliability}
    for ref in psych_fa()["review_subset"]["reliability"]:
        row = rows[ref["scale"]]
        assert row.n == ref["n"] == 300
        assert row.alpha == pytest.approx(ref["alpha"], abs=TOL)
        assert row.alpha_low == pytest.approx(ref["feldt_low"], abs=TOL)
        assert row.alpha_high == pytest.approx(ref["feldt_high"], abs=TOL)
        assert row.omega == pytest.approx(ref["omega_total"], abs=FIT_TOL)


def test_quality_manager__factor_solution_equals_psych_fa(session, bfi_review):
    review = review_service.instrument_review(session, bfi_review.manager, "bfi_review", 1)
    ref = psych_fa()["review_subset"]["fa"]
    result = review.factor
    assert result is not None and review.factor_refused is None
    assert result.n_obs == ref["n_obs"] == 300
    assert (result.method, result.rotation, result.n_factors) == ("ml", "oblimin", 3)
    theirs = np.array(ref["loadings"]["values"])
    ours = result.loadings.loc[ref["loadings"]["rows"]].to_numpy()
    for j in range(theirs.shape[1]):
        i = int(np.argmax([abs(theirs[:, j] @ ours[:, c]) for c in range(ours.shape[1])]))
        sign = np.sign(theirs[:, j] @ ours[:, i])
        np.testing.assert_allclose(sign * ours[:, i], theirs[:, j], atol=FIT_TOL)
    np.testing.assert_allclose(
        result.communality.loc[ref["items"]], ref["communality"], atol=FIT_TOL
    )
    # every item loads most on its own scale's factor in these 300 rows
    assert review.structure is not None
    assert sorted(review.factor_of_scale) == ["A", "C", "E"]
    assert review.structure["agrees"].all()


def test_item_distributions__counts_and_missing_shares(session, bfi_review):
    review = review_service.instrument_review(session, bfi_review.manager, "bfi_review", 1)
    data = bfi().iloc[:300, :15]
    assert [i.key for i in review.items] == list(data.columns)
    for item in review.items:
        expected = data[item.key].value_counts()
        assert dict(item.counts) == {float(v): int(expected.get(v, 0)) for v in range(1, 7)}
        assert item.n_answered == data[item.key].notna().sum()
        assert item.missing_share == pytest.approx(data[item.key].isna().mean())
    assert {i.key for i in review.items if i.reverse} == {"A1", "C4", "C5", "E1", "E2"}


def test_methodologist__sees_every_campaign_and_small_ones_are_refused(session, bfi_review):
    review = review_service.instrument_review(session, bfi_review.methodologist, "bfi_review", 1)
    assert review.n_responses == 340
    assert [(c[0], c[2]) for c in review.campaigns] == [("SPRING", 300), ("AUTUMN", 40)]
    autumn = [r for r in review.reliability if r.campaign_code == "AUTUMN"]
    assert len(autumn) == 3
    for row in autumn:
        assert row.alpha is None and row.omega is None
        assert row.refused is not None and row.refused[0] == Reason.INSUFFICIENT_DATA.value
        assert row.n == 40


def test_library_staff__refused(session, bfi_review):
    with pytest.raises(Forbidden):
        review_service.instrument_review(session, bfi_review.staff, "bfi_review", 1)
    with pytest.raises(Forbidden):
        review_service.reviewable_instruments(session, bfi_review.staff)


def test_unknown_version__not_found(session, bfi_review):
    with pytest.raises(NotFound):
        review_service.instrument_review(session, bfi_review.methodologist, "bfi_review", 9)
    with pytest.raises(NotFound):
        review_service.instrument_review(session, bfi_review.methodologist, "nope", 1)


def test_too_few_responses__factor_analysis_refused_with_reason(session, bfi_review, make_user):
    south = bfi_review.libraries[2].system
    manager = make_user("quality_manager", system=south)
    review = review_service.instrument_review(session, manager, "bfi_review", 1)
    assert review.n_responses == 40
    assert review.factor is None
    assert review.factor_refused is not None
    assert review.factor_refused[0] == Reason.INSUFFICIENT_DATA.value


def test_reviewable_instruments__versions_with_counts_in_scope(session, bfi_review):
    found = review_service.reviewable_instruments(session, bfi_review.manager)
    assert [(i.instrument_id, i.versions) for i in found] == [("bfi_review", ((1, 300),))]


def test_review__cached_until_the_responses_change(session, bfi_review):
    first = review_service.instrument_review(session, bfi_review.manager, "bfi_review", 1)
    again = review_service.instrument_review(session, bfi_review.manager, "bfi_review", 1)
    assert again is first
    from survey_app.models import Response
    from survey_app.models.base import utcnow

    response = session.query(Response).filter_by(campaign_id=bfi_review.spring.id).first()
    response.excluded_at = utcnow()
    session.flush()
    changed = review_service.instrument_review(session, bfi_review.manager, "bfi_review", 1)
    assert changed is not first and changed.n_responses == 299
