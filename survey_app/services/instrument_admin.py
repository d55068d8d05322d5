"""Managing questionnaire versions: upload (YAML or XLSForm), publish, compare, item lineage.

An upload is stored as a *draft* :class:`InstrumentVersion` whose ``source`` is always the
YAML text (an XLSForm is converted first, see :mod:`instruments.xlsform`).  A draft may be
replaced by uploading the same id and version again; publishing freezes it for good
(:class:`Conflict` on any later attempt) and records each item's *lineage* against the
previous published version, so that trend reports compare like with like:

* ``same``: the item exists there with the same type, answer scale and texts;
* ``reworded``: same type and answer scale, but a text (question, help, anchors, choice or
  column labels) changed in some language;
* ``new``: the item did not exist, or its type or answer scale changed (then answers are
  not comparable).

``actor=None`` means the command line (trusted); views pass the signed-in user, whose
permission (``manage_instruments``) is checked here.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

import instruments
from instruments import Instrument
from instruments import InstrumentError
from instruments import Item
from instruments import Problem
from instruments.xlsform import convert
from instruments.xlsform import load_xlsform
from survey_app.models import Campaign
from survey_app.models import InstrumentVersion
from survey_app.models import User
from survey_app.models.base import utcnow
from survey_app.services import audit
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.instruments import instrument_of
from survey_app.services.scope import Action
from survey_app.services.scope import require

__all__ = [
    "MAX_UPLOAD_BYTES",
    "InstrumentOverview",
    "ItemChange",
    "ScaleChange",
    "VersionDiff",
    "diff_instruments",
    "diff_versions",
    "get_version",
    "item_lineage",
    "list_instruments",
    "list_versions",
    "parse_upload",
    "publish_version",
    "upload_instrument",
    "version_in_use",
]

#: largest accepted upload (a 200-item XLSForm is ~60 KB)
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class InstrumentOverview:
    """One instrument and all its stored versions, newest first."""

    instrument_id: str
    title: str
    versions: tuple[InstrumentVersion, ...]

    @property
    def latest_published(self) -> InstrumentVersion | None:
        """The newest published version, if any."""
        return next((v for v in self.versions if v.published_at is not None), None)

    @property
    def drafts(self) -> tuple[InstrumentVersion, ...]:
        """Versions not yet published."""
        return tuple(v for v in self.versions if v.published_at is None)


def _allowed(actor: User | None) -> None:
    if actor is not None:
        require(actor, Action.manage_instruments)


def list_instruments(session: Session, *, actor: User | None = None) -> list[InstrumentOverview]:
    """Return every stored instrument with its versions, ordered by id."""
    _allowed(actor)
    rows = session.scalars(
        select(InstrumentVersion).order_by(
            InstrumentVersion.instrument_id, InstrumentVersion.version.desc()
        )
    ).all()
    grouped: dict[str, list[InstrumentVersion]] = {}
    for row in rows:
        grouped.setdefault(row.instrument_id, []).append(row)
    return [
        InstrumentOverview(key, versions[0].title, tuple(versions))
        for key, versions in grouped.items()
    ]


def list_versions(session: Session, instrument_id: str) -> list[InstrumentVersion]:
    """Return the stored versions of one instrument, newest first."""
    return list(
        session.scalars(
            select(InstrumentVersion)
            .where(InstrumentVersion.instrument_id == instrument_id)
            .order_by(InstrumentVersion.version.desc())
        )
    )


def get_version(
    session: Session, instrument_id: str, version: int, *, actor: User | None = None
) -> InstrumentVersion:
    """Return one stored version.

    Raises
    ------
    NotFound
        When there is no such instrument version.
    """
    _allowed(actor)
    row = session.scalar(
        select(InstrumentVersion).where(
            InstrumentVersion.instrument_id == instrument_id, InstrumentVersion.version == version
        )
    )
    if row is None:
        raise NotFound("No such instrument version.")
    return row


def _issues(problems: Sequence[Problem]) -> list[Issue]:
    issues = []
    for problem in problems:
        where = problem.file or ""
        if problem.line is not None:
            where = f"{where}:{problem.line}" if where else f"line {problem.line}"
        path = " ".join(part for part in (where, problem.path) if part)
        issues.append(Issue(str(problem.code), path, problem.message, problem.context))
    return issues


def _next_version(session: Session, instrument_id: str) -> int:
    top = session.scalar(
        select(func.max(InstrumentVersion.version)).where(
            InstrumentVersion.instrument_id == instrument_id
        )
    )
    return int(top or 0) + 1


def parse_upload(
    session: Session,
    data: bytes,
    filename: str,
    *,
    instrument_id: str | None = None,
) -> tuple[Instrument, str, str]:
    """Read an uploaded definition: ``(instrument, YAML text, "yaml" | "xlsform")``.

    An XLSForm without ``form_id`` takes ``instrument_id``; one without ``version`` gets
    the next free version number of its instrument.

    Raises
    ------
    Invalid
        With every problem, each located as ``file:line`` or ``file:sheet:row``.
    """
    name = (filename or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload"
    if not data:
        raise Invalid("The file is empty.", [Issue("UPL001", name, "the file is empty")])
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid(
            "The file is too large.",
            [Issue("UPL002", name, f"at most {MAX_UPLOAD_BYTES // 1024} KB are accepted")],
        )
    is_xlsx = data.startswith(_XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm"))
    try:
        if is_xlsx:
            version = None
            draft = convert(data, filename=name, instrument_id=instrument_id)
            key = draft.raw.get("id") or instrument_id
            if "version" not in draft.raw and isinstance(key, str):
                version = _next_version(session, key)
            instrument, text = load_xlsform(
                data, filename=name, instrument_id=instrument_id, version=version
            )
            return instrument, text, "xlsform"
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(
                "The file is neither YAML (UTF-8) nor an .xlsx workbook.",
                [Issue("UPL003", name, "not UTF-8 text and not an .xlsx workbook")],
            ) from None
        return instruments.load_text(text, filename=name), text, "yaml"
    except InstrumentError as error:
        raise Invalid(
            f"The file has {len(error.problems)} problem(s).", _issues(error.problems)
        ) from None


def upload_instrument(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None = None,
    instrument_id: str | None = None,
) -> InstrumentVersion:
    """Store an uploaded YAML or XLSForm definition as a draft version (or replace a draft).

    ``instrument_id`` asks for a new version of that instrument: the file must define it.

    Raises
    ------
    Invalid
        The file has problems (all of them are listed), defines another instrument, or
        its version is not newer than the latest published one.
    Conflict
        That version is already published (published versions are never replaced).
    """
    _allowed(actor)
    instrument, text, source_format = parse_upload(
        session, data, filename, instrument_id=instrument_id
    )
    if instrument_id is not None and instrument.id != instrument_id:
        raise Invalid(
            "The file defines another instrument.",
            [Issue("UPL004", "id", f"the file defines {instrument.id!r}, not {instrument_id!r}")],
        )
    existing = session.scalar(
        select(InstrumentVersion).where(
            InstrumentVersion.instrument_id == instrument.id,
            InstrumentVersion.version == instrument.version,
        )
    )
    if existing is not None and existing.published_at is not None:
        raise Conflict(
            f"Version {instrument.version} of {instrument.id} is published and cannot be "
            "replaced; upload it as a new version."
        )
    newest = session.scalar(
        select(func.max(InstrumentVersion.version)).where(
            InstrumentVersion.instrument_id == instrument.id,
            InstrumentVersion.published_at.is_not(None),
        )
    )
    if existing is None and newest is not None and instrument.version <= newest:
        raise Invalid(
            "The version number is too low.",
            [
                Issue(
                    "UPL005",
                    "version",
                    f"version {instrument.version} is not newer than the published "
                    f"version {newest}; use {newest + 1} or higher",
                )
            ],
        )
    title = instrument.title.get("ru") or instrument.id
    if existing is None:
        existing = InstrumentVersion(instrument_id=instrument.id, version=instrument.version)
        session.add(existing)
    existing.sha256 = instrument.sha256
    existing.source = text
    existing.title = title[:300]
    existing.source_format = source_format
    existing.uploaded_by_id = actor.id if actor is not None else None
    existing.created_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "instrument.upload",
        existing,
        format=source_format,
        sha256=instrument.sha256,
        items=len(instrument.items),
    )
    return existing


def _previous_published(session: Session, row: InstrumentVersion) -> InstrumentVersion | None:
    return session.scalar(
        select(InstrumentVersion)
        .where(
            InstrumentVersion.instrument_id == row.instrument_id,
            InstrumentVersion.version < row.version,
            InstrumentVersion.published_at.is_not(None),
        )
        .order_by(InstrumentVersion.version.desc())
        .limit(1)
    )


def publish_version(
    session: Session, instrument_id: str, version: int, *, actor: User | None = None
) -> InstrumentVersion:
    """Publish a draft: freeze it and record its item lineage.

    Raises
    ------
    NotFound
        No such version.
    Conflict
        It is already published.
    """
    _allowed(actor)
    row = get_version(session, instrument_id, version)
    if row.published_at is not None:
        raise Conflict(f"Version {version} of {instrument_id} is already published.")
    new = instrument_of(row)
    previous = _previous_published(session, row)
    old = instrument_of(previous) if previous is not None else None
    row.lineage = {
        "against": previous.version if previous is not None else None,
        "items": item_lineage(old, new),
    }
    row.published_at = utcnow()
    session.flush()
    counts: dict[str, int] = {}
    for value in row.lineage["items"].values():
        counts[value] = counts.get(value, 0) + 1
    audit.record(
        session,
        actor,
        "instrument.publish",
        row,
        sha256=row.sha256,
        lineage=counts,
        against=row.lineage["against"],
    )
    return row


def version_in_use(session: Session, row: InstrumentVersion) -> int:
    """Return how many campaigns use this version."""
    return int(
        session.scalar(
            select(func.count(Campaign.id)).where(Campaign.instrument_version_id == row.id)
        )
        or 0
    )


# --- comparing versions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemChange:
    """How one item differs between two versions; ``fields`` names what changed."""

    item_id: str
    fields: tuple[str, ...]
    old_text: str = ""
    new_text: str = ""


@dataclass(frozen=True, slots=True)
class ScaleChange:
    """A scale (dimension) added, removed or changed."""

    scale_id: str
    kind: str  #: "added", "removed" or "changed"
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    """What changed from ``old`` to ``new`` (two versions of one instrument)."""

    old: tuple[str, int]
    new: tuple[str, int]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reworded: tuple[ItemChange, ...] = ()
    moved: tuple[ItemChange, ...] = ()
    #: type or answer scale changed: answers are not comparable
    rescaled: tuple[ItemChange, ...] = ()
    scales: tuple[ScaleChange, ...] = ()
    #: sections added, removed, retitled or with changed skip logic
    sections: tuple[ItemChange, ...] = ()
    #: items whose skip logic (show_if) or required flag changed
    logic: tuple[ItemChange, ...] = ()

    @property
    def identical(self) -> bool:
        """No difference at all."""
        return not (
            self.added
            or self.removed
            or self.reworded
            or self.moved
            or self.rescaled
            or self.scales
            or self.sections
            or self.logic
        )


def _text_fields(item: Item) -> dict[str, Any]:
    """Every text shown with an item, keyed by a readable field name."""
    texts: dict[str, Any] = {"text": dict(item.text), "help": dict(item.help or {})}
    texts["anchors"] = {point: dict(label) for point, label in sorted(item.anchors.items())}
    texts["choice labels"] = [dict(c.label) for c in item.choices]
    texts["column labels"] = [dict(c.label) for c in item.columns]
    return texts


def _scale_fields(item: Item) -> dict[str, Any]:
    """What makes answers comparable: type, range, choice values and codes, columns."""
    return {
        "type": item.type.value,
        "range": (item.min, item.max),
        "choices": [(c.value, c.code) for c in item.choices],
        "columns": [c.id for c in item.columns],
        "integer": item.integer,
        "N/A option": item.na_allowed,
    }


def _changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    return tuple(key for key in new if old.get(key) != new[key])


def _reworded_fields(old: Item, new: Item) -> tuple[str, ...]:
    fields: list[str] = []
    old_texts, new_texts = _text_fields(old), _text_fields(new)
    for key in new_texts:
        if old_texts[key] == new_texts[key]:
            continue
        if key in ("text", "help"):
            locales = sorted(set(old_texts[key]) | set(new_texts[key]))
            fields.extend(
                f"{key} ({loc})"
                for loc in locales
                if old_texts[key].get(loc) != new_texts[key].get(loc)
            )
        else:
            fields.append(key)
    return tuple(fields)


def item_lineage(old: Instrument | None, new: Instrument) -> dict[str, str]:
    """Return ``{item id: "same" | "reworded" | "new"}`` for the items of ``new``."""
    previous = {item.id: item for item in old.items} if old is not None else {}
    lineage: dict[str, str] = {}
    for item in new.items:
        before = previous.get(item.id)
        if before is None or _changed(_scale_fields(before), _scale_fields(item)):
            lineage[item.id] = "new"
        elif _reworded_fields(before, item):
            lineage[item.id] = "reworded"
        else:
            lineage[item.id] = "same"
    return lineage


def _ru(text: Any) -> str:
    return str(text.get("ru", "")) if text else ""


def diff_instruments(old: Instrument, new: Instrument) -> VersionDiff:
    """Compare two instruments item by item, section by section and scale by scale."""
    old_items = {item.id: item for item in old.items}
    new_items = {item.id: item for item in new.items}
    old_section = {i.id: s.id for s in old.sections for i in s.items}
    new_section = {i.id: s.id for s in new.sections for i in s.items}
    added = tuple(i for i in new_items if i not in old_items)
    removed = tuple(i for i in old_items if i not in new_items)
    common_old = [i for i in old_items if i in new_items]
    common_new = [i for i in new_items if i in old_items]
    in_order: set[str] = set()
    matcher = difflib.SequenceMatcher(a=common_old, b=common_new, autojunk=False)
    for block in matcher.get_matching_blocks():
        in_order.update(common_old[block.a : block.a + block.size])
    reworded, moved, rescaled, logic = [], [], [], []
    for item_id in common_new:
        before, after = old_items[item_id], new_items[item_id]
        words = _reworded_fields(before, after)
        if words:
            reworded.append(ItemChange(item_id, words, _ru(before.text), _ru(after.text)))
        where: list[str] = []
        if old_section[item_id] != new_section[item_id]:
            where.append(f"section {old_section[item_id]} → {new_section[item_id]}")
        if item_id not in in_order:
            where.append("order")
        if where:
            moved.append(ItemChange(item_id, tuple(where)))
        answer_scale = _changed(_scale_fields(before), _scale_fields(after))
        if answer_scale:
            rescaled.append(ItemChange(item_id, answer_scale))
        rules = tuple(
            name
            for name, changed in (
                ("show_if", before.show_if != after.show_if),
                ("required", before.required != after.required),
            )
            if changed
        )
        if rules:
            logic.append(ItemChange(item_id, rules))
    scales: list[ScaleChange] = []
    old_scales = {s.id: s for s in old.scales}
    new_scales = {s.id: s for s in new.scales}
    for scale_id, scale in new_scales.items():
        if scale_id not in old_scales:
            scales.append(ScaleChange(scale_id, "added"))
            continue
        before_scale = old_scales[scale_id]
        what = tuple(
            name
            for name, a, b in (
                ("items", before_scale.items, scale.items),
                ("reverse-keyed items", before_scale.reverse, scale.reverse),
                ("column", before_scale.column, scale.column),
                ("title", dict(before_scale.title), dict(scale.title)),
            )
            if a != b
        )
        if what:
            scales.append(ScaleChange(scale_id, "changed", what))
    scales.extend(ScaleChange(s, "removed") for s in old_scales if s not in new_scales)
    sections: list[ItemChange] = []
    old_sections = {s.id: s for s in old.sections}
    for section in new.sections:
        before_section = old_sections.get(section.id)
        if before_section is None:
            sections.append(ItemChange(section.id, ("added",), "", _ru(section.title)))
        elif dict(before_section.title) != dict(section.title) or (
            before_section.show_if != section.show_if
        ):
            what = tuple(
                name
                for name, changed in (
                    ("title", dict(before_section.title) != dict(section.title)),
                    ("show_if", before_section.show_if != section.show_if),
                )
                if changed
            )
            sections.append(
                ItemChange(section.id, what, _ru(before_section.title), _ru(section.title))
            )
    new_ids = {s.id for s in new.sections}
    sections.extend(
        ItemChange(s.id, ("removed",), _ru(s.title), "")
        for s in old.sections
        if s.id not in new_ids
    )
    return VersionDiff(
        old=(old.id, old.version),
        new=(new.id, new.version),
        added=added,
        removed=removed,
        reworded=tuple(reworded),
        moved=tuple(moved),
        rescaled=tuple(rescaled),
        scales=tuple(scales),
        sections=tuple(sections),
        logic=tuple(logic),
    )


def diff_versions(
    session: Session, instrument_id: str, old: int, new: int, *, actor: User | None = None
) -> VersionDiff:
    """Compare two stored versions of one instrument.

    Raises
    ------
    NotFound
        When either version does not exist.
    """
    _allowed(actor)
    before = instrument_of(get_version(session, instrument_id, old))
    after = instrument_of(get_version(session, instrument_id, new))
    return diff_instruments(before, after)
