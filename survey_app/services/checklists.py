"""The NOK expert checklist of a campaign: uploaded by a quality manager, one row per library.

The file is the one ``survey-app indices --checklist`` reads (``docs/nok-checklist.md``): a
UTF-8 CSV with a ``library`` column of library codes and the eight counts of
:data:`analysis.nok.CHECKLIST_COLUMNS`. An upload is checked whole before anything is
stored — every library must belong to the campaign and to the uploader's scope, every count
must be a whole non-negative number, ``*_present`` at most ``*_required`` and
``*_required`` above zero — and then replaces the rows of the libraries it names (others
keep theirs). Every upload is audited as ``results.checklist``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.nok import CHECKLIST_COLUMNS
from instruments import ItemType
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import NokChecklist
from survey_app.models import User
from survey_app.services import audit
from survey_app.services.cells import CellError
from survey_app.services.cells import numeric_column
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.scope import Action
from survey_app.services.scope import library_ids_in_scope
from survey_app.services.scope import require_campaign

__all__ = ["MAX_BYTES", "Upload", "checklist_frame", "library_checklist", "store_checklist"]

#: the largest checklist file accepted (600 libraries take ~30 kB)
MAX_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class Upload:
    """What an upload stored."""

    campaign: Campaign
    libraries: tuple[str, ...]


def _read(content: bytes) -> pd.DataFrame:
    if len(content) > MAX_BYTES:
        raise Invalid("The file is too large.", [Issue("CHK001", "file", "larger than 1 MB")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            "The file is not UTF-8 text.", [Issue("CHK002", "file", "save it as 'CSV UTF-8'")]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise Invalid("The file is empty.", [Issue("CHK003", "file", "no header line")])
    header = [cell.strip() for cell in rows[0]]
    wanted = ["library", *CHECKLIST_COLUMNS]
    absent = [name for name in wanted if name not in header]
    if absent:
        raise Invalid(
            "The file lacks columns.", [Issue("CHK004", name, "column missing") for name in absent]
        )
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if not body:
        raise Invalid("The file has no library rows.", [Issue("CHK003", "file", "no rows")])
    if any(len(row) != len(header) for row in body):
        raise Invalid(
            "Some rows have a different number of cells than the header.",
            [Issue("CHK005", "file", "ragged rows")],
        )
    frame = pd.DataFrame(body, columns=header, dtype=str)
    return frame.loc[:, wanted]


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    issues: list[Issue] = []
    out = pd.DataFrame({"library": frame["library"].str.strip()})
    for column in CHECKLIST_COLUMNS:
        try:
            values = numeric_column(frame[column], ItemType.number)
        except CellError as exc:
            issues.append(Issue("CHK006", column, f"row {exc.row + 2}: {exc}"))
            continue
        bad = values.isna() | (values < 0) | (values != values.round())
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0]) + 2
            issues.append(Issue("CHK006", column, f"row {row}: not a whole number ≥ 0"))
            continue
        out[column] = values.astype("int64")
    if not issues:
        for part in ("stand", "site"):
            present, required = out[f"{part}_info_present"], out[f"{part}_info_required"]
            for k in (required <= 0).to_numpy().nonzero()[0]:
                issues.append(Issue("CHK007", f"{part}_info_required", f"row {k + 2}: must be > 0"))
            for k in (present > required).to_numpy().nonzero()[0]:
                issues.append(
                    Issue("CHK007", f"{part}_info_present", f"row {k + 2}: exceeds the required")
                )
    duplicated = out["library"][out["library"].duplicated()].tolist()
    issues += [Issue("CHK008", "library", f"{code}: more than one row") for code in duplicated]
    if issues:
        raise Invalid("The checklist has errors; nothing was stored.", issues)
    return out


def store_checklist(
    session: Session, actor: User, campaign_ref: Campaign | int | str, content: bytes
) -> Upload:
    """Check an uploaded checklist file whole, then store its rows for the campaign.

    Raises
    ------
    Forbidden
        When the actor may not start report runs (quality managers and administrators may).
    NotFound
        When the campaign does not exist or is outside the actor's scope.
    Invalid
        When the file cannot be read or a row is wrong (nothing is stored).
    """
    campaign = require_campaign(session, actor, campaign_ref, Action.run_reports)
    counts = _counts(_read(content))
    allowed = library_ids_in_scope(session, actor)
    members = {lib.code: lib for lib in campaign.libraries}
    issues = [
        Issue("CHK009", "library", f"{code}: not a library of this campaign in your scope")
        for code in counts["library"]
        if code not in members or (allowed is not None and members[code].id not in allowed)
    ]
    if issues:
        raise Invalid("The checklist names unknown libraries; nothing was stored.", issues)
    existing = {
        row.library_id: row
        for row in session.scalars(
            select(NokChecklist).where(NokChecklist.campaign_id == campaign.id)
        )
    }
    for record in counts.to_dict("records"):
        library = members[str(record["library"])]
        row = existing.get(library.id)
        if row is None:
            row = NokChecklist(campaign_id=campaign.id, library_id=library.id)
            session.add(row)
        for column in CHECKLIST_COLUMNS:
            setattr(row, column, int(record[column]))
        row.uploaded_by_id = actor.id
    session.flush()
    codes = tuple(str(code) for code in counts["library"])
    audit.record(session, actor, "results.checklist", campaign, libraries=len(codes))
    return Upload(campaign, codes)


def checklist_frame(session: Session, campaign: Campaign) -> pd.DataFrame | None:
    """The campaign's stored checklist as ``indices --checklist`` reads it (None: none)."""
    rows = session.execute(
        select(Library.code, NokChecklist)
        .join(Library, Library.id == NokChecklist.library_id)
        .where(NokChecklist.campaign_id == campaign.id)
        .order_by(Library.code)
    ).all()
    if not rows:
        return None
    return pd.DataFrame(
        [
            {"library": code, **{c: float(getattr(row, c)) for c in CHECKLIST_COLUMNS}}
            for code, row in rows
        ]
    )


def library_checklist(
    session: Session, campaign: Campaign, library: Library
) -> NokChecklist | None:
    """The stored checklist row of one library in a campaign, if any."""
    return session.scalar(
        select(NokChecklist)
        .where(NokChecklist.campaign_id == campaign.id)
        .where(NokChecklist.library_id == library.id)
    )


def store_checklists(
    session: Session,
    campaign: Campaign,
    counts: Mapping[Library, Mapping[str, int]],
    *,
    entered_by: User | None = None,
) -> int:
    """Enter (or replace) the checklist counts of these libraries (the demo's seeding);
    return how many rows. Uploads by staff go through :func:`store_checklist`.

    Raises
    ------
    ValueError
        When a library's counts miss a column of :data:`analysis.nok.CHECKLIST_COLUMNS`.
    """
    existing = {
        row.library_id: row
        for row in session.scalars(
            select(NokChecklist).where(NokChecklist.campaign_id == campaign.id)
        )
    }
    for library, values in counts.items():
        missing = [c for c in CHECKLIST_COLUMNS if c not in values]
        if missing:
            raise ValueError(f"{library.code}: checklist columns missing: {', '.join(missing)}")
        row = existing.get(library.id)
        if row is None:
            row = NokChecklist(campaign_id=campaign.id, library_id=library.id)
            session.add(row)
        for column in CHECKLIST_COLUMNS:
            setattr(row, column, int(values[column]))
        row.uploaded_by_id = entered_by.id if entered_by is not None else None
    session.flush()
    return len(counts)
