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
