"""Hostile input never gets a 500 (issue 12 §5): each hand-made input of the probe answers a
4xx that says why, and nothing is stored.

API: lone surrogate escapes, NUL characters, deep nesting, timestamps that overflow in UTC,
duplicate keys, ``null``, huge numbers, streamed bodies over the limit, 405 with ``Allow``,
length limits in the OpenAPI schema. Pages: ``%00`` in the path, the query or a form field,
``?page=`` out of range, a CR/LF in ``next``; the instrument upload's own size limit.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from survey_app.models import Answer
from survey_app.models import Response
from tests.factories import NOK_ANSWERS
from tests.factories import STAFF_PASSWORD
from tests.factories import submission as any_submission

URL = "/api/v1/responses"


@pytest.fixture
def client(api_client):
    """The test client with an integration token (channel paper; pages ignore it)."""
    return api_client


def submission(campaign, answers, **overrides):
    """A submission in the token's channel."""
    return any_submission(campaign, answers, **{"channel": "paper", **overrides})


def stored(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Response)),
        session.scalar(select(func.count()).select_from(Answer)),
    )


def post_raw(client, raw: str | bytes, **kwargs):
    return client.post(URL, data=raw, content_type="application/json", **kwargs)


def envelope(target, /, **fields: str) -> str:
    """A submission's JSON text with ``fields`` spliced in verbatim (escapes kept as written)."""
    body = submission(target, NOK_ANSWERS)
    text = json.dumps({k: v for k, v in body.items() if k not in fields})
    spliced = ", ".join(f'"{name}": {raw}' for name, raw in fields.items())
    return text[:-1] + ", " + spliced + "}"


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"campaign": '"p\\udfff"'}, "API008", "campaign"),
        ({"library": '"\\ud800lib"'}, "API008", "library"),
        ({"campaign": '"p\\u0000"'}, "API008", "campaign"),
        ({"device": '"kiosk\\u00001"'}, "API008", "device"),
        ({"answers": '{"q16": "fe\\u0000male"}'}, "API008", "answers.q16"),
        ({"started_at": '"0001-01-01T00:00:00+01:00"'}, "API006", "started_at"),
        ({"submitted_at": '"9999-12-31T23:59:59-01:00"'}, "API006", "submitted_at"),
        ({"page_timings": '{"p1": 1e400}'}, "API011", ""),
        ({"page_timings": '{"p1": NaN}'}, "API011", ""),
        ({"answers": '{"q17": 1' + "0" * 5000 + "}"}, "API011", ""),
    ],
    ids=[
        "lone-low-surrogate",
        "lone-high-surrogate",
        "nul-in-code",
        "nul-in-device",
        "nul-in-answer",
        "year-1-plus-one-hour",
        "year-9999-minus-one-hour",
        "float-overflow",
        "nan",
        "5000-digit-integer",
    ],
)
def test_hostile_field__422_names_the_field_and_stores_nothing(
    client, session, make_campaign, fields, code, path
):
    campaign = make_campaign("nok_culture")

    reply = post_raw(client, envelope(campaign, **fields))

    assert reply.status_code == 422, reply.get_data(as_text=True)
    assert [(p["code"], p["path"]) for p in reply.json["problems"]] == [(code, path)]
    assert stored(session) == (0, 0)


@pytest.mark.parametrize("depth", [17, 1_000, 100_000])
def test_deeply_nested_json__422_says_how_deep_is_allowed(client, session, depth):
    reply = post_raw(client, "[" * depth + "]" * depth)

    assert reply.status_code == 422
    assert reply.json["problems"][0]["code"] == "API009"
    assert "16 levels" in reply.json["problems"][0]["message"]


def test_nesting_a_submission_needs__is_accepted(client, session, make_campaign):
    campaign = make_campaign("library_gap")
    # the deepest real shape: {"answers": {"G1": {"minimum": 3, ...}}} is 3 levels
    body = submission(campaign, {"AS1": {"na": True}})

    reply = client.post(URL, json=body)

    assert reply.json.get("problems", [{}])[0].get("code") != "API009"


def test_duplicate_keys__422_names_the_key(client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    text = envelope(campaign, campaign='"other"')
    text = text.replace('"other"', f'"{campaign.code}", "campaign": "other"')  # twice now

    reply = post_raw(client, text)

    assert reply.status_code == 422
    assert reply.json["problems"] == [
        {"code": "API010", "path": "campaign", "message": "duplicate key in a JSON object"}
    ]
    assert stored(session) == (0, 0)


def test_null_body__has_its_own_message(client, session):
    reply = post_raw(client, "null")

    assert reply.status_code == 422
    assert reply.json["problems"] == [
        {"code": "API001", "path": "", "message": "expected an object, got null"}
    ]


def test_huge_integer__has_its_own_message(client, session):
    reply = post_raw(client, '{"id": ' + "9" * 20 + "}")

    assert reply.status_code == 422
    assert reply.json["problems"][0]["code"] == "API011"
    assert "15 digits" in reply.json["problems"][0]["message"]


def test_not_json__says_where_it_breaks(client, session):
    reply = post_raw(client, '{"id": "x",\n "campaign": }')

    assert reply.status_code == 422
    assert reply.json["problems"][0]["code"] == "API000"
    assert reply.json["problems"][0]["message"].startswith("line 2 column")


def test_invalid_utf8__422(client, session):
    reply = post_raw(client, b'{"campaign": "\xff"}')

    assert reply.status_code == 422
    assert reply.json["problems"][0]["code"] == "API000"


def streamed(client, body: bytes):
    """POST ``body`` as a chunked request: no Content-Length, the server ends the stream."""
    return client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_base={"wsgi.input_terminated": True},
    )


