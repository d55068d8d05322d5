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
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from analysis.reasons import Reason
from survey_app.models import Response
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


#: an instrument with skip logic: b is asked when a is yes, the page "more" when c > 3, f
#: when the free text t was given (a text answer is not in the stored vector)
SKIP_LOGIC_YAML = """\
id: skip_review
version: 1
locales: [ru, en]
title: {ru: Анкета с условиями, en: A questionnaire with conditions}
formats:
  five: {type: likert, min: 1, max: 5, required: false}
sections:
  - id: first
    title: {ru: Первая, en: First}
    items:
      - {id: a, type: yes_no, required: false, text: {ru: Вопрос a, en: Item a}}
      - {id: b, format: five, show_if: {item: a, eq: yes}, text: {ru: Вопрос b, en: Item b}}
      - {id: c, format: five, text: {ru: Вопрос c, en: Item c}}
      - {id: t, type: text, required: false, text: {ru: Вопрос t, en: Item t}}
      - {id: f, format: five, show_if: {item: t, answered: true}, text: {ru: Вопрос f, en: Item f}}
  - id: more
    title: {ru: Вторая, en: Second}
    show_if: {item: c, gt: 3}
    items:
      - {id: e, format: five, text: {ru: Вопрос e, en: Item e}}
"""

#: (a, b, c, t, f, e) per response; None: no answer (or not asked)
SKIP_LOGIC_ROWS = [
    (1, 5, 4, "да", 2, 5),
    (1, None, 5, None, None, None),
    (1, 3, 2, None, None, None),
    (0, None, 4, None, None, 3),
    (0, None, 1, "нет", None, None),
    (None, None, None, None, None, None),
    (1, 4, 5, None, None, 4),
    (0, None, 3, None, None, None),
]


def test_item_distributions__not_asked_told_apart_from_no_answer(session, make_campaign, make_user):
    """Who was asked an item is decided by the questionnaire's skip logic; "no answer" is
    counted among those asked. Expected counts by hand from SKIP_LOGIC_ROWS."""
    from survey_app.services.responses import parse_submission
    from survey_app.services.responses import record_response
    from tests.factories import submission

    campaign = make_campaign(SKIP_LOGIC_YAML, code="SKIP")
    names = ("a", "b", "c", "t", "f", "e")
    for row in SKIP_LOGIC_ROWS:
        answers = {k: v for k, v in zip(names, row, strict=True) if v is not None}
        record_response(session, parse_submission(submission(campaign, answers)))
    session.commit()
    methodologist = make_user("methodologist", email="skip@example.org")
    review = review_service.instrument_review(session, methodologist, "skip_review", 1)
    assert not review.lite_form
    items = {i.key: i for i in review.items}
    assert sorted(items) == ["a", "b", "c", "e", "f"]
    # a and c: asked of all 8; a answered by 7, c by 7
    for key in ("a", "c"):
        assert (items[key].n_asked, items[key].n_answered) == (8, 7)
        assert items[key].not_asked_share == 0.0
        assert items[key].missing_share == pytest.approx(1 / 8)
    # b: asked of the 4 who said yes to a, answered by 3 of them
    assert (items["b"].n_asked, items["b"].n_answered) == (4, 3)
    assert items["b"].not_asked_share == pytest.approx(4 / 8)
    assert items["b"].missing_share == pytest.approx(1 / 4)
    assert items["b"].unanswered_of_all == pytest.approx(1 / 8)
    # e (its page shown when c > 3): c is 4, 5, 4, 5 in four responses, three answered e
    assert (items["e"].n_asked, items["e"].n_answered) == (4, 3)
    assert items["e"].missing_share == pytest.approx(1 / 4)
    # f hangs on a text answer the vector does not hold: who was asked is not known
    assert items["f"].n_asked is None and items["f"].not_asked_share is None
    assert items["f"].missing_share == pytest.approx(7 / 8)


