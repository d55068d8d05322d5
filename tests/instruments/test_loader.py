"""Loading instrument files (issue 2 §2): sources, the model built, the content hash.

Covers: ``load`` from a path, bytes and text/binary streams, ``load_text``; problems
collected and raised together with file and line; the YAML dialect (yes/no stay text,
dates stay text, duplicate keys reported); formats merged into items with item fields
winning; implied ranges of nps/smiley; normalised show_if values; ``sum_to`` and
section help; the content hash ignores layout, comments and key order but not content;
``load_all`` and ``bundled_paths``.
"""

from __future__ import annotations

import hashlib
import io
import json
import textwrap
from pathlib import Path

import pytest

import instruments
from instruments import Condition
from instruments import InstrumentError
from instruments import ItemType
from instruments.loader import content_hash

TEXT = textwrap.dedent(
    """\
    # a comment
    id: demo
    version: 2
    locales: [ru, en]
    title: {ru: Демо, en: Demo}
    formats:
      agree5:
        type: likert
        min: 1
        max: 5
        required: false
        anchors:
          1: {ru: нет, en: no}
          5: {ru: да, en: yes}
    sections:
      - id: first
        title: {ru: Первая, en: First}
        help: Только по-русски
        items:
          - id: used
            type: yes_no
            text: {ru: Пользовались, en: Used}
          - id: a1
            format: agree5
            text: {ru: Утверждение, en: Statement}
            show_if: {item: used, eq: yes}
          - id: a2
            format: agree5
            required: true
            max: 4
            anchors: {1: {ru: низко, en: low}}
            text: {ru: Другое, en: Other}
            show_if:
              any:
                - {item: used, in: [no, нет]}
                - {item: a1, gt: 3}
          - {id: rec, type: nps, text: {ru: Рекомендация, en: Recommend}}
          - {id: face, type: smiley, text: {ru: Лицо, en: Face}}
      - id: points
        title: {ru: Баллы, en: Points}
        sum_to: 100
        items:
          - {id: p1, type: number, integer: true, min: 0, max: 100, text: {ru: А, en: A}}
          - {id: p2, type: number, min: 0, max: 100, text: {ru: Б, en: B}}
    """
)


def test_load_text__builds_the_model() -> None:
    inst = instruments.load_text(TEXT)
    assert (inst.id, inst.version, inst.locales) == ("demo", 2, ("ru", "en"))
    assert inst.title == {"ru": "Демо", "en": "Demo"}
    assert [s.id for s in inst.sections] == ["first", "points"]
    assert [i.id for i in inst.items] == ["used", "a1", "a2", "rec", "face", "p1", "p2"]
    assert inst.sections[0].help == {"ru": "Только по-русски"}  # a bare string is Russian
    assert inst.sections[1].sum_to == 100


def test_load_text__format_fields_are_defaults_the_item_can_override() -> None:
    inst = instruments.load_text(TEXT)
    a1, a2 = inst.item("a1"), inst.item("a2")
    assert (a1.type, a1.min, a1.max, a1.required) == (ItemType.likert, 1, 5, False)
    assert a1.anchors == {1: {"ru": "нет", "en": "no"}, 5: {"ru": "да", "en": "yes"}}
    # the item's own fields win, whole (anchors are replaced, not merged)
    assert (a2.max, a2.required) == (4, True)
    assert a2.anchors == {1: {"ru": "низко", "en": "low"}}
    assert a1.line == TEXT.splitlines().index("      - id: a1") + 1


def test_load_text__implied_ranges_and_flags() -> None:
    inst = instruments.load_text(TEXT)
    assert (inst.item("rec").min, inst.item("rec").max) == (0, 10)
    assert (inst.item("face").min, inst.item("face").max) == (1, 4)
    assert inst.item("p1").integer is True
    assert inst.item("p2").integer is False
    assert inst.item("used").required is True  # the default


def test_load_text__conditions_are_normalised_for_the_item_type() -> None:
    inst = instruments.load_text(TEXT)
    assert inst.item("a1").show_if == Condition(op="eq", item="used", value=1)
    assert inst.item("a2").show_if == Condition(
        op="any",
        conditions=(
            Condition(op="in", item="used", value=(0, 0)),
            Condition(op="gt", item="a1", value=3),
        ),
    )


