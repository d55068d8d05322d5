"""Take the README's screenshots (``docs/img/tour-*.png``) from a real run of the demo.

Seeds the demo region (``survey-app demo --seed-only``: 40 libraries, six campaigns, 8,000
synthetic responses, a report run per campaign) in a scratch SQLite database, or uses an
already seeded demo database (``--database URL``), serves the app on 127.0.0.1 and visits
the pages in Debian's Chromium (``/usr/bin/chromium``), in Russian: a visitor on a 360 px
touch phone and each demo staff account on a 1366 px desktop (a couple at 360 px). Each
image is reduced to a 256-colour palette (Pillow) to keep the folder small.

Run from the repository root::

    python docs/screenshots.py [--database sqlite:///instance/survey.sqlite3]
                               [--out docs/img] [--everything DIR]

``--everything DIR`` also saves every main page of every role at both widths into ``DIR``
(to look through, not to commit).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey_app import create_app  # noqa: E402
from survey_app.db import upgrade_database  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.queue import compute_report_now  # noqa: E402
from survey_app.services.demo import CAMPAIGNS  # noqa: E402
from survey_app.services.demo import DEMO_PASSWORD  # noqa: E402
from survey_app.services.demo import seed_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = 360
DESKTOP = 1366
#: tallest image kept of a page (a long page is cut here; the README shows the top)
MAX_HEIGHT = 2200

VISITOR = None
ADMIN = "admin@demo.local"
METHODOLOGIST = "methodologist@demo.local"
QUALITY = "quality@demo.local"
SYSTEM_QUALITY = "novokuznetsk@demo.local"
LIBRARIAN = "librarian@demo.local"


def answer_page(page: Page) -> None:
    """Tap the first option of every question on a survey page (as benchmarks/phone_survey)."""
    page.evaluate(
        """() => {
      const form = document.querySelector('#survey');
      const names = new Set(Array.from(form.querySelectorAll('input[type=radio]'))
        .map(i => i.name));
      for (const name of names) {
        const all = form.querySelectorAll(`input[type=radio][name="${name}"]`);
        const pick = all[Math.min(all.length - 1, 6)];
        pick.checked = true;
        pick.dispatchEvent(new Event('change', {bubbles: true}));
      }
      for (const box of form.querySelectorAll('.input-number')) {
        box.value = '20';
        box.dispatchEvent(new Event('input', {bubbles: true}));
      }
    }"""
    )


def next_page(page: Page) -> None:
    with page.expect_navigation():
        page.locator("button[name=nav][value=next]").click()


def survey_battery(page: Page) -> None:
    """library_gap's first page, its first statement answered."""
    page.locator(".battery-card, .q-battery").first.locator("input[type=radio]").nth(6).check()


def survey_points(page: Page) -> None:
    """servqual_library's last page (split 100 points), answered: the running total shows."""
    for _page in range(20):
        if page.locator(".input-number").count():
            answer_page(page)
            return
        answer_page(page)
        next_page(page)
    raise SystemExit(f"{page.url}: no points page")


@dataclass(frozen=True)
class Shot:
    """One screenshot: who, how wide, which address, what to do first."""

    name: str
    user: str | None
    width: int
    path: str
    then: Callable[[Page], None] | None = None
    full_page: bool = True
    #: the image is cut at this height (px)
    height: int = MAX_HEIGHT


#: the README's tour (docs/img/tour-*.png)
CURATED = [
    Shot(
        "tour-visitor-battery-360",
        VISITOR,
        PHONE,
        "/s/gap-2026/kemerovo-central?ch=qr",
        survey_battery,
        height=1100,
    ),
    Shot(
        "tour-visitor-points-360", VISITOR, PHONE, "/s/servqual-2026/belovo-central", survey_points
    ),
    Shot("tour-visitor-kiosk-pulse-360", VISITOR, PHONE, "/s/pulse-2026/yurga-central?ch=qr"),
    Shot("tour-admin-overview", ADMIN, DESKTOP, "/admin/"),
    Shot("tour-admin-accounts", ADMIN, DESKTOP, "/admin/users"),
    Shot(
        "tour-methodologist-campaign",
        METHODOLOGIST,
        DESKTOP,
        "/admin/campaigns/nok-2026",
        height=1400,
    ),
    Shot(
        "tour-quality-dashboard", QUALITY, DESKTOP, "/admin/results/nok-2026/dashboard", height=1500
    ),
    Shot(
        "tour-quality-library-report",
        QUALITY,
        DESKTOP,
        "/admin/results/nok-2026/libraries/kemerovo-central/report",
        height=1400,
    ),
    Shot("tour-system-quality-results", SYSTEM_QUALITY, DESKTOP, "/admin/results/nok-2026/"),
    Shot("tour-librarian-results-360", LIBRARIAN, PHONE, "/admin/results/nok-2026/", height=1400),
]

