"""The bundled instrument definitions (issue 2 §2, "definitions are data").

Covers: every bundled file loads with zero problems and zero untranslated English
texts; each published version is pinned by its content hash, so an accidental edit
fails here (publish a new version instead); the facts each definition must encode
(from docs/reference instruments.md: NOK 675n item order and skip filters, LibQUAL-style
dimensions 9/8/5 and Lite draws 1+2 / 1+2 / 1+1, SERVQUAL RATER allocation 4/5/4/4/5
with a 100-point split, ISO 11620 five-point satisfaction, the kiosk pulse); and that
each accepts a complete set of answers.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import instruments
from instruments import Instrument
from instruments import InstrumentError
from instruments import ItemType

#: Content hashes of the published versions.  Never update one to make a test pass:
#: a published version is immutable; write ``<id>/<version + 1>.yaml`` instead.
PINNED = {
    ("kiosk_pulse", 1): "0f19fefc420bf42e20a0717202cb7680bcf2afab64fa5b45ea9758356a6111c6",
    ("library_gap", 1): "5adee8557278642123029715c697021668a0031d69b03ad6525c1cfb318ec9a4",
    ("nok_culture", 1): "4adf25666942b52d52044969a268bdb5ee34f0b66cdb903b3d7100aa349f935a",
    ("satisfaction_short", 1): "a1aeb4f2a9c252f1a56fdec8736b5d93ff1654d6c33d7ee281bf7ea545822f45",
    ("servqual_library", 1): "b161cbe29a3c8a6c4361e3f5982a35ebe253d0b9e623bfda965778ce4e85fe3b",
}


@pytest.fixture(scope="module")
def bundled() -> dict[tuple[str, int], Instrument]:
    return instruments.load_all()


@pytest.mark.parametrize(
    "path", instruments.bundled_paths(), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_definition__loads_with_no_problems(path: Any) -> None:
    assert instruments.check(path, filename=f"{path.parent.name}/{path.name}") == []


def test_definitions__every_published_version_is_pinned(
    bundled: dict[tuple[str, int], Instrument],
) -> None:
    assert {key: inst.sha256 for key, inst in bundled.items()} == PINNED


@pytest.mark.parametrize("key", sorted(PINNED))
def test_definition__fully_translated_to_english(
    bundled: dict[tuple[str, int], Instrument], key: Any
) -> None:
    inst = bundled[key]
    assert inst.locales == ("ru", "en")
    assert instruments.untranslated(inst, "en") == []


def complete_answers(inst: Instrument, lite: frozenset[str] | None = None) -> dict[str, Any]:
    """A valid answer to every item visible when every filter question says yes."""
    answers: dict[str, Any] = {}
    for section in inst.sections:
        total = section.sum_to
        for index, item in enumerate(section.items):
            if lite is not None and item.type is ItemType.battery and item.id not in lite:
                continue
            if item.id not in instruments.visible_items(inst, answers, lite_items=lite):
                continue
            if total is not None:  # put the whole total on the first item
                answers[item.id] = total if index == 0 else 0
            elif item.type is ItemType.battery:
                answers[item.id] = {c.id: int(item.max or 0) for c in item.columns}
            elif item.type is ItemType.yes_no:
                answers[item.id] = "да"
            elif item.type in (ItemType.single, ItemType.multi):
                first = item.choices[0].value
                answers[item.id] = first if item.type is ItemType.single else [first]
            elif item.type is ItemType.text:
                answers[item.id] = "Всё хорошо"
            else:
                answers[item.id] = int(item.max) if item.max is not None else 1
    return answers


@pytest.mark.parametrize("key", sorted(PINNED))
def test_definition__accepts_a_complete_answer_set(
    bundled: dict[tuple[str, int], Instrument], key: Any
) -> None:
    inst = bundled[key]
    answers = complete_answers(inst)
    result = instruments.validate_answers(inst, answers)
    assert set(result.values) == set(answers)
    assert len(result.vector()) == len(inst.analysis_keys)


# --- nok_culture ---------------------------------------------------------------------------


def test_nok__items_q1_to_q17_in_official_order(bundled: dict[tuple[str, int], Instrument]) -> None:
    nok = bundled[("nok_culture", 1)]
    assert [i.id for i in nok.items] == [f"q{n}" for n in range(1, 18)]
    assert all(nok.item(f"q{n}").type is ItemType.yes_no for n in range(1, 15))
    q15, q16, q17 = nok.item("q15"), nok.item("q16"), nok.item("q17")
    assert (q15.type, q15.required) == (ItemType.text, False)
    assert q16.type is ItemType.single
    assert [(c.value, c.code) for c in q16.choices] == [("male", 1), ("female", 2)]
    assert (q17.type, q17.integer, q17.min, q17.max) == (ItemType.number, True, 14, 120)
    # everything but the suggestions is numeric: 14 yes/no, coded sex, age
    assert nok.analysis_keys == tuple(f"q{n}" for n in range(1, 15)) + ("q16", "q17")


FILTERS = [("q1", "q2"), ("q3", "q4"), ("q6", "q7"), ("q10", "q11")]


@pytest.mark.parametrize(("filter_item", "follow_up"), FILTERS)
def test_nok__filter_no_skips_the_follow_up(
    bundled: dict[tuple[str, int], Instrument], filter_item: str, follow_up: str
) -> None:
    nok = bundled[("nok_culture", 1)]
    answers = complete_answers(nok)
    assert follow_up in instruments.visible_items(nok, answers)
    answers[filter_item] = "нет"
    assert follow_up not in instruments.visible_items(nok, answers)
    # answered although skipped -> rejected
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(nok, answers)
    assert [(p.code, p.path) for p in exc.value.problems] == [("ANS002", f"answers.{follow_up}")]
    # left out -> accepted and stored as missing (NaN in the vector)
    del answers[follow_up]
    result = instruments.validate_answers(nok, answers)
    assert result.values[filter_item] == 0
    assert follow_up not in result.values


def test_nok__only_the_four_follow_ups_are_conditional(
    bundled: dict[tuple[str, int], Instrument],
) -> None:
    nok = bundled[("nok_culture", 1)]
    conditional = {
        i.id: (i.show_if.item, i.show_if.op, i.show_if.value) for i in nok.items if i.show_if
    }
    assert conditional == {follow: (filt, "eq", 1) for filt, follow in FILTERS}
    assert all(section.show_if is None for section in nok.sections)


# --- library_gap ---------------------------------------------------------------------------


def test_library_gap__three_dimensions_of_battery_items(
    bundled: dict[tuple[str, int], Instrument],
) -> None:
    gap = bundled[("library_gap", 1)]
    batteries = [i for i in gap.items if i.type is ItemType.battery]
    expected = (
        [f"AS{n}" for n in range(1, 10)]
        + [f"IC{n}" for n in range(1, 9)]
        + [f"LP{n}" for n in range(1, 6)]
    )
    assert [i.id for i in batteries] == expected
    assert gap.battery_ids == frozenset(expected)  # GS1-GS3 and the comment are not batteries
    for item in batteries:
        assert [c.id for c in item.columns] == ["minimum", "desired", "perceived"]
        assert (item.min, item.max, item.na_allowed, item.required) == (1, 9, True, True)
    scales = {s.id: s for s in gap.scales}
    assert [len(scales[d].items) for d in ("service", "collections", "place")] == [9, 8, 5]
    assert {scales[d].column for d in ("service", "collections", "place")} == {"perceived"}
    assert scales["satisfaction"].items == ("GS1", "GS2", "GS3")
    assert all(gap.item(g).type is ItemType.likert and (gap.item(g).min, gap.item(g).max) == (1, 9)
               for g in ("GS1", "GS2", "GS3"))  # fmt: skip
    assert gap.item("comment").required is False


def test_library_gap__lite_draws_one_linking_plus_2_2_1(
    bundled: dict[tuple[str, int], Instrument],
) -> None:
    gap = bundled[("library_gap", 1)]
    assert gap.lite is not None
    assert gap.lite.share == 0.5
    scales = {s.id: set(s.items) for s in gap.scales}
    rng = random.Random(2024)
    forms = [instruments.draw_lite_items(gap, rng) for _ in range(400)]
    lite_forms = [f for f in forms if f is not None]
    assert 150 < len(lite_forms) < 250  # share 0.5 of 400: sd 10
    for form in lite_forms:
        assert set(gap.lite.linking) <= form
        # per dimension: the linking item plus 2 (service), 2 (collections), 1 (place)
        assert [len(form & scales[d]) for d in ("service", "collections", "place")] == [3, 3, 2]
    # every non-linking item is drawn sometimes
    assert set().union(*lite_forms) == scales["service"] | scales["collections"] | scales["place"]
    form = lite_forms[0]
    result = instruments.validate_answers(gap, complete_answers(gap, form), lite_items=form)
    assert {k for k, v in result.values.items() if isinstance(v, dict)} == form


def test_library_gap__na_overrides_ratings(bundled: dict[tuple[str, int], Instrument]) -> None:
    gap = bundled[("library_gap", 1)]
    answers = complete_answers(gap)
    answers["IC7"] = {"na": True}
    result = instruments.validate_answers(gap, answers)
    assert [(r.column, r.number) for r in result.rows if r.item == "IC7"] == [("na", 1.0)]


# --- servqual_library ------------------------------------------------------------------------


def test_servqual__rater_allocation_and_two_columns(
    bundled: dict[tuple[str, int], Instrument],
) -> None:
    sq = bundled[("servqual_library", 1)]
    scales = {s.id: s for s in sq.scales}
    rater = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
    assert [len(scales[d].items) for d in rater] == [4, 5, 4, 4, 5]
    batteries = [i for i in sq.items if i.type is ItemType.battery]
    assert len(batteries) == 22
    for item in batteries:
        assert [c.id for c in item.columns] == ["expectation", "perception"]
        assert (item.min, item.max, item.na_allowed) == (1, 7, False)
    assert all(s.column == "perception" and s.reverse == () for s in sq.scales)


def test_servqual__importance_points_must_add_up_to_100(
    bundled: dict[tuple[str, int], Instrument],
) -> None:
    sq = bundled[("servqual_library", 1)]
    weights = next(s for s in sq.sections if s.sum_to is not None)
    assert weights.sum_to == 100
    assert [i.id for i in weights.items] == [
        "w_tangibles", "w_reliability", "w_responsiveness", "w_assurance", "w_empathy",
    ]  # fmt: skip
    assert all(
        (i.type, i.min, i.max, i.integer) == (ItemType.number, 0, 100, True) for i in weights.items
    )
    answers = complete_answers(sq)
    answers.update(
        w_tangibles=10, w_reliability=30, w_responsiveness=20, w_assurance=20, w_empathy=20
    )
    assert instruments.validate_answers(sq, answers).values["w_reliability"] == 30
    answers["w_empathy"] = 19
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(sq, answers)
    assert [(p.code, p.path) for p in exc.value.problems] == [("ANS014", "sections.weights.sum_to")]


# --- satisfaction_short and kiosk_pulse --------------------------------------------------------


def test_satisfaction_short__five_point_services_overall_and_nps(
    bundled: dict[tuple[str, int], Instrument],
) -> None:
    sat = bundled[("satisfaction_short", 1)]
    services = ("lending", "reading_room", "reference", "events", "online", "staff", "premises")
    (scale,) = sat.scales
    assert (scale.id, scale.items) == ("satisfaction", services)
    for item_id in (*services, "overall"):
        item = sat.item(item_id)
        assert (item.type, item.min, item.max) == (ItemType.likert, 1, 5)
        assert sorted(item.anchors) == [1, 2, 3, 4, 5]
        assert item.required is (item_id == "overall")
    assert sat.item("nps").type is ItemType.nps
    assert sat.item("comment").required is False
    # only the overall rating and the recommendation are required
    result = instruments.validate_answers(sat, {"overall": "4", "nps": "10"})
    assert result.values == {"overall": 4, "nps": 10}


def test_kiosk_pulse__one_face_is_enough(bundled: dict[tuple[str, int], Instrument]) -> None:
    pulse = bundled[("kiosk_pulse", 1)]
    assert [(i.id, i.type) for i in pulse.items] == [
        ("mood", ItemType.smiley),
        ("topic", ItemType.multi),
        ("comment", ItemType.text),
    ]
    assert sorted(pulse.item("mood").anchors) == [1, 2, 3, 4]
    assert instruments.validate_answers(pulse, {"mood": 4}).values == {"mood": 4}
    result = instruments.validate_answers(
        pulse, {"mood": "2", "topic": ["hours", "staff"], "comment": ""}
    )
    assert result.values == {"mood": 2, "topic": ["staff", "hours"]}
    with pytest.raises(InstrumentError) as exc:
        instruments.validate_answers(pulse, {"topic": ["staff"]})
    assert [(p.code, p.path) for p in exc.value.problems] == [("ANS003", "answers.mood")]
