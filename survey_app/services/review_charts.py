"""SVG charts of the instrument review page (issue 13 §6), drawn by matplotlib.

Each chart is a self-contained SVG (text drawn as paths, no fonts, scripts or links),
readable in black and white: bars are told apart by hatching and grey levels, not by colour.
The page shows the same numbers in a table beside every chart, and the ``<img>`` carries a
text alternative. The backend, style and SVG output are :mod:`.chart_svg`'s (shared with the
library page and the dashboard).

Charts are cached in the database with the latest finished report runs of the reviewed
campaigns (:mod:`.review_cache`): a chart is drawn once per state of the responses, scope,
runs and locale, and a new run draws it afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from survey_app.services import chart_svg
from survey_app.services import review_cache
from survey_app.services.instrument_review import InstrumentReview

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["item_distributions_svg", "loadings_svg"]


def _figure(width: float, height: float) -> Figure:
    return chart_svg.figure(width, height)


def _svg(fig: Figure) -> bytes:
    return chart_svg.to_svg(fig)


def _cached(
    session: Session,
    review: InstrumentReview,
    name: str,
    parts: tuple[str, ...],
    draw: Callable[[], bytes],
) -> bytes:
    def drawn() -> str:
        with chart_svg.drawing():
            return draw().decode("utf-8")

    return review_cache.cached(session, review.cache_state(session), name, parts, drawn).encode(
        "utf-8"
    )


def _number(value: float, pattern: str, locale: str) -> str:
    from babel.numbers import format_decimal

    return str(format_decimal(value, pattern, locale=locale)).replace("-", "−")


def item_distributions_svg(
    session: Session,
    review: InstrumentReview,
    *,
    title: str,
    missing: str,
    not_asked: str = "not asked",
    locale: str = "ru",
    translate: Callable[[str], str] = str,
) -> bytes:
    """Stacked horizontal bars: for each item, the share of each answer, of no answer and
    of the responses the skip logic did not ask it.

    Parameters
    ----------
    session : Session
        Where the chart is cached (with the runs).
    review : InstrumentReview
    title : str
        Chart title (already translated).
    missing : str
        Legend label of "no answer" (asked, not answered).
    not_asked : str
        Legend label of "not asked" (hidden by the skip logic).
    locale : str
        Locale of the numbers (decimal comma in Russian) and of the answers' labels.
    translate : Callable
        The page's ``gettext``, for the labels of yes/no answers.
    """
    return _cached(
        session,
        review,
        "items",
        (title, missing, not_asked, locale, "labelled"),
        lambda: _draw_items(review, title, missing, not_asked, locale, translate),
    )


def _draw_items(
    review: InstrumentReview,
    title: str,
    missing: str,
    not_asked: str,
    locale: str,
    translate: Callable[[str], str] = str,
) -> bytes:
    from matplotlib.patches import Patch

    items = list(review.items)
    fig = _figure(6.5, 1.2 + 0.3 * max(len(items), 1))
    ax = fig.add_subplot(1, 1, 1)
    # one legend when every item has the same answers: their labels, or else their values
    scales = {
        tuple(
            label or _number(v, "0.##", locale)
            for (v, _), label in zip(
                item.counts, item.answer_labels(locale, translate), strict=True
            )
        )
        for item in items
    }
    y = list(range(len(items)))[::-1]
    # one barh call per (category position, number of categories): few artists, fast SVG
    segments: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    missing_rows: list[tuple[int, float, float]] = []
    hidden_rows: list[tuple[int, float, float]] = []
    for row, item in zip(y, items, strict=True):
        left = 0.0
        n = len(item.counts)
        for k, (_, count) in enumerate(item.counts):
            width = count / item.n_rows if item.n_rows else 0.0
            if width > 0:
                segments.setdefault((k, n), []).append((row, width, left))
            left += width
        unanswered = item.unanswered_of_all
        if unanswered > 0:
            missing_rows.append((row, unanswered, left))
        if item.not_asked_share:
            hidden_rows.append((row, item.not_asked_share, left + unanswered))
    for (k, n), parts in sorted(segments.items()):
        grey, hatch = _category_style(k, n)
        rows, widths, lefts = zip(*parts, strict=True)
        ax.barh(rows, widths, left=lefts, color=grey, edgecolor="black", linewidth=0.6, hatch=hatch)
    if missing_rows:
        rows, widths, lefts = zip(*missing_rows, strict=True)
        ax.barh(
            rows,
            widths,
            left=lefts,
            color="white",
            edgecolor="black",
            linewidth=0.6,
            linestyle="--",
        )
    if hidden_rows:
        rows, widths, lefts = zip(*hidden_rows, strict=True)
        ax.barh(
            rows, widths, left=lefts, color="0.88", edgecolor="black", linewidth=0.6, hatch=".."
        )
    if len(scales) == 1:
        values = next(iter(scales))
        legend = [
            Patch(
                facecolor=_category_style(k, len(values))[0],
                hatch=_category_style(k, len(values))[1],
                edgecolor="black",
                label=v,
            )
            for k, v in enumerate(values)
        ]
    else:  # items on different response scales: lowest to highest answer of each
        legend = [
            Patch(facecolor=_category_style(0, 2)[0], edgecolor="black", hatch="////", label="↓"),
            Patch(facecolor=_category_style(1, 2)[0], edgecolor="black", label="↑"),
        ]
    legend.append(Patch(facecolor="white", edgecolor="black", linestyle="--", label=missing))
    if hidden_rows:
        legend.append(Patch(facecolor="0.88", edgecolor="black", hatch="..", label=not_asked))
    ax.set_yticks(y, [item.key + (" (−)" if item.reverse else "") for item in items])
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0 %", "25 %", "50 %", "75 %", "100 %"])
    ax.set_title(title, loc="left")
    ax.legend(
        handles=legend,
        ncol=min(len(legend), 8),
        loc="upper left",
        bbox_to_anchor=(0, -0.04 - 0.4 / (len(items) + 1)),
        frameon=False,
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def _category_style(k: int, n: int) -> tuple[str, str]:
    """Grey level (white for the lowest answer to black for the highest) and hatch of the
    k-th of n answer categories: told apart without colour."""
    level = 1.0 - k / (n - 1) if n > 1 else 0.5
    grey = "#" + f"{round(255 * level):02x}" * 3
    # only the lowest answer is hatched: hatching every category made the SVG several
    # seconds slower to draw, and the grey ramp plus the order already tell them apart
    return grey, "////" if k == 0 else ""


def loadings_svg(
    session: Session, review: InstrumentReview, *, title: str, locale: str = "ru"
) -> bytes:
    """Grey-scale heat map of the rotated loadings (|λ| as darkness, the value printed)."""
    return _cached(
        session, review, "loadings", (title, locale), lambda: _draw_loadings(review, title, locale)
    )


def _draw_loadings(review: InstrumentReview, title: str, locale: str) -> bytes:
    result = review.factor
    if result is None:
        raise ValueError("no factor solution to draw")
    loadings = result.loadings
    fig = _figure(2.0 + 1.1 * loadings.shape[1], 1.2 + 0.32 * loadings.shape[0])
    ax = fig.add_subplot(1, 1, 1)
    values = loadings.to_numpy()
    # vector cells (pcolormesh), not a raster image: crisp when printed
    ax.pcolormesh(abs(values), cmap="Greys", vmin=0, vmax=1, edgecolors="black", linewidth=0.4)
    ax.invert_yaxis()
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            ax.text(
                j + 0.5,
                i + 0.5,
                _number(v, "0.00", locale),
                ha="center",
                va="center",
                color="white" if abs(v) >= 0.5 else "black",
                fontweight="bold" if abs(v) >= 0.3 else "normal",
                fontsize=9,
            )
    ax.set_xticks([j + 0.5 for j in range(values.shape[1])], [str(c) for c in loadings.columns])
    ax.set_yticks([i + 0.5 for i in range(values.shape[0])], [str(i) for i in loadings.index])
    ax.xaxis.tick_top()
    for spine in ax.spines.values():  # a table: framed on every side
        spine.set_visible(True)
    ax.set_title(title, loc="left", pad=24)
    return _svg(fig)