#: every main page of each role, for looking through (``--everything``)
MAIN_PAGES = {
    ADMIN: [
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/systems",
        "/admin/libraries",
        "/admin/libraries/kemerovo-central/",
        "/admin/libraries/import",
        "/admin/audit",
        "/admin/tokens/",
        "/admin/kiosks/",
    ],
    METHODOLOGIST: [
        "/admin/",
        "/admin/instruments/",
        "/admin/instruments/library_gap/1",
        "/admin/instruments/library_gap/1/preview",
        "/admin/instruments/upload",
        "/admin/campaigns/",
        "/admin/campaigns/new",
        "/admin/campaigns/nok-2026",
        "/admin/campaigns/nok-2026?system=novokuznetsk",
        "/admin/review/",
        "/admin/review/nok_culture/1",
    ],
    QUALITY: [
        "/admin/",
        "/admin/results/",
        "/admin/results/nok-2026/",
        "/admin/results/nok-2026/?q=сельская",
        "/admin/results/nok-2026/dashboard",
        "/admin/results/nok-2026/libraries/kemerovo-central/",
        "/admin/results/nok-2026/libraries/kemerovo-central/report",
        "/admin/results/gap-2026/libraries/kemerovo-central/report",
    ],
    SYSTEM_QUALITY: [
        "/admin/",
        "/admin/results/",
        "/admin/results/nok-2026/",
        "/admin/results/nok-2026/dashboard",
        "/admin/campaigns/nok-2026",
    ],
    LIBRARIAN: [
        "/admin/",
        "/admin/campaigns/",
        "/admin/campaigns/nok-2026",
        "/admin/results/",
        "/admin/results/nok-2026/",
        "/admin/results/nok-2026/dashboard",
        "/admin/results/nok-2026/libraries/kemerovo-central/report",
        "/admin/kiosks/",
    ],
}


def everything() -> list[Shot]:
    """Every main page of every role at 1366 and 360 px, and every visitor survey page."""
    shots = []
    for user, paths in MAIN_PAGES.items():
        role = user.split("@")[0]
        for n, path in enumerate(paths):
            for width in (DESKTOP, PHONE):
                shots.append(Shot(f"{role}-{n:02d}-{width}", user, width, path))
    for code, library in (
        ("nok-2026", "kemerovo-central"),
        ("gap-2026", "kemerovo-central"),
        ("servqual-2026", "kemerovo-central"),
        ("sat-2026", "kemerovo-central"),
        ("pulse-2026", "kemerovo-central"),
    ):
        shots.append(Shot(f"visitor-{code}", VISITOR, PHONE, f"/s/{code}/{library}", walk_all))
    shots.append(Shot("visitor-start", VISITOR, PHONE, "/"))
    shots.append(Shot("visitor-closed", VISITOR, PHONE, "/s/nok-2025/kemerovo-central"))
    shots.append(Shot("visitor-unknown", VISITOR, PHONE, "/s/nok-2026/no-such-library"))
    shots.append(Shot("login", VISITOR, PHONE, "/login"))
    return shots


#: where walk_all saves each survey page (set by take())
_walk_out: dict[str, Any] = {}


def walk_all(page: Page) -> None:
    """Save every page of a survey, then the thank-you page."""
    n = 0
    while page.locator("#survey").count():
        if n > 20 or page.locator(".error-summary").count():
            raise SystemExit(f"{page.url}: the survey refused the answers")
        answer_page(page)
        save(page, _walk_out["dir"] / f"{_walk_out['name']}-p{n:02d}.png", full_page=True)
        next_page(page)
        n += 1


def save(page: Page, path: Path, *, full_page: bool, height: int = MAX_HEIGHT) -> None:
    """Screenshot the page (cut at ``height``) as a 256-colour PNG."""
    tall = int(page.evaluate("document.documentElement.scrollHeight"))
    width = int(page.viewport_size["width"]) if page.viewport_size else DESKTOP
    clip = {"x": 0, "y": 0, "width": width, "height": min(tall, height)}
    page.screenshot(path=str(path), full_page=full_page, clip=clip if full_page else None)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def take(browser: Any, base: str, shots: list[Shot], out: Path) -> None:
    """Take ``shots`` into ``out``, one browser context per account and width."""
    contexts: dict[tuple[str | None, int], Any] = {}
    try:
        for shot in shots:
            key = (shot.user, shot.width)
            if key not in contexts or shot.user is None:
                if shot.user is None and key in contexts:
                    contexts.pop(key).close()
                context = browser.new_context(
                    viewport={"width": shot.width, "height": 740 if shot.width == PHONE else 900},
                    is_mobile=shot.width == PHONE,
                    has_touch=shot.width == PHONE,
                    locale="ru-RU",
                    device_scale_factor=1,
                )
                if shot.user is not None:
                    sign_in(context.new_page(), base, shot.user)
                contexts[key] = context
            page = contexts[key].new_page()
            page.goto(base + shot.path)
            _walk_out.update(dir=out, name=shot.name)
            if shot.then is not None:
                shot.then(page)
            image = out / f"{shot.name}.png"
            save(page, image, full_page=shot.full_page, height=shot.height)
            print(f"{image}: {page.url[len(base) :]} ({image.stat().st_size // 1024} KB)")
            page.close()
    finally:
        for context in contexts.values():
            context.close()


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    if "/login" in page.url:
        raise SystemExit(f"{email} could not sign in")
    page.close()


def main() -> None:
    """Seed (or open) the demo, serve it and take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an already seeded demo database (SQLAlchemy URL)")
    parser.add_argument("--out", default="docs/img", type=Path)
    parser.add_argument("--everything", type=Path, help="also save every main page here")
    parser.add_argument("--only", default="", help="take only the shots whose name starts so")
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database or f"sqlite:///{tmp}/demo.sqlite3"
        config = {
            "SECRET_KEY": "screenshots",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "QUEUE_URL": f"sqlite:///{tmp}/queue.sqlite3",
        }
        if not options.database:
            upgrade_database(url)
            app = create_app(config)
            with app.app_context():
                seed_demo(db.session)
                db.session.commit()
            for code in CAMPAIGNS:
                compute_report_now(app, code)
        app = create_app(config)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            options.out.mkdir(parents=True, exist_ok=True)
            wanted = [s for s in CURATED if s.name.startswith(options.only)]
            take(browser, base, wanted, options.out)
            if options.everything:
                options.everything.mkdir(parents=True, exist_ok=True)
                wanted = [s for s in everything() if s.name.startswith(options.only)]
                take(browser, base, wanted, options.everything)
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
