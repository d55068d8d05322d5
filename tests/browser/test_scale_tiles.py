"""Rating tiles on a phone: what the visitor taps is what gets recorded.

For every bundled instrument, on phones 320, 360 and 412 px wide, a visitor walks through
every page.  On each page every rating tile (likert, NPS, smiley and, where a battery is
shown as tiles, its columns) must

* be at least 44 × 44 px, lie inside the viewport and overlap no other tile;
* be its own tap target: the radio covers exactly the visible tile, and a tap on the tile's
  centre or on any of its four inner corners (3 px in, inside the rounded border) selects
  that tile's value and no other;
* hold its content (no text spilling over the border).

The same geometry is checked on the page's error state (a red bar narrows the question).
The taps are real touch events in Chromium; between taps the group is cleared, so a tap that
selects nothing fails as surely as one that selects a neighbour.  Every tile of the likert,
NPS and smiley items is tapped; on a page of battery cards (22 statements × 3 rows of 9
tiles in library_gap), which all share one layout, the tiles of the first and the last card
are tapped and every tile's geometry is checked: ``SURVEY_TAP_EVERY_TILE=1`` taps them all
(8.3 minutes instead of 3.6 for this file on the loaded development machine).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from instruments.loader import load_all
from instruments.model import ItemType
from survey_app.models import Campaign

pytestmark = pytest.mark.browser

WIDTHS = (320, 360, 412)
BUNDLED = {key[0]: instrument for key, instrument in sorted(load_all().items())}
INSTRUMENTS = sorted(BUNDLED)
#: item types shown as a row of tiles
TILED = {ItemType.likert, ItemType.nps, ItemType.smiley, ItemType.battery}
#: tap every tile of every battery statement, not the first and last card of each page
#: (geometry is checked on every tile either way; the full sweep takes minutes)
EVERY_BATTERY_TILE = os.environ.get("SURVEY_TAP_EVERY_TILE") == "1"
#: how far inside the tile's edges the "inner corners" are (the border radius is 6 px)
INSET = 3

#: geometry of every visible tile: its value, its group, the label's and the radio's boxes
TILES_JS = """() => Array.from(document.querySelectorAll('.tile'))
  .filter(t => t.offsetParent !== null)
  .map(t => {
    const input = t.querySelector('input'), label = t.querySelector('label');
    const box = e => { const r = e.getBoundingClientRect();
      return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
    return {id: input.id, name: input.name, value: input.value, label: box(label),
            input: box(input), spills: label.scrollWidth > label.clientWidth + 1
              || label.scrollHeight > label.clientHeight + 1};
  })"""

#: answer what is still unanswered on the page, so that "Next" moves on (not under test)
FILL_JS = """() => {
  const groups = new Set(Array.from(document.querySelectorAll(
    '#survey input[type=radio]')).map(i => i.name));
  for (const name of groups) {
    const all = document.querySelectorAll(`input[type=radio][name="${name}"]`);
    if (!Array.from(all).some(i => i.checked)) {
      all[0].checked = true;
      // as a tap does: static/questionnaire.js shows a question the answer makes apply
      all[0].dispatchEvent(new Event('change', {bubbles: true}));
    }
  }
  for (const s of document.querySelectorAll('#survey select'))
    if (!s.value) s.value = s.options[s.options.length - 1].value;
  for (const i of document.querySelectorAll('#survey .input-number'))
    if (!i.value) i.value = '20';
}"""


def layout_problems(page: Page, width: int) -> list[str]:
    """Tiles too small, off screen, overlapping, spilling, or not their own target."""
    tiles = page.evaluate(TILES_JS)
    problems = []
    for tile in tiles:
        label, target = tile["label"], tile["input"]
        name = f"{tile['id']} ({label['w']:.0f}x{label['h']:.0f} at x={label['x']:.0f})"
        if label["w"] < 44 or label["h"] < 44:
            problems.append(f"{name}: smaller than 44x44")
        if label["x"] < 0 or label["x"] + label["w"] > width:
            problems.append(f"{name}: crosses the viewport edge")
        if any(abs(label[k] - target[k]) > 0.5 for k in ("x", "y", "w", "h")):
            problems.append(f"{name}: tap target {target} is not the visible tile")
        if tile["spills"]:
            problems.append(f"{name}: its content spills over the tile")
    for i, a in enumerate(tiles):
        for b in tiles[i + 1 :]:
            p, q = a["label"], b["label"]
            if (
                min(p["x"] + p["w"], q["x"] + q["w"]) - max(p["x"], q["x"]) > 0.5
                and min(p["y"] + p["h"], q["y"] + q["h"]) - max(p["y"], q["y"]) > 0.5
            ):
                problems.append(f"{a['id']} overlaps {b['id']}")
    return problems


#: the tiles to tap (lying wholly in the viewport, with ``onScreen``) that were not tapped
#: yet, in viewport coordinates; every radio on the page is cleared first
WINDOW_JS = """([done, every, onScreen]) => {
  document.querySelectorAll('#survey input[type=radio]').forEach(i => { i.checked = false; });
  const cards = Array.from(document.querySelectorAll('.q-battery'));
  const sampled = every ? cards : [cards[0], cards[cards.length - 1]];
  return Array.from(document.querySelectorAll('.tile'))
    .filter(t => t.offsetParent !== null)
    .filter(t => !t.closest('.q-battery') || sampled.includes(t.closest('.q-battery')))
    .map(t => [t.querySelector('input'), t.querySelector('label').getBoundingClientRect()])
    .filter(([i, r]) => !done.includes(i.id)
      && (!onScreen || (r.top >= 0 && r.bottom <= innerHeight)))
    .map(([i, r]) => ({id: i.id, name: i.name, value: i.value,
                       x: r.left, y: r.top, w: r.width, h: r.height}));
}"""

#: the value now chosen in a group (or null); the group is cleared for the next tap
CHOSEN_JS = """name => {
  const all = Array.from(document.getElementsByName(name));
  const chosen = all.find(i => i.checked);
  all.forEach(i => { i.checked = false; });
  return chosen ? chosen.value : null;
}"""


def tap_problems(page: Page, *, every: bool = EVERY_BATTERY_TILE) -> list[str]:
    """Tap the centre and the four inner corners of the tiles; list taps that miss.

    Every tile of every likert, NPS and smiley item is tapped; of a page of battery
    statements, whose cards share one layout, the first and the last card (all of them with
    ``every``).  The page is scrolled a screen at a time; each tile is tapped where it lies
    wholly on the screen.
    """
    problems: list[str] = []
    done: list[str] = []
    page.evaluate("() => window.scrollTo(0, 0)")
    while True:
        window = page.evaluate(WINDOW_JS, [done, every, True])
        for tile in window:
            x0, y0 = tile["x"], tile["y"]
            x1, y1 = x0 + tile["w"], y0 + tile["h"]
            points = {
                "centre": ((x0 + x1) / 2, (y0 + y1) / 2),
                "top left": (x0 + INSET, y0 + INSET),
                "top right": (x1 - INSET, y0 + INSET),
                "bottom left": (x0 + INSET, y1 - INSET),
                "bottom right": (x1 - INSET, y1 - INSET),
            }
            for where, (x, y) in points.items():
                page.touchscreen.tap(x, y)
                chosen = page.evaluate(CHOSEN_JS, tile["name"])
                if chosen != tile["value"]:
                    problems.append(f"{tile['id']}: tap at its {where} chose {chosen}")
            done.append(tile["id"])
        at_end = page.evaluate(
            "() => { const y = scrollY; scrollBy(0, innerHeight - 120); return scrollY === y; }"
        )
        if at_end and not window:
            break
    # every tile meant to be tapped was wholly on the screen at some point
    wanted = page.evaluate(WINDOW_JS, [[], every, False])
    missing = sorted({tile["id"] for tile in wanted} - set(done))
    if missing:
        problems.append(f"never wholly on the screen, not tapped: {missing}")
    return problems


def next_page(page: Page) -> None:
    """Tap "Next" (or "Send") and wait for the answer page to load."""
    with page.expect_navigation():
        page.locator("button[name=nav][value=next]").tap()


def phone_page(new_context: Callable[..., Any], width: int) -> Page:
    context = new_context(
        viewport={"width": width, "height": 740}, is_mobile=True, has_touch=True, locale="ru-RU"
    )
    return context.new_page()


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_every_rating_tile_is_its_own_44px_tap_target(
    instrument: str,
    width: int,
    live_server: str,
    new_context: Callable[..., Any],
    session: Session,
    make_campaign: Callable[..., Campaign],
) -> None:
    campaign = make_campaign(instrument)
    session.commit()
    page = phone_page(new_context, width)
    page.goto(f"{live_server}/s/{campaign.code}/{campaign.libraries[0].code}")
    pages = tiles_seen = 0
    while page.locator("#survey").count():
        pages += 1
        title = page.locator(".section-title").inner_text()
        tiles_seen += page.locator(".tile").count()
        assert layout_problems(page, width) == [], f"page {pages} ({title})"
        assert tap_problems(page) == [], f"page {pages} ({title})"
        if page.locator(".tile").count():
            # the error state draws a bar beside each question: the tiles must still fit
            page.evaluate(
                "() => document.querySelectorAll('#survey input[type=radio]')"
                ".forEach(i => { i.checked = false; })"
            )
            next_page(page)
            if not page.locator(".error-summary").count():
                continue  # nothing on this page was required: the next page is shown
            assert layout_problems(page, width) == [], f"page {pages} ({title}), errors"
        page.evaluate(FILL_JS)
        next_page(page)
        expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator("h1")).to_have_text("Спасибо!")
    rated = [i for s in BUNDLED[instrument].sections for i in s.items if i.type in TILED]
    assert (tiles_seen > 0) == bool(rated)
