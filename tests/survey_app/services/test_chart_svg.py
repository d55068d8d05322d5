"""The shared chart helper (issue 13 §6): Agg, no fonts, no varying metadata, same bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from survey_app.services import chart_svg

ROOT = Path(__file__).resolve().parents[3]


def draw(title: str | None = None) -> bytes:
    with chart_svg.drawing():
        fig = chart_svg.figure(4, 3)
        axes = fig.add_subplot()
        axes.barh([0, 1], [0.4, 0.6], hatch="//", color="#cccccc", edgecolor="black")
        axes.set_title("Доля ответов")
        return chart_svg.to_svg(fig, title=title)


def test_same_figure__same_bytes_without_date_creator_or_fonts():
    first, again = draw(), draw()
    assert first == again
    text = first.decode("utf-8")
    assert text.startswith("<?xml") and "<svg" in text
    assert "<dc:date>" not in text and "Matplotlib v" not in text and "<dc:creator>" not in text
    # text is drawn as paths: no font is named or loaded
    assert "font-family" not in text and "@font-face" not in text and "<text" not in text
    assert "<dc:title>Воронка</dc:title>" in draw("Воронка").decode("utf-8")


def test_style__applies_only_while_drawing():
    import matplotlib

    draw()
    assert matplotlib.rcParams["svg.fonttype"] == "path"  # matplotlib's default, unchanged
    assert matplotlib.rcParams["font.size"] == 10.0
    assert matplotlib.get_backend().lower() == "agg"


def test_importing_the_helper__does_not_import_matplotlib():
    code = "import sys; import survey_app.services.chart_svg; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