def test_load__from_path_bytes_and_streams(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "2.yaml"
    path.parent.mkdir()
    path.write_text(TEXT, encoding="utf-8")
    expected = instruments.load_text(TEXT)
    assert instruments.load(path) == expected
    assert instruments.load(str(path)) == expected
    assert instruments.load(TEXT.encode("utf-8")) == expected
    assert instruments.load(b"\xef\xbb\xbf" + TEXT.encode("utf-8")) == expected  # BOM
    assert instruments.load(io.StringIO(TEXT)) == expected
    assert instruments.load(io.BytesIO(TEXT.encode("utf-8"))) == expected
    with pytest.raises(TypeError):
        instruments.load(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        instruments.load_text(TEXT.encode())  # type: ignore[arg-type]


def test_load__problems_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(TEXT.replace("max: 4", "max: 0").replace("type: nps", "type: npss"), "utf-8")
    with pytest.raises(InstrumentError) as exc:
        instruments.load(path)
    problems = exc.value.problems
    assert [(p.code, p.path) for p in problems] == [
        ("INS006", "sections[0].items[3].type"),
        ("INS011", "sections[0].items[2].max"),
        ("INS013", "sections[0].items[2].anchors[1]"),  # 1 is outside 1..0 too
    ]
    lines = TEXT.splitlines()
    assert problems[1].line == lines.index("        max: 4") + 1
    assert {p.file for p in problems} == {str(path)}
    assert str(problems[1]).startswith(
        f"{path}:{problems[1].line} sections[0].items[2].max INS011 "
    )
    # a stream is named after the filename argument
    with pytest.raises(InstrumentError) as exc:
        instruments.load(io.StringIO("id: [\n"), filename="upload.yaml")
    assert [(p.code, p.file, p.line) for p in exc.value.problems] == [("INS001", "upload.yaml", 2)]


def test_instrument_error__carries_every_problem_and_a_summary() -> None:
    with pytest.raises(InstrumentError) as exc:
        instruments.load_text("id: X\nversion: 0\n")
    error = exc.value
    assert error.codes == ("INS003", "INS003", "INS007", "INS031")
    assert str(error).startswith("4 problems:\n")
    assert isinstance(error, ValueError)
    with pytest.raises(ValueError, match="at least one"):
        InstrumentError([])


def test_yaml_dialect__dates_stay_text_and_yes_no_are_not_booleans() -> None:
    text = TEXT.replace("title: {ru: Демо, en: Demo}", "title: {ru: 2024-01-01, en: on}")
    inst = instruments.load_text(text)
    assert inst.title == {"ru": "2024-01-01", "en": "on"}


def test_content_hash__ignores_layout_comments_and_key_order() -> None:
    reference = instruments.load_text(TEXT).sha256
    assert len(reference) == 64
    relaid = TEXT.replace("# a comment\n", "# another comment\n\n").replace(
        "title: {ru: Демо, en: Demo}", "title:\n  en: Demo\n  ru: Демо  # reordered"
    )
    assert instruments.load_text(relaid).sha256 == reference
    changed = TEXT.replace("en: Demo}", "en: Demo!}")
    assert instruments.load_text(changed).sha256 != reference


def test_content_hash__is_sha256_of_sorted_compact_json() -> None:
    # the canonical form written out by hand: sorted keys, no spaces, UTF-8, keys as text
    canonical = '{"a":[1,"ж"],"b":{"1":true}}'.encode()
    assert content_hash({"b": {1: True}, "a": [1, "ж"]}) == hashlib.sha256(canonical).hexdigest()


def test_bundled_paths__sorted_by_id_then_version() -> None:
    paths = instruments.bundled_paths()
    keys = [(p.parent.name, int(p.stem)) for p in paths]
    assert keys == sorted(keys)
    assert ("nok_culture", 1) in keys
    assert all(p.suffix == ".yaml" and p.is_file() for p in paths)


def test_load_all__keys_by_id_and_version(tmp_path: Path) -> None:
    loaded = instruments.load_all()
    assert set(loaded) == {(p.parent.name, int(p.stem)) for p in instruments.bundled_paths()}
    assert all(inst.sha256 for inst in loaded.values())
    good = tmp_path / "demo" / "2.yaml"
    bad = tmp_path / "demo" / "3.yaml"  # says version 2 inside
    good.parent.mkdir()
    good.write_text(TEXT, "utf-8")
    bad.write_text(TEXT, "utf-8")
    with pytest.raises(InstrumentError) as exc:
        instruments.load_all([good, bad])
    assert [(p.code, p.file) for p in exc.value.problems] == [("INS032", "demo/3.yaml")]
    assert list(instruments.load_all([good])) == [("demo", 2)]


@pytest.mark.parametrize("parser", ["libyaml", "python"])
def test_yaml_parsers__give_the_same_tree_and_lines(
    monkeypatch: pytest.MonkeyPatch, parser: str
) -> None:
    from instruments import _yaml

    if parser == "python":
        monkeypatch.setattr(_yaml, "_FastLoader", None)
    elif _yaml._FastLoader is None:
        pytest.skip("PyYAML built without libyaml")
    tree = _yaml.parse(TEXT)
    lines = TEXT.splitlines()
    assert tree["sections"][0]["items"][1]["format"] == "agree5"
    assert tree["sections"][0]["items"][1].line == lines.index("      - id: a1") + 1
    assert tree.key_lines["formats"] == lines.index("formats:") + 1
    assert tree["sections"].item_lines[1] == lines.index("  - id: points") + 1
    assert instruments.load_text(TEXT).sha256 == content_hash(tree)
    with pytest.raises(_yaml.YamlSyntaxError) as exc:
        _yaml.parse("id: demo\ntitle: a: b\n")
    assert exc.value.line == 2


def _doc_block(heading: str, language: str) -> str:
    """The first fenced block of ``language`` after ``heading`` in docs/instrument-format.md."""
    doc = (Path(__file__).parents[2] / "docs" / "instrument-format.md").read_text("utf-8")
    after = doc[doc.index(heading) :]
    start = after.index(f"```{language}\n") + len(f"```{language}\n")
    return after[start : after.index("```", start)]


def test_docs__examples_load_and_the_example_answers_validate() -> None:
    first = instruments.load_text(_doc_block("## A first example", "yaml"))
    assert [i.id for i in first.items] == ["used_site", "site_rating", "comment"]
    example = instruments.load_text(_doc_block("## A complete example", "yaml"))
    assert instruments.untranslated(example) == []
    answers = json.loads(_doc_block("## A complete example", "json"))
    result = instruments.validate_answers(example, answers)
    assert result.values["AS4"] == {"na": True}
    assert result.values["GS3"] == 7
    assert "comment" not in result.values


def test_model__instruments_and_parts_are_hashable_and_equal_by_content() -> None:
    first, second = instruments.load_text(TEXT), instruments.load_text(TEXT)
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    assert len(set(first.items)) == len(first.items)
    assert {hash(s) for s in first.sections} == {hash(s) for s in second.sections}