def test_streamed_body_over_the_limit__413(app, client, session, make_campaign):
    campaign = make_campaign("nok_culture")
    body = submission(campaign, NOK_ANSWERS, device="x" * app.config["MAX_CONTENT_LENGTH"])

    reply = streamed(client, json.dumps(body).encode())

    assert reply.status_code == 413
    assert stored(session) == (0, 0)


def test_streamed_body_under_the_limit__is_stored(client, session, make_campaign):
    campaign = make_campaign("nok_culture")

    reply = streamed(client, json.dumps(submission(campaign, NOK_ANSWERS)).encode())

    assert reply.status_code == 201
    assert stored(session)[0] == 1


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_wrong_method__405_carries_allow(client, method):
    reply = getattr(client, method)(URL)

    assert reply.status_code == 405
    assert reply.is_json
    assert set(reply.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_wrong_method_on_a_page__405_carries_allow(client):
    reply = client.put("/login")

    assert reply.status_code == 405
    assert "POST" in reply.headers["Allow"] and "GET" in reply.headers["Allow"]


def test_openapi__states_the_length_limits(client):
    schema = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/responses"]["post"]
    fields = schema["requestBody"]["content"]["application/json"]["schema"]["properties"]

    for name in ("campaign", "library", "service_point", "device"):
        assert (fields[name]["minLength"], fields[name]["maxLength"]) == (1, 64), name
    assert fields["lite_items"]["maxItems"] == 500
    assert fields["page_timings"]["maxProperties"] == 100
    assert fields["page_timings"]["additionalProperties"] == {
        "type": "number",
        "minimum": 0,
        "maximum": 86400,
    }
    assert schema["requestBody"]["description"].startswith("at most 262144 bytes")


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/s/%00/x", "/s/camp/%00lib", "/s/camp/lib?sp=%00", "/s/camp/lib?%00=1"]
)
def test_nul_in_a_page_address__400_says_why(client, session, url):
    reply = client.get(url)

    assert reply.status_code == 400
    assert "NUL" in reply.get_data(as_text=True)


def test_nul_in_the_login_email__400_says_why(client, session):
    reply = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})

    assert reply.status_code == 400
    assert "NUL" in reply.get_data(as_text=True)


def test_nul_in_a_survey_answer__400_and_nothing_stored(client, session, make_campaign):
    campaign = make_campaign("satisfaction_short")
    url = f"/s/{campaign.code}/{campaign.libraries[0].code}"
    client.get(url)  # starts the draft; every page posts to its own address

    reply = client.post(f"{url}/p/services", data={"comment": "хорошо\x00"})

    assert reply.status_code == 400
    assert stored(session) == (0, 0)


@pytest.fixture
def admin_client(client, session, make_user):
    user = make_user("admin")
    session.commit()
    assert client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD}).status_code
    return client


@pytest.mark.parametrize("page", ["1e30", "1" + "0" * 30, "0", "-1", "one", "١"])
def test_page_out_of_range__400_says_the_range(admin_client, page):
    reply = admin_client.get(f"/admin/audit?page={page}")

    assert reply.status_code == 400
    assert "от 1 до 100000" in reply.get_data(as_text=True)  # a Russian page (issue 9 §5)


def test_page_in_range__is_served(admin_client):
    assert admin_client.get("/admin/audit?page=3").status_code == 200
    assert admin_client.get("/admin/audit?page=").status_code == 200


@pytest.mark.parametrize(
    "target",
    ["/admin/%0d%0aSet-Cookie:%20x=1", "/admin/%0aLocation:%20//evil.example", "/admin/%09x"],
)
def test_crlf_in_next__signs_in_to_the_default_page(client, session, make_user, target):
    user = make_user("admin")
    session.commit()

    reply = client.post(
        f"/login?next={target}", data={"email": user.email, "password": STAFF_PASSWORD}
    )

    assert reply.status_code == 302
    assert reply.headers["Location"] == "/admin/"
    assert "Set-Cookie: x" not in str(reply.headers)


def csrf_token(page: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def csrf_sign_in(browser, email: str) -> str:
    """Sign in through the real form (CSRF on); return the upload form's CSRF token."""
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    reply = browser.post(
        "/login", data={"email": email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 302
    return csrf_token(browser.get("/admin/instruments/upload").get_data(as_text=True))


def test_instrument_upload__own_limit_applies_before_the_csrf_check(csrf_app, session, make_user):
    """A 300 KB workbook is over the app-wide 256 KB but within the upload's 4 MB."""
    user = make_user("methodologist")
    session.commit()
    with csrf_app.test_client() as browser:
        token = csrf_sign_in(browser, user.email)
        large = b"id: x\n" + b"#" * (300 * 1024) + b"\n"

        reply = browser.post(
            "/admin/instruments/upload",
            data={"csrf_token": token, "file": (io.BytesIO(large), "large.yaml")},
            content_type="multipart/form-data",
        )

    assert reply.status_code == 422  # the file is read and its problems listed, not a 413
    assert "large.yaml" in reply.get_data(as_text=True)


def test_instrument_upload__over_its_own_limit_is_413(csrf_app, session, make_user):
    user = make_user("methodologist")
    session.commit()
    with csrf_app.test_client() as browser:
        token = csrf_sign_in(browser, user.email)
        huge = io.BytesIO(b"#" * (5 * 1024 * 1024))
        reply = browser.post(
            "/admin/instruments/upload",
            data={"csrf_token": token, "file": (huge, "huge.yaml")},
            content_type="multipart/form-data",
        )

    assert reply.status_code == 413
