"""NOK expert checklists stored per campaign and library (the ``indices --checklist`` rows).

Report runs of a NOK campaign read them (:func:`checklist_frame`) so that K1–K5 and the
total are scored for every library that has one; :func:`store_checklists` enters them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.nok import CHECKLIST_COLUMNS
from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import NokChecklist
from survey_app.models import User

__all__ = ["checklist_frame", "store_checklists"]


def checklist_frame(session: Session, campaign_id: int) -> pd.DataFrame | None:
    """The campaign's checklists as :func:`reporting.regional_analysis` takes them (a
    ``library`` column of codes and the counts), or None when none is stored."""
    rows = session.execute(
        select(Library.code, *(getattr(NokChecklist, c) for c in CHECKLIST_COLUMNS))
        .join(Library, Library.id == NokChecklist.library_id)
        .where(NokChecklist.campaign_id == campaign_id)
        .order_by(Library.code)
    ).all()
    if not rows:
        return None
    return pd.DataFrame([tuple(r) for r in rows], columns=["library", *CHECKLIST_COLUMNS])


def store_checklists(
    session: Session,
    campaign: Campaign,
    counts: Mapping[Library, Mapping[str, int]],
    *,
    entered_by: User | None = None,
) -> int:
    """Enter (or replace) the checklist counts of these libraries; return how many rows.

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
        row.entered_by_id = entered_by.id if entered_by is not None else None
    session.flush()
    return len(counts)
