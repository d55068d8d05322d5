"""The kiosk's HTTP side (docs/kiosk-protocol.md): app files, pairing, config, batches, 401.

Also the staff pages: creating a kiosk shows its one-time code and QR, revoking refuses the
tablet at once, only staff with ``manage_kiosks`` change kiosks, quality managers see the fleet.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from survey_app.models import KioskDevice
from survey_app.models import Response
from tests.factories import STAFF_PASSWORD

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def desk(session, make_library, make_campaign):
    library = make_library(service_points=["desk"])
    campaign = make_campaign("kiosk_pulse", libraries=[library], channels=["web", "kiosk"])
    session.commit()
    return library, campaign


@pytest.fixture
def sign_in(client, session, make_user):
    def sign(role: str = "library_staff", **kwargs: Any) -> Any:
        user = make_user(role, **kwargs)
        session.commit()
        response = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert response.status_code == 302
        client.get("/admin/kiosks/?lang=en")
        return user

    return sign


def create(client, library, campaign, name="Абонемент", point="") -> tuple[int, str]:
    response = client.post(
        "/admin/kiosks/new",
        data={
            "name": name,
            "library": library.id,
            "campaign": campaign.code,
            "service_point": point,
        },
    )
    text = response.get_data(as_text=True)
    found = re.search(r'id="pairing-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', text)
    return response.status_code, found.group(1) if found else text


@pytest.fixture
def token(client, desk, sign_in):
    library, campaign = desk
    sign_in(library=library)
    status, code = create(client, library, campaign)
    assert status == 201
    response = client.post("/api/v1/kiosk/pair", json={"code": code})
    assert response.status_code == 200
    return response.get_json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def item(moment: datetime = T0, mood: int = 3) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "answers": {"mood": mood},
        "started_at": (moment - timedelta(seconds=30)).isoformat(),
        "submitted_at": moment.isoformat(),
    }


def stored(session) -> int:
    return session.scalar(select(func.count()).select_from(Response))


# --- the app files ------------------------------------------------------------------------


def test_shell__html_revalidated(client):
    response = client.get("/kiosk")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "no-cache" in response.headers["Cache-Control"]


def test_service_worker__may_control_kiosk(client):
    response = client.get("/kiosk/sw.js")
    if response.status_code == 404:
        pytest.skip("the kiosk client's files are not in this tree")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/kiosk"


@pytest.mark.parametrize("name", ["../sw.js", "..%2Fsw.js", ".hidden.js", "x.py", "nope.js"])
def test_assets__only_listed_files(client, name):
    assert client.get(f"/kiosk/assets/{name}").status_code == 404


def test_csp__allows_a_local_worker_and_manifest_nothing_external(client):
    policy = client.get("/kiosk").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert "http" not in policy and "unsafe-inline" not in policy


# --- pairing and the credential -----------------------------------------------------------


def test_pair__returns_token_and_device(client, desk, sign_in):
    library, campaign = desk
    sign_in(library=library)
    _, code = create(client, library, campaign, point="desk")

    response = client.post("/api/v1/kiosk/pair", json={"code": code.replace("-", " ").lower()})

    body = response.get_json()
    assert response.status_code == 200 and body["token"].startswith("kd_")
    assert body["device"]["library"] == library.code
    assert body["device"]["service_point"] == "desk"
    assert body["device"]["name"] == "Абонемент"
    assert "no-store" in response.headers["Cache-Control"]


def test_pair__second_use_410_unknown_400(client, desk, sign_in):
    library, campaign = desk
    sign_in(library=library)
    _, code = create(client, library, campaign)
    client.post("/api/v1/kiosk/pair", json={"code": code})

    again = client.post("/api/v1/kiosk/pair", json={"code": code})
    unknown = client.post("/api/v1/kiosk/pair", json={"code": "AAAA-AAAA"})

    assert (again.status_code, again.get_json()["code"]) == (410, "KIO410")
    assert (unknown.status_code, unknown.get_json()["code"]) == (400, "KIO400")


@pytest.mark.parametrize("path", ["/api/v1/kiosk/config"])
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer kd_wrong"}, {"Authorization": "Basic x"}]
)
def test_no_valid_token__401_kio401(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "KIO401"


def test_revoked_token__refused_at_once(client, session, token):
    public_id = session.scalar(select(KioskDevice.public_id))
    assert client.get("/api/v1/kiosk/config", headers=bearer(token)).status_code == 200

    assert client.post(f"/admin/kiosks/{public_id}/revoke").status_code == 302

    for response in (
        client.get("/api/v1/kiosk/config", headers=bearer(token)),
        client.post("/api/v1/kiosk/batches", json={"items": [item()]}, headers=bearer(token)),
        client.post("/api/v1/kiosk/heartbeat", json={}, headers=bearer(token)),
    ):
        assert response.status_code == 401
        assert response.get_json()["code"] == "KIO401"
    assert stored(session) == 0


# --- config, batches, heartbeat -------------------------------------------------------------


def test_config__etag_answers_304_when_unchanged(client, token):
    first = client.get("/api/v1/kiosk/config", headers=bearer(token))
    etag = first.headers["ETag"]
    assert first.get_json()["config_version"] in etag

    again = client.get("/api/v1/kiosk/config", headers={**bearer(token), "If-None-Match": etag})

    assert again.status_code == 304


def test_batch__receipts_per_item(client, session, token):
    items = [item(T0), item(T0 + timedelta(minutes=1), mood=9)]
    response = client.post(
        "/api/v1/kiosk/batches",
        json={"items": items, "heartbeat": {"app_version": "v1", "queue_depth": 2}},
        headers=bearer(token),
    )
    body = response.get_json()
    assert response.status_code == 200
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    assert body["results"][1]["code"].startswith("ANS")
    assert datetime.fromisoformat(body["server_time"]).tzinfo is not None
    assert session.scalar(select(KioskDevice.queue_depth)) == 2


def test_acknowledgement_lost__the_retry_gets_duplicate_and_nothing_doubles(client, session, token):
    items = [item(T0 + timedelta(minutes=i)) for i in range(50)]
    client.post("/api/v1/kiosk/batches", json={"items": items}, headers=bearer(token))
    # the server committed; the tablet never saw the answer and sends the same batch again

    retry = client.post("/api/v1/kiosk/batches", json={"items": items}, headers=bearer(token))

    assert {r["status"] for r in retry.get_json()["results"]} == {"duplicate"}
    assert stored(session) == 50


def test_batch_over_100_items__413(client, token):
    items = [item(T0 + timedelta(minutes=i)) for i in range(101)]
    response = client.post("/api/v1/kiosk/batches", json={"items": items}, headers=bearer(token))
    assert response.status_code == 413
    assert response.get_json()["code"] == "KIO413"


def test_batch_not_json__422(client, token):
    response = client.post(
        "/api/v1/kiosk/batches",
        data="items",
        headers={**bearer(token), "Content-Type": "text/plain"},
    )
    assert response.status_code == 422


def test_heartbeat__204_and_kept(client, session, token):
    response = client.post(
        "/api/v1/kiosk/heartbeat",
        json={"app_version": "abc", "instrument": "kiosk_pulse@1", "queue_depth": 0},
        headers=bearer(token),
    )
    assert response.status_code == 204
    assert session.scalar(select(KioskDevice.app_version)) == "abc"


# --- staff pages --------------------------------------------------------------------------


def test_pairing_page__shows_the_code_and_an_inline_qr_of_the_link(client, desk, sign_in):
    library, campaign = desk
    sign_in(library=library)
    response = client.post(
        "/admin/kiosks/new",
        data={
            "name": "Холл",
            "library": library.id,
            "campaign": campaign.code,
            "service_point": "",
        },
    )
    text = response.get_data(as_text=True)
    code = re.search(r'id="pairing-code">([A-Z0-9]{4})-([A-Z0-9]{4})<', text)
    assert response.status_code == 201 and code
    assert f"/kiosk?pair={code.group(1)}{code.group(2)}" in text
    assert '<svg class="qr" role="img"' in text


def test_new_kiosk__empty_name_422(client, desk, sign_in):
    library, campaign = desk
    sign_in(library=library)
    status, _ = create(client, library, campaign, name="")
    assert status == 422


def test_kiosk_pages__other_librarys_staff_get_404(client, session, desk, sign_in, make_library):
    library, campaign = desk
    sign_in(library=library)
    create(client, library, campaign)
    public_id = session.scalar(select(KioskDevice.public_id))
    client.post("/logout")
    sign_in(library=make_library())
    assert client.get(f"/admin/kiosks/{public_id}").status_code == 404
    assert client.post(f"/admin/kiosks/{public_id}/revoke").status_code == 404
    assert session.scalar(select(KioskDevice.revoked_at)) is None


def test_quality_manager__sees_the_fleet_cannot_add(client, session, desk, sign_in):
    library, campaign = desk
    sign_in(library=library)
    create(client, library, campaign, name="Читальный зал")
    client.post("/logout")
    sign_in("quality_manager")

    fleet = client.get("/admin/kiosks/")

    assert fleet.status_code == 200 and "Читальный зал" in fleet.get_data(as_text=True)
    assert client.get("/admin/kiosks/new").status_code == 403


def test_pin_and_hours__set_from_the_kiosk_page(client, session, token):
    public_id = session.scalar(select(KioskDevice.public_id))
    assert client.post(f"/admin/kiosks/{public_id}/pin", data={"pin": "12"}).status_code == 422
    assert client.post(f"/admin/kiosks/{public_id}/pin", data={"pin": "2580"}).status_code == 302
    hours = client.post(
        f"/admin/kiosks/{public_id}/hours", data={"mon": "09:00-19:00", "tue": "10:00-18:00"}
    )
    assert hours.status_code == 302
    bad = client.post(f"/admin/kiosks/{public_id}/hours", data={"mon": "9 to 7"})
    assert bad.status_code == 422

    config = client.get("/api/v1/kiosk/config", headers=bearer(token)).get_json()
    assert config["pin"]["algorithm"] == "PBKDF2-SHA256"
    assert config["opening_hours"]["mon"] == [["09:00", "19:00"]]
    assert config["opening_hours"]["wed"] == []


def test_new_kiosk__same_named_libraries_told_apart_by_system_and_address(
    client, session, sign_in, make_library, make_campaign
):
    north = make_library()
    south = make_library()
    for library, address in ((north, "ул. Ленина, 1"), (south, "пр. Мира, 7")):
        library.name = "Детская библиотека"
        library.address = address
    make_campaign("kiosk_pulse", libraries=[north, south], channels=["kiosk"])
    session.commit()
    sign_in("admin")

    page = client.get("/admin/kiosks/new").get_data(as_text=True)

    for library, address in ((north, "ул. Ленина, 1"), (south, "пр. Мира, 7")):
        group = re.search(
            rf'<optgroup label="Libraries of {library.system.name}">(.*?)</optgroup>', page, re.S
        )
        assert group, f"no group for {library.system.name}"
        assert f'<option value="{library.id}">Детская библиотека — {address}</option>' in group[1]
    assert north.code not in page and south.code not in page
