"""The kiosk tablet never loses or doubles a response: 50 visitors answer with the network
cut, the tablet reloads while still offline, and once the network is back exactly 50
responses are stored, even though the server's acknowledgement of the first upload is lost
and the retried batch reaches the server twice.

Real headless Chromium against the real app: the kiosk is enrolled through the service,
paired through the QR code's link, and every request the tablet makes is recorded (none
leaves the app's own origin).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import Route
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Response
from tests.browser.kiosk_steps import answer_pulse
from tests.browser.kiosk_steps import pair_by_link
from tests.browser.kiosk_steps import stored_locally

pytestmark = pytest.mark.browser

VISITORS = 50


def kiosk_responses(session: Session) -> list[Response]:
    session.commit()  # end the read transaction: see what the server thread committed
    return list(session.scalars(select(Response).where(Response.channel == "kiosk")))


def test_fifty_offline_responses__survive_a_reload_a_lost_ack_and_a_doubled_batch(
    live_server: str,
    tablet: Page,
    session: Session,
    enrol_kiosk: Callable[..., tuple[Any, str, Any]],
) -> None:
    requested: list[str] = []
    tablet.context.on("request", lambda request: requested.append(request.url))
    _, code, _ = enrol_kiosk()
    pair_by_link(tablet, live_server, code)
    assert tablet.url == f"{live_server}/kiosk"  # the code is gone from the address bar

    tablet.context.set_offline(True)
    # visitor i taps face i % 4 + 1: 13 × 1 and 2, 12 × 3 and 4 (0..49)
    for visitor in range(VISITORS):
        answer_pulse(tablet, visitor % 4 + 1)
    assert stored_locally(tablet) == VISITORS

    tablet.reload()  # still offline: the service worker serves the app, IndexedDB the queue
    expect(tablet.get_by_role("button", name="Начать опрос")).to_be_visible()
    assert stored_locally(tablet) == VISITORS
    assert kiosk_responses(session) == []

    uploads: list[dict[str, Any]] = []
    receipts: list[list[str]] = []

    def flaky_network(route: Route) -> None:
        uploads.append(json.loads(route.request.post_data or "{}"))
        if len(uploads) == 1:  # the server stores the batch, its answer never arrives
            route.fetch()
            route.abort("connectionreset")
        elif len(uploads) == 2:  # the retry reaches the server twice
            first = route.fetch()
            second = route.fetch()
            receipts.extend([[r["status"] for r in f.json()["results"]] for f in (first, second)])
            route.fulfill(response=second)
        else:
            route.continue_()

    tablet.route("**/api/v1/kiosk/batches", flaky_network)
    tablet.context.set_offline(False)
    deadline = time.monotonic() + 30
    while stored_locally(tablet) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert stored_locally(tablet) == 0
    assert stored_locally(tablet, "quarantine") == 0

    assert len(uploads) >= 2
    sent = [item["id"] for item in uploads[0]["items"]]
    assert len(sent) == len(set(sent)) == VISITORS
    assert [item["id"] for item in uploads[1]["items"]] == sent  # the same batch again
    assert receipts == [["duplicate"] * VISITORS, ["duplicate"] * VISITORS]
    assert uploads[0]["heartbeat"]["queue_depth"] == VISITORS

    responses = kiosk_responses(session)
    assert len(responses) == VISITORS
    assert sorted(str(r.client_uuid) for r in responses) == sorted(sent)
    moods = Counter(a.value_num for r in responses for a in r.answers if a.item_id == "mood")
    assert moods == {1.0: 13, 2.0: 13, 3.0: 12, 4.0: 12}

    outside = [url for url in requested if not url.startswith(f"{live_server}/")]
    assert outside == []
