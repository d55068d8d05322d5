"""How long each bundled survey is on a 360 px phone: pages, scroll height and taps.

Seeds the demo campaigns (no responses, full forms: no Lite sampling) in a scratch SQLite
database, serves the app on 127.0.0.1 and walks every survey in Debian's Chromium
(``/usr/bin/chromium``) on a 360 × 740 touch phone, answering every question that can be
answered by a tap.  Per survey it prints

* ``pages``: pages shown before the thank-you page;
* ``height``: the sum (and the tallest) of the pages' scroll heights at 360 px once
  answered (a question that appears on an answer counts), in px;
* ``taps``: one per rating or choice group (a radio group, a multi-choice group), one per
  number box (typing not counted), two per dropdown (open it, pick), one per page button;
  optional free-text boxes are left empty.

Run from the repository root: ``python benchmarks/phone_survey.py``.  The last line is one
JSON object.  Results are written down in ``docs/phone-survey.md``.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey_app import create_app  # noqa: E402
from survey_app.db import upgrade_database  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import Campaign  # noqa: E402
from survey_app.services.demo import CAMPAIGNS  # noqa: E402
from survey_app.services.demo import seed_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]

#: what a visitor touches on the page, counted before answering it
COUNT_JS = """() => {
  const form = document.querySelector('#survey');
  const names = new Set(Array.from(form.querySelectorAll('input[type=radio]')).map(i => i.name));
  const multi = new Set(Array.from(form.querySelectorAll('.q-multi input[type=checkbox]'))
    .map(i => i.name));
  return {groups: names.size + multi.size, selects: form.querySelectorAll('select').length,
          numbers: form.querySelectorAll('.input-number').length,
          height: document.documentElement.scrollHeight};
}"""

#: answer the page: the first option of each group ("yes" for yes/no: nothing is skipped)
FILL_JS = """() => {
  const form = document.querySelector('#survey');
  const names = new Set(Array.from(form.querySelectorAll('input[type=radio]')).map(i => i.name));
  for (const name of names) {
    const all = form.querySelectorAll(`input[type=radio][name="${name}"]`);
    all[0].checked = true;
    // as a tap does: static/questionnaire.js shows the questions the answer makes apply
    all[0].dispatchEvent(new Event('change', {bubbles: true}));
  }
  for (const s of form.querySelectorAll('select')) s.value = s.options[s.options.length - 1].value;
  for (const i of form.querySelectorAll('.input-number')) i.value = '20';
}"""


def walk(page: Any, url: str) -> dict[str, Any]:
    """Walk one survey to its thank-you page; return its figures."""
    page.goto(url)
    pages, heights, taps = 0, [], 0
    while page.locator("#survey").count():
        pages += 1
        seen = page.evaluate(COUNT_JS)
        taps += seen["groups"] + 2 * seen["selects"] + seen["numbers"] + 1
        page.evaluate(FILL_JS)
        # the height once answered: a question that appears on an answer counts
        heights.append(page.evaluate("document.documentElement.scrollHeight"))
        with page.expect_navigation():
            page.locator("button[name=nav][value=next]").click()
        if page.locator(".error-summary").count():
            raise SystemExit(f"{url}: page {pages} refused the answers")
    return {"pages": pages, "height": sum(heights), "tallest": max(heights), "taps": taps}


def main() -> None:
    """Seed, serve, walk every survey and print the figures."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/phone.sqlite3"
        upgrade_database(url)
        app = create_app(
            {"SECRET_KEY": "phone", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
        )
        with app.app_context():
            seed_demo(db.session, responses=0)
            targets = {}
            for code in CAMPAIGNS:
                campaign = db.session.query(Campaign).filter_by(code=code).one()
                campaign.lite_share = 0.0
                targets[CAMPAIGNS[code][0]] = f"/s/{code}/{campaign.libraries[0].code}"
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for instrument, path in sorted(targets.items()):
                context = browser.new_context(
                    viewport={"width": 360, "height": 740},
                    is_mobile=True,
                    has_touch=True,
                    locale="ru-RU",
                )
                results[instrument] = walk(context.new_page(), base + path)
                context.close()
            browser.close()
        server.shutdown()
    for instrument, r in results.items():
        print(
            f"{instrument:20} pages {r['pages']:2}  height {r['height']:6} px "
            f"(tallest {r['tallest']:5})  taps {r['taps']:4}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
