"""What every server-drawn chart shares (issue 13 §6): matplotlib on the Agg backend (no
display), one black-and-white style, and a figure turned into deterministic SVG bytes.

The three chart modules — :mod:`.charts` (library page), :mod:`.funnel_chart` (dashboard) and
:mod:`.review_charts` (instrument review) — draw their figures inside :func:`drawing` and
turn them into SVG with :func:`to_svg`; none of them sets matplotlib up on its own.

* **No external fonts**: text is drawn as paths (``svg.fonttype = "path"``), so the SVG
  needs no font on the reader's machine and looks the same printed and on screen.
* **Black and white**: black text, axes and hatching on white; the modules tell categories
  apart by grey level, hatching, line style and marker shape, never by colour alone.
* **Deterministic**: ids are salted with a constant (``svg.hashsalt``) and the metadata
  that would change between runs or matplotlib versions (date, creator) is left out, so the
  same data give the same bytes (and cached bodies and ETags stay valid).
* **One drawing at a time**: matplotlib's settings are process-global, so drawing is
  serialised by a lock; a chart takes well under a second.

matplotlib is imported on the first drawing, not with this module (the application and the
command line start without it), under a lock: two requests importing it at the same moment
in two threads saw a partially initialised ``matplotlib.transforms`` (ImportError).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["STYLE", "drawing", "figure", "to_svg"]

#: the matplotlib settings of every chart
STYLE: dict[str, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "survey-app-charts",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "text.color": "black",
    "axes.edgecolor": "black",
    "axes.labelcolor": "black",
    "axes.titlesize": 10,
    "xtick.color": "black",
    "ytick.color": "black",
    "hatch.color": "black",
    "hatch.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
#: metadata left out of every SVG (they differ between runs or matplotlib versions)
_NO_METADATA: dict[str, Any] = {"Date": None, "Creator": None}

_lock = threading.RLock()


def _load() -> None:
    """Import matplotlib (once) and choose the Agg backend: no display is ever needed."""
    with _lock:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.backends.backend_svg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import matplotlib.patches  # noqa: F401


@contextmanager
def drawing() -> Iterator[None]:
    """Draw inside this block: the shared style applies, one drawing at a time."""
    _load()
    from matplotlib import rc_context

    with _lock, rc_context(STYLE):  # type: ignore[arg-type]  # matplotlib types keys as literals
        yield


def figure(width: float, height: float, *, dpi: float = 72) -> Figure:
    """A bare figure (no pyplot, no global state) of ``width`` × ``height`` inches."""
    _load()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi)


def to_svg(fig: Figure, *, title: str | None = None, tight: bool = True) -> bytes:
    """The figure as an SVG document (UTF-8 bytes), the same bytes for the same figure.

    ``title`` becomes the SVG's ``<title>`` metadata; ``tight`` trims the white margin.
    """
    metadata = dict(_NO_METADATA)
    if title:
        metadata["Title"] = title
    buffer = io.BytesIO()
    with drawing():
        fig.savefig(
            buffer,
            format="svg",
            metadata=metadata,
            bbox_inches="tight" if tight else None,
        )
    return buffer.getvalue()