#: a gap battery with a Lite form: A1 links every form, one more item of each scale drawn
LITE_YAML = """\
id: lite_review
version: 1
locales: [ru, en]
title: {ru: Анкета с краткой формой, en: A questionnaire with a Lite form}
sections:
  - id: gap
    title: {ru: Качество, en: Quality}
    items:
      - {id: A1, type: battery, min: 1, max: 9, required: false, text: {ru: А1, en: A1},
         columns: [{id: perceived, label: {ru: Восприятие, en: Perceived}}]}
      - {id: A2, type: battery, min: 1, max: 9, required: false, text: {ru: А2, en: A2},
         columns: [{id: perceived, label: {ru: Восприятие, en: Perceived}}]}
      - {id: A3, type: battery, min: 1, max: 9, required: false, text: {ru: А3, en: A3},
         columns: [{id: perceived, label: {ru: Восприятие, en: Perceived}}]}
      - {id: B1, type: battery, min: 1, max: 9, required: false, text: {ru: Б1, en: B1},
         columns: [{id: perceived, label: {ru: Восприятие, en: Perceived}}]}
      - {id: B2, type: battery, min: 1, max: 9, required: false, text: {ru: Б2, en: B2},
         columns: [{id: perceived, label: {ru: Восприятие, en: Perceived}}]}
scales:
  - {id: a, title: {ru: А, en: A}, items: [A1, A2, A3], column: perceived}
  - {id: b, title: {ru: Б, en: B}, items: [B1, B2], column: perceived}
lite:
  share: 0.5
  linking: [A1]
  random_per_scale: {a: 1, b: 1}
"""

#: (the Lite draw, or None for the full form; the perceived answers given)
LITE_ROWS = [
    (["A1", "A2", "B1"], {"A1": 5, "A2": 6}),
    (["A1", "A3", "B2"], {"A1": 7, "B2": 3}),
    (None, {"A1": 1, "A2": 2, "A3": 3, "B1": 4}),
    (["A1", "A2", "B2"], {"A2": 4, "B2": 5}),
    ([], {}),  # a form that drew no battery item: none asked (not "every item offered")
]


def test_item_distributions__a_lite_form_not_offering_an_item_is_not_asked(
    session, make_campaign, make_user
):
    """The battery items a Lite form did not draw count as not asked, the ones it drew and
    were left blank as no answer. Expected counts by hand from LITE_ROWS (5 responses):
    asked A1 4, A2 3, A3 2, B1 2, B2 3; answered A1 3, A2 3, A3 1, B1 1, B2 2."""
    from survey_app.services.responses import parse_submission
    from survey_app.services.responses import record_response
    from tests.factories import submission

    campaign = make_campaign(LITE_YAML, code="LITE", lite_share=0.5)
    for drawn, given in LITE_ROWS:
        answers = {item: {"perceived": value} for item, value in given.items()}
        extra = {} if drawn is None else {"lite_items": drawn}
        record_response(session, parse_submission(submission(campaign, answers, **extra)))
    session.commit()
    methodologist = make_user("methodologist", email="lite@example.org")
    review = review_service.instrument_review(session, methodologist, "lite_review", 1)
    assert review.lite_form
    items = {i.key.split(":")[0]: i for i in review.items}
    expected = {"A1": (4, 3), "A2": (3, 3), "A3": (2, 1), "B1": (2, 1), "B2": (3, 2)}
    assert {k: (i.n_asked, i.n_answered) for k, i in items.items()} == expected
    assert items["A3"].not_asked_share == pytest.approx(3 / 5)
    assert items["A3"].missing_share == pytest.approx(1 / 2)
    assert items["B2"].missing_share == pytest.approx(1 / 3)
    assert items["A2"].missing_share == 0.0

    # a response stored before the draws were kept: who was offered the batteries is unknown
    first = session.scalar(select(func.min(Response.id)))
    session.execute(update(Response).where(Response.id == first).values(lite_items=None))
    session.commit()
    review_service.clear_cache()  # kept per response count and last id, which are the same
    review = review_service.instrument_review(session, methodologist, "lite_review", 1)
    items = {i.key.split(":")[0]: i for i in review.items}
    assert all(i.n_asked is None and i.not_asked_share is None for i in items.values())
    assert items["A2"].missing_share == pytest.approx(1 - 3 / 5)  # of all responses
