"""Real-browser fixtures: Debian's Chromium driven by pytest-playwright, and the app served
by a real HTTP server thread on the suite's database.

Playwright's own browser download is never used (see ``tests/browser_setup.py``).  Where
``/usr/bin/chromium`` is missing the browser tests are skipped with the reason, except under
``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
#: without the background-networking flags Chromium keeps calling outside hosts
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium instead of a Playwright download."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is not installed (run `python -m tests.browser_setup` as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """Serve the suite's app on 127.0.0.1 (a free port) from a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def phone(new_context: Any) -> Any:
    """A page in a 360×740 touch-screen phone context with a Russian browser."""
    context = new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="ru-RU",
    )
    return context.new_page()


# --- staff pages -----------------------------------------------------------------------------


@pytest.fixture
def staff_page(browser: Any, live_server: str) -> Iterator[Any]:
    """Open a page signed in as a staff member: ``staff_page(user, width)`` -> Page.

    The context has a Russian browser; below 400 px it is a touch-screen phone (740 px high),
    else a 900 px high desktop window. Every context opened is closed after the test.
    """
    from tests.browser.test_staff_scope import sign_in

    contexts: list[Any] = []

    def open_page(user: Any, width: int) -> Any:
        phone = width < 400
        context = browser.new_context(
            viewport={"width": width, "height": 740 if phone else 900},
            locale="ru-RU",
            is_mobile=phone,
            has_touch=phone,
        )
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server, user.email)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def finished_run(session: Any) -> Any:
    """Compute a report run of a campaign now, as the worker does: ``finished_run(campaign)``."""
    from survey_app.services import report_runs

    def compute(campaign: Any) -> Any:
        run, _ = report_runs.request_run(session, campaign)
        report_runs.start_run(session, run)
        done = report_runs.compute_run(session, run)
        session.commit()
        return done

    return compute


# --- kiosk tablets ---------------------------------------------------------------------------

#: the staff PIN the kiosk fixtures set (checked on the tablet against the config's PBKDF2 hash)
KIOSK_PIN = "2468"


@pytest.fixture
def tablet(new_context: Any) -> Any:
    """A page in an 800×1280 (portrait tablet) touch context with a Russian browser."""
    context = new_context(viewport={"width": 800, "height": 1280}, has_touch=True, locale="ru-RU")
    return context.new_page()


@pytest.fixture
def enrol_kiosk(session: Any, make_campaign: Any, make_user: Any) -> Any:
    """Return a callable that enrols a kiosk the way library staff do (through the service).

    ``enrol_kiosk(partial_policy="keep", hours=None)`` creates a kiosk_pulse campaign taking
    kiosk answers, a staff account of its library, the kiosk with the PIN :data:`KIOSK_PIN`
    (and opening hours when given), commits for the server thread and returns
    ``(device, pairing_code, staff_user)``.
    """
    from survey_app.services import kiosks

    def enrol(
        *, partial_policy: str = "discard", hours: dict[str, str] | None = None
    ) -> tuple[Any, str, Any]:
        campaign = make_campaign("kiosk_pulse", channels=("kiosk",))
        campaign.partial_policy = partial_policy
        library = campaign.libraries[0]
        staff = make_user("library_staff", library=library)
        device, code = kiosks.create_kiosk(
            session, actor=staff, library=library, name="Абонемент", campaign=campaign.code
        )
        kiosks.set_pin(session, device, KIOSK_PIN, actor=staff)
        if hours is not None:
            kiosks.set_opening_hours(session, device, hours, actor=staff)
        session.commit()
        return device, code, staff

    return enrol
