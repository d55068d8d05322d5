"""Cells of a wide table as numbers, read exactly as ``import responses`` reads them.

``survey-app reliability`` and ``survey-app indices`` read files a regional office typed in
a spreadsheet; they accept what the paper import accepts (``docs/data-format.md``): a decimal
point or comma, ``да``/``нет``, ``yes``/``no``, ``true``/``false`` and ``1``/``0`` for yes/no
items, an empty cell as "no answer" (the commands' CSV reader also turns R's ``NA`` into an
empty cell before the cells get here). The rule per cell is
:func:`instruments.cell_number`; this module applies it to a column (plain numbers take a
vectorised fast path) and says which cell is wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments import ItemType
from instruments import cell_number

__all__ = ["CellError", "numeric_column"]

#: numbers every reader agrees on (no comma, no sign words): parsed by pandas directly
_PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


class CellError(ValueError):
    """A cell that is not a number of its kind: ``row`` is the 0-based position in the column."""

    def __init__(self, row: int, value: str, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.value = value


def numeric_column(values: pd.Series, item_type: ItemType | None = None) -> pd.Series:
    """``values`` (text or numbers) as float64, missing = NaN, by :func:`instruments.cell_number`.

    Raises
    ------
    CellError
        For the first cell that is neither empty nor a valid answer.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        out = values.astype("float64")
        text = None
    else:
        text = values.astype("string").str.strip()
        text = text.mask(text == "")
        plain = text.str.fullmatch(_PLAIN).fillna(False).astype(bool)
        if item_type is ItemType.yes_no:
            plain = text.isin(["0", "1"]).fillna(False).astype(bool)
        out = pd.Series(np.nan, index=values.index, dtype="float64")
        out[plain] = pd.to_numeric(text[plain]).astype("float64")
        for pos in np.flatnonzero(text.notna().to_numpy() & ~plain.to_numpy()).tolist():
            raw = str(text.iloc[pos])
            try:
                number = cell_number(raw, item_type)
            except ValueError as exc:
                raise CellError(pos, raw, str(exc)) from None
            out.iloc[pos] = np.nan if number is None else float(number)
    finite = out.isna() | np.isfinite(out.to_numpy())
    if not finite.all():
        first = int(np.flatnonzero(~finite.to_numpy())[0])
        raw = str(values.iloc[first]) if text is None else str(text.iloc[first])
        raise CellError(first, raw, f"{raw!r} is not a finite number")
    return out
