"""The application factory and its configuration (issue 2 §1).

The test config is honoured; environment variables are read in the documented order;
production refuses to start with the default secret; PostgreSQL URLs use psycopg 3.
"""

from __future__ import annotations

import pytest

from survey_app import create_app
from survey_app.config import DEV_SECRET_KEY
from survey_app.config import normalise_database_url
from survey_app.config import region_time_zone

#: Flask-Limiter keeps process-wide state: apps built here must not switch limits on
QUIET = {"RATELIMIT_ENABLED": False}


def test_test_config__is_honoured(tmp_path) -> None:
    app = create_app(
        {**QUIET, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db", "TESTING": True}
    )
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/a.db"


def test_environment__database_url_and_secret_key(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("SURVEY_MAX_CONTENT_LENGTH", "1000")
    app = create_app(QUIET)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["MAX_CONTENT_LENGTH"] == 1000


def test_production__refuses_the_default_secret(tmp_path) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            {
                **QUIET,
                "ENV": "production",
                "SECRET_KEY": DEV_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
            }
        )


def test_production__with_a_secret_uses_secure_cookies(tmp_path) -> None:
    app = create_app(
        {
            **QUIET,
            "ENV": "production",
            "SECRET_KEY": "a-long-random-secret",
            "PUBLIC_BASE_URL": "https://survey.example.org",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production__refuses_to_take_poster_addresses_from_the_host_header(tmp_path) -> None:
    """Without a public base URL (or trusted hosts) a forged Host would be printed on posters."""
    production = {
        **QUIET,
        "ENV": "production",
        "SECRET_KEY": "a-long-random-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
    }
    with pytest.raises(RuntimeError, match="SURVEY_PUBLIC_BASE_URL"):
        create_app(production)
    app = create_app({**production, "TRUSTED_HOSTS": ["survey.example.org"]})
    for path in ("/healthz", "/s/spring/lib-1/qr.svg", "/login"):
        reply = app.test_client().get(path, headers={"Host": "evil.example"})
        assert reply.status_code == 400, path
        assert "evil.example" in reply.get_data(as_text=True)


@pytest.mark.parametrize("url", ["survey.example.org", "ftp://x.org", "https://", "https://x?a=1"])
def test_public_base_url__must_be_an_http_address(tmp_path, url: str) -> None:
    with pytest.raises(RuntimeError, match="SURVEY_PUBLIC_BASE_URL"):
        create_app(
            {**QUIET, "PUBLIC_BASE_URL": url, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a"}
        )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url__uses_psycopg_3(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd"])
def test_time_zone__one_the_iana_database_does_not_know_is_refused(tmp_path, zone) -> None:
    config = {**QUIET, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/z.db", "TESTING": True}
    with pytest.raises(RuntimeError, match="is not a time zone; set SURVEY_BABEL_DEFAULT_TIMEZONE"):
        create_app({**config, "BABEL_DEFAULT_TIMEZONE": zone})


def test_time_zone__the_default_is_the_regions_and_empty_means_utc(tmp_path) -> None:
    app = create_app({**QUIET, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/z.db"})
    assert region_time_zone(app.config) == "Asia/Novokuznetsk"
    app = create_app(
        {
            **QUIET,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/z.db",
            "BABEL_DEFAULT_TIMEZONE": "",
        }
    )
    assert region_time_zone(app.config) == "UTC"
