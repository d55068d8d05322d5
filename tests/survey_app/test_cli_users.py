"""``survey-app users ...`` (issue 4 §2): the first administrator from the command line with
the password from standard input or a prompt, scoped accounts, collected problems with exit
status 1, listing, deactivation (never the last administrator) and password reset."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import Role
from survey_app.models import User
from survey_app.services import accounts


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher.from_parameters(CHEAPEST))


def test_users_create__first_admin_with_password_on_stdin(runner, session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Chief@Example.org",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="the-first-admin-password\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output == "created chief@example.org (admin, region)\n"
    user = session.scalar(select(User))
    assert (user.email, user.role, user.active) == ("chief@example.org", Role.admin, True)
    assert accounts.verify_password(user.password_hash, "the-first-admin-password")
    event = session.scalar(select(AuditEvent))
    assert (event.action, event.actor_id) == ("user.create", None)


def test_users_create__prompts_twice_for_the_password(runner, session):
    result = runner.invoke(
        args=["users", "create", "--email", "m@example.org", "--role", "methodologist"],
        input="prompted-password\nprompted-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "prompted-password" not in result.output
    user = session.scalar(select(User))
    assert accounts.verify_password(user.password_hash, "prompted-password")


def test_users_create__scoped_to_a_library(runner, session, make_library):
    make_library("KEM-7")
    session.commit()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "lib@example.org",
            "--role",
            "library_staff",
            "--scope",
            "library:kem-7",
            "--password-stdin",
        ],
        input="a-library-password\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output == "created lib@example.org (library_staff, library:KEM-7)\n"


def test_users_create__every_problem_listed_exit_1(runner, session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "not-an-email",
            "--role",
            "library_staff",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "ACC001 email" in result.output
    assert "ACC003 password" in result.output
    assert "ACC006 scope" in result.output
    assert session.scalar(select(User)) is None


def test_users_create__unknown_scope(runner, session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "q@example.org",
            "--role",
            "quality_manager",
            "--scope",
            "system:NOWHERE",
            "--password-stdin",
        ],
        input="a-long-password\n",
    )
    assert result.exit_code == 1
    assert "ACC007 scope" in result.output


def test_users_list_deactivate_and_set_password(runner, session, make_user):
    make_user("admin", email="chief@example.org")
    make_user("library_staff", email="lib@example.org")
    session.commit()
    refused = runner.invoke(args=["users", "deactivate", "chief@example.org"])
    assert refused.exit_code == 1
    assert "last active administrator" in refused.output
    done = runner.invoke(args=["users", "deactivate", "LIB@example.org"])
    assert (done.exit_code, done.output) == (0, "deactivated lib@example.org\n")
    listing = runner.invoke(args=["users", "list"]).output.splitlines()
    assert listing[0] == "chief@example.org\tadmin\tregion\tactive"
    assert listing[1].startswith("lib@example.org\tlibrary_staff\tlibrary:")
    assert listing[1].endswith("\tdeactivated")
    reset = runner.invoke(
        args=["users", "set-password", "chief@example.org", "--password-stdin"],
        input="a-new-admin-password\n",
    )
    assert reset.exit_code == 0
    chief = accounts.find_user(session, "chief@example.org")
    assert accounts.verify_password(chief.password_hash, "a-new-admin-password")
    assert runner.invoke(args=["users", "deactivate", "nobody@example.org"]).exit_code == 1
