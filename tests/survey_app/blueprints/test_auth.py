"""Staff sign-in (issue 4 §2): argon2-checked login, generic failure, safe ``next``, POST-only
sign-out, deactivated accounts and changed passwords ending existing sessions, CSRF on the
forms, cookie flags, and the per-address / per-account login rate limits whose keys hold no
address."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask import g
from flask.testing import FlaskClient

from survey_app import create_app
from survey_app.extensions import babel
from survey_app.extensions import db
from survey_app.extensions import limiter
from survey_app.services import accounts
from tests.factories import STAFF_PASSWORD


class StaffClient(FlaskClient):
    """A test client that forgets the cached user between requests.

    The ``app_context`` fixture keeps one application context for the whole test, so
    Flask-Login's per-request cache (``g._login_user``) would otherwise outlive a request.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def browser(app: Flask, app_context: None) -> StaffClient:
    return StaffClient(app, app.response_class, use_cookies=True)


def sign_in(client, email, password=STAFF_PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


@pytest.fixture
def staff(session, make_user):
    user = make_user("library_staff", email="reader@example.org")
    session.commit()  # error pages roll the session back; keep the account
    return user


def test_login__right_password_opens_the_admin(browser, staff):
    reply = sign_in(browser, "Reader@Example.org")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


@pytest.mark.parametrize("case", ["wrong password", "unknown", "deactivated"])
def test_login__refused_with_one_generic_message(browser, session, staff, make_user, case):
    make_user("admin", email="gone@example.org", active=False)
    session.commit()
    email, password = {
        "wrong password": ("reader@example.org", "not-the-password"),
        "unknown": ("nobody@example.org", STAFF_PASSWORD),
        "deactivated": ("gone@example.org", STAFF_PASSWORD),
    }[case]
    reply = sign_in(browser, email, password, query_string={"lang": "en"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 401
    assert '<div class="error-summary" role="alert"' in page
    assert "<li>Wrong e-mail or password, or the account is not active.</li>" in page
    assert browser.get("/admin/").status_code == 302


def test_login__anonymous_is_sent_to_sign_in_with_next(browser, staff):
    reply = browser.get("/admin/libraries?x=1")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/login?next=/admin/libraries?x%3D1"
    back = sign_in(browser, staff.email, query_string={"next": "/admin/libraries?x=1"})
    assert back.headers["Location"] == "/admin/libraries?x=1"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/admin", "/\\evil.example", "javascript:x"]
)
def test_login__next_outside_the_site_is_ignored(browser, staff, target):
    reply = sign_in(browser, staff.email, query_string={"next": target})
    assert reply.headers["Location"] == "/admin/"


def test_logout__needs_post_and_ends_the_session(browser, staff):
    sign_in(browser, staff.email)
    assert browser.get("/logout").status_code == 405
    assert browser.post("/logout").status_code == 302
    assert browser.get("/admin/").status_code == 302


def test_deactivation__ends_an_existing_session(browser, session, staff, make_user):
    sign_in(browser, staff.email)
    assert browser.get("/admin/").status_code == 200
    accounts.deactivate_user(session, staff, actor=make_user("admin"))
    session.commit()
    reply = browser.get("/admin/")
    assert reply.status_code == 302
    assert reply.headers["Location"].startswith("/login")


def copy_of(app: Flask, client: FlaskClient) -> StaffClient:
    """Another client holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = StaffClient(app, app.response_class, use_cookies=True)
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_logout__a_cookie_copied_before_opens_nothing_after(app, browser, staff):
    sign_in(browser, staff.email)
    thief = copy_of(app, browser)
    assert thief.get("/admin/").status_code == 200  # the copy works while the session lasts

    browser.post("/logout")

    reply = thief.get("/admin/")
    assert reply.status_code == 302
    assert reply.headers["Location"].startswith("/login")


def test_logout__ends_only_this_session(app, browser, staff):
    elsewhere = StaffClient(app, app.response_class, use_cookies=True)
    sign_in(browser, staff.email)
    sign_in(elsewhere, staff.email)

    browser.post("/logout")

    assert elsewhere.get("/admin/").status_code == 200


def test_reactivation__revives_no_old_session(app, browser, session, staff, make_user):
    admin = make_user("admin")
    sign_in(browser, staff.email)
    kept = copy_of(app, browser)
    accounts.deactivate_user(session, staff, actor=admin)
    session.commit()

    accounts.activate_user(session, staff, actor=admin)
    session.commit()

    assert kept.get("/admin/").status_code == 302
    assert sign_in(browser, staff.email).status_code == 302  # signing in again works
    assert browser.get("/admin/").status_code == 200


def test_session_cookie__holds_no_hash_of_address_or_user_agent(app, browser, staff):
    reply = sign_in(
        browser,
        staff.email,
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
        headers={"User-Agent": "Probe/1.0"},
    )
    assert reply.status_code == 302
    serializer = app.session_interface.get_signing_serializer(app)
    content = serializer.loads(browser.get_cookie("session").value)

    # what Flask-Login would store as "_id": sha512 of "<address>|<user agent>"
    address_hash = hashlib.sha512(b"192.0.2.77|Probe/1.0").hexdigest()
    assert "_id" not in content
    assert address_hash not in json.dumps(content)
    assert "192.0.2.77" not in json.dumps(content)


def test_password_change__keeps_this_session_and_ends_the_others(app, browser, session, staff):
    other = StaffClient(app, app.response_class, use_cookies=True)
    sign_in(browser, staff.email)
    sign_in(other, staff.email)
    reply = browser.post(
        "/account/password",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": "a-brand-new-secret",
            "confirm": "a-brand-new-secret",
        },
    )
    assert reply.status_code == 302
    assert browser.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302
    assert accounts.verify_password(staff.password_hash, "a-brand-new-secret")


def test_password_change__wrong_current_password_is_shown_on_the_field(browser, staff):
    sign_in(browser, staff.email)
    reply = browser.post(
        "/account/password",
        data={"current_password": "nope", "new_password": "x" * 12, "confirm": "x" * 12},
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert 'id="current_password-error"' in page
    assert 'aria-invalid="true"' in page


def test_password_change__mismatched_confirmation(browser, staff):
    sign_in(browser, staff.email)
    reply = browser.post(
        "/account/password",
        data={"current_password": STAFF_PASSWORD, "new_password": "y" * 12, "confirm": "z" * 12},
    )
    assert reply.status_code == 422
    assert accounts.verify_password(staff.password_hash, STAFF_PASSWORD)


# --- CSRF, cookies ---------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
        }
    )


def token_from(page: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_csrf__login_without_token_is_refused(csrf_app, session, staff):
    with csrf_app.test_client() as client:
        assert sign_in(client, staff.email).status_code == 400
        token = token_from(client.get("/login").get_data(as_text=True))
        reply = client.post(
            "/login",
            data={"email": staff.email, "password": STAFF_PASSWORD, "csrf_token": token},
        )
        assert reply.status_code == 302


def test_csrf__logout_without_token_keeps_the_session(csrf_app, session, staff):
    with csrf_app.test_client() as client:
        token = token_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login",
            data={"email": staff.email, "password": STAFF_PASSWORD, "csrf_token": token},
        )
        assert client.post("/logout").status_code == 400
        assert client.get("/admin/").status_code == 200


def test_session_cookie__httponly_samesite_lax(browser, staff):
    reply = sign_in(browser, staff.email)
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development; production below


def test_session_cookie__secure_in_production(database_url):
    production = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "a-long-random-production-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "https://survey.example.org",
        }
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    with production.app_context():
        db.engine.dispose()


# --- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """An app with the login limits on (3/minute per account, 5/minute per address).

    Flask-Limiter keeps its state on the one ``limiter`` object, so it is restored afterwards
    for the suite's shared app (which runs with limits off).
    """
    saved = dict(limiter.__dict__)
    limited = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT_PER_ACCOUNT": "3/minute",
            "LOGIN_RATE_LIMIT_PER_ADDRESS": "5/minute",
        }
    )
    yield limited
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)
    with limited.app_context():
        db.engine.dispose()


@pytest.fixture
def proxied_app(app: Flask, database_url: str) -> Iterator[Callable[[int], Flask]]:
    """Apps with login limits on (1 failure a minute per address) behind ``n`` proxies."""
    saved = dict(limiter.__dict__)
    made: list[Flask] = []

    def make(proxies: int, *, csrf: bool = False) -> Flask:
        made.append(
            create_app(
                {
                    "TESTING": True,
                    "SECRET_KEY": "test-secret",
                    "SQLALCHEMY_DATABASE_URI": database_url,
                    "WTF_CSRF_ENABLED": csrf,
                    "RATELIMIT_ENABLED": True,
                    "RATELIMIT_STORAGE_URI": "memory://",
                    "LOGIN_RATE_LIMIT_PER_ADDRESS": "1/minute",
                    "PROXY_COUNT": proxies,
                }
            )
        )
        return made[-1]

    yield make
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)
    for application in made:
        with application.app_context():
            db.engine.dispose()


def test_behind_one_proxy__each_client_has_its_own_limit(proxied_app, session, staff):
    app = proxied_app(1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}  # every request arrives from the proxy
    with app.test_client() as client:
        first = {"X-Forwarded-For": "198.51.100.1"}
        sign_in(client, "x@example.org", "wrong", environ_base=proxy, headers=first)
        limited = sign_in(client, "y@example.org", "wrong", environ_base=proxy, headers=first)
        other = sign_in(
            client, staff.email, environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.2"}
        )
    assert limited.status_code == 429
    assert other.status_code == 302


def test_behind_an_https_proxy__forms_work_without_a_referer(proxied_app, session, staff):
    """Pages say no-referrer; trusting X-Forwarded-Proto would make Flask-WTF demand one."""
    app = proxied_app(1, csrf=True)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    forwarded = {"X-Forwarded-For": "198.51.100.3", "X-Forwarded-Proto": "https"}
    with app.test_client() as client:
        page = client.get("/login", environ_base=proxy, headers=forwarded)
        token = token_from(page.get_data(as_text=True))
        reply = client.post(
            "/login",
            data={"email": staff.email, "password": STAFF_PASSWORD, "csrf_token": token},
            environ_base=proxy,
            headers=forwarded,
        )
    assert reply.status_code == 302, reply.get_data(as_text=True)[-600:]


def test_without_a_proxy__a_forged_forwarded_for_changes_nothing(proxied_app, session, staff):
    app = proxied_app(0)
    peer = {"REMOTE_ADDR": "198.51.100.9"}
    with app.test_client() as client:
        sign_in(client, "x@example.org", "wrong", environ_base=peer)
        forged = sign_in(
            client,
            "y@example.org",
            "wrong",
            environ_base=peer,
            headers={"X-Forwarded-For": "203.0.113.77"},
        )
    assert forged.status_code == 429


def test_production__refuses_per_process_limit_counters(database_url):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(
            {
                "ENV": "production",
                "SECRET_KEY": "a-long-random-production-secret",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "PUBLIC_BASE_URL": "https://survey.example.org",
            }
        )


#: a second worker: its own process, the same Redis; it makes three failed attempts
_OTHER_WORKER = """
import sys
from survey_app import create_app
app = create_app({
    "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": sys.argv[1],
    "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": sys.argv[2],
    "RATELIMIT_KEY_PREFIX": sys.argv[3], "LOGIN_RATE_LIMIT_PER_ACCOUNT": "3/minute",
})
with app.test_client() as client:
    for _ in range(3):
        reply = client.post("/login", data={"email": "who@example.org", "password": "wrong"},
                            environ_base={"REMOTE_ADDR": "192.0.2.44"})
        assert reply.status_code == 401, reply.status_code
"""


def test_rate_limit__holds_across_workers_sharing_redis(app, database_url, tmp_path):
    import subprocess
    import sys
    import uuid

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    prefix = f"survey-test-{uuid.uuid4().hex[:8]}"
    saved = dict(limiter.__dict__)
    try:
        subprocess.run(
            [sys.executable, "-c", _OTHER_WORKER, database_url, url, prefix],
            check=True,
            cwd=Path(__file__).resolve().parents[3],
            timeout=120,
        )
        this_worker = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": url,
                "RATELIMIT_KEY_PREFIX": prefix,
                "LOGIN_RATE_LIMIT_PER_ACCOUNT": "3/minute",
            }
        )
        with this_worker.test_client() as client:
            reply = sign_in(
                client, "who@example.org", "wrong", environ_base={"REMOTE_ADDR": "192.0.2.44"}
            )
        assert reply.status_code == 429
    finally:
        limiter.__dict__.clear()
        limiter.__dict__.update(saved)
        store = redis.Redis.from_url(url)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_rate_limit__per_address(limited_app, session, staff):
    with limited_app.test_client() as client:
        env = {"REMOTE_ADDR": "198.51.100.7"}
        statuses = [
            sign_in(client, f"guess{n}@example.org", "wrong-password", environ_base=env).status_code
            for n in range(6)
        ]
        assert statuses == [401, 401, 401, 401, 401, 429]
        # another address is unaffected
        other = sign_in(client, staff.email, environ_base={"REMOTE_ADDR": "198.51.100.8"})
        assert other.status_code == 302


def test_rate_limit__per_account_from_one_address(limited_app, session, staff):
    with limited_app.test_client() as client:
        env = {"REMOTE_ADDR": "203.0.113.5"}
        statuses = [
            sign_in(client, staff.email, "wrong-password", environ_base=env).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        # this client waits, even with the right password: it is the one guessing
        assert sign_in(client, staff.email, environ_base=env).status_code == 429


def test_rate_limit__others_failures_never_refuse_the_right_password(limited_app, session, staff):
    with limited_app.test_client() as client:
        for n in range(20):  # an attacker spreads guesses over many addresses
            sign_in(
                client,
                staff.email,
                "wrong-password",
                environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
            )
        owner = sign_in(client, staff.email, environ_base={"REMOTE_ADDR": "198.51.100.200"})
        assert owner.status_code == 302


def test_rate_limit__successful_logins_do_not_count(limited_app, session, staff):
    with limited_app.test_client() as client:
        for _ in range(6):
            reply = sign_in(client, staff.email, environ_base={"REMOTE_ADDR": "192.0.2.1"})
            assert reply.status_code == 302
            client.post("/logout")


def test_rate_limit__keys_hold_no_address_or_email(limited_app, session, staff):
    with limited_app.test_client() as client:
        sign_in(client, staff.email, "wrong-password", environ_base={"REMOTE_ADDR": "192.0.2.55"})
    keys = " ".join(str(key) for key in limiter.storage.storage)  # memory storage: dict
    assert "login-addr:" in keys and "login-acct:" in keys
    assert "192.0.2.55" not in keys
    assert staff.email not in keys


# --- language --------------------------------------------------------------------------------


def test_login_page__russian_catalog_is_complete_and_loads(database_url):
    """The accounts catalog translates every msgid, keeps the placeholders, and is served."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    import survey_app

    folder = Path(survey_app.__file__).parent / "translations"
    catalog = read_po((folder / "ru/LC_MESSAGES/accounts.po").open("rb"))
    template = read_po((folder / "accounts.pot").open("rb"))
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None and all(translated.string), message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            translated.string if isinstance(translated.string, tuple) else (translated.string,)
        )
        wanted = set(re.findall(r"%\(\w+\)\w", ids[0]))
        assert all(set(re.findall(r"%\(\w+\)\w", s)) == wanted for s in strings), message.id

    # Flask-Babel pairs the i-th domain with the i-th directory
    russian = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
            "BABEL_TRANSLATION_DIRECTORIES": "translations;translations;translations",
        }
    )
    # Flask-Babel caches catalogs on the one Babel object, whatever the app: start and end clean
    babel.domain_instance.cache.clear()
    try:
        with russian.test_client() as client:
            assert "<h1>Войти</h1>" in client.get("/login").get_data(as_text=True)
            assert "<h1>Sign in</h1>" in client.get("/login?lang=en").get_data(as_text=True)
    finally:
        babel.domain_instance.cache.clear()
        with russian.app_context():
            db.engine.dispose()
