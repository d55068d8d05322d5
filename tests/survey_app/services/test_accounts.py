"""Staff accounts (issue 4 §1, §2, §7): argon2 hashing, creation with collected problems,
authentication (unknown, wrong and deactivated all refused), password change, deactivation and
role/scope changes, each audited; administrators cannot lock themselves or everyone out."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from survey_app.models import AuditEvent
from survey_app.models import Role
from survey_app.services import accounts
from survey_app.services.accounts import Scope
from survey_app.services.errors import Conflict
from survey_app.services.errors import Forbidden
from survey_app.services.errors import Invalid
from tests.factories import STAFF_PASSWORD


def codes(error: Invalid) -> list[tuple[str, str]]:
    return sorted((issue.code, issue.path) for issue in error.issues)


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_hash_password__is_argon2id_with_rfc9106_low_memory_parameters():
    # The production hasher (not the cheap one the factory installs): RFC 9106 §4 second
    # recommended option, as argon2-cffi's default: m = 64 MiB, t = 3, p = 4.
    hashed = PasswordHasher().hash("a long passphrase")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_verify_password__true_for_the_password_only(session):
    hashed = accounts.hash_password("correct horse")
    assert accounts.verify_password(hashed, "correct horse") is True
    assert accounts.verify_password(hashed, "correct horsE") is False
    assert accounts.verify_password("not a hash", "correct horse") is False


def test_create_user__stores_a_hash_never_the_password(session, make_user):
    user = make_user("methodologist", email="  Olga@Example.ORG ")
    assert user.email == "olga@example.org"
    assert STAFF_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert user.active is True and user.role == Role.methodologist


def test_create_user__collects_every_problem(session, make_user):
    make_user(email="taken@example.org")
    with pytest.raises(Invalid) as error:
        accounts.create_user(session, email="taken@example.org", password="short", role="librarian")
    assert codes(error.value) == [
        ("ACC002", "email"),
        ("ACC003", "password"),
        ("ACC005", "role"),
    ]


def test_create_user__password_equal_to_email_is_refused(session):
    with pytest.raises(Invalid) as error:
        accounts.create_user(
            session,
            email="a.long.name@example.org",
            password="A.Long.Name@example.org",
            role="admin",
        )
    assert codes(error.value) == [("ACC004", "password")]


@pytest.mark.parametrize(
    ("role", "scope_kind"),
    [
        ("library_staff", "none"),
        ("library_staff", "system"),
        ("quality_manager", "library"),
        ("admin", "system"),
        ("methodologist", "library"),
    ],
)
def test_create_user__scope_must_fit_the_role(session, make_library, role, scope_kind):
    library = make_library()
    scope = {
        "none": Scope(),
        "system": Scope(system=library.system),
        "library": Scope(library=library),
    }[scope_kind]
    with pytest.raises(Invalid) as error:
        accounts.create_user(
            session, email="x@example.org", password=STAFF_PASSWORD, role=role, scope=scope
        )
    assert codes(error.value) == [("ACC006", "scope")]


def test_create_user__is_audited_with_role_and_scope(session, make_library, make_user):
    library = make_library("LIB-7")
    admin = make_user("admin")
    user = accounts.create_user(
        session,
        email="reader@example.org",
        password=STAFF_PASSWORD,
        role="library_staff",
        scope=Scope(library=library),
        actor=admin,
    )
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.actor_id, event.target) == (
        "user.create",
        admin.id,
        "user:reader@example.org",
    )
    assert event.details == {"role": "library_staff", "scope": "library:LIB-7"}
    assert user.library is library


def test_create_user__only_administrators_may(session, make_user):
    methodologist = make_user("methodologist")
    with pytest.raises(Forbidden):
        accounts.create_user(
            session,
            email="n@example.org",
            password=STAFF_PASSWORD,
            role="admin",
            actor=methodologist,
        )


def test_authenticate__right_password_any_case_email(session, make_user):
    user = make_user("admin", email="boss@example.org")
    assert accounts.authenticate(session, "BOSS@example.org ", STAFF_PASSWORD) is user
    assert user.last_login_at is not None


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "deactivated", "empty"])
def test_authenticate__refused(session, make_user, case):
    make_user("admin", email="boss@example.org")
    make_user("admin", email="gone@example.org", active=False)
    email, password = {
        "wrong password": ("boss@example.org", STAFF_PASSWORD + "x"),
        "unknown email": ("nobody@example.org", STAFF_PASSWORD),
        "deactivated": ("gone@example.org", STAFF_PASSWORD),
        "empty": ("", ""),
    }[case]
    assert accounts.authenticate(session, email, password) is None


def test_authenticate__rehashes_outdated_parameters(session, make_user, monkeypatch):
    user = make_user("admin")
    weak = user.password_hash  # made with the cheap profile
    stronger = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", stronger)
    accounts.authenticate(session, user.email, STAFF_PASSWORD)
    assert user.password_hash != weak
    assert "m=1024,t=2,p=1" in user.password_hash


def test_change_password__needs_the_current_one(session, make_user):
    user = make_user("library_staff")
    with pytest.raises(Invalid) as error:
        accounts.change_password(
            session, user, current_password="nope", new_password="another-long-one"
        )
    assert codes(error.value) == [("ACC008", "current_password")]
    accounts.change_password(
        session, user, current_password=STAFF_PASSWORD, new_password="another-long-one"
    )
    assert accounts.verify_password(user.password_hash, "another-long-one")
    assert not accounts.verify_password(user.password_hash, STAFF_PASSWORD)
    assert audit_actions(session)[-1] == "user.password_change"


def test_change_password__new_one_must_be_long_and_different(session, make_user):
    user = make_user("library_staff")
    with pytest.raises(Invalid) as short:
        accounts.change_password(session, user, current_password=STAFF_PASSWORD, new_password="x")
    assert codes(short.value) == [("ACC003", "new_password")]
    with pytest.raises(Invalid) as same:
        accounts.change_password(
            session, user, current_password=STAFF_PASSWORD, new_password=STAFF_PASSWORD
        )
    assert codes(same.value) == [("ACC009", "new_password")]


def test_deactivate_user__blocks_sign_in_and_is_audited(session, make_user):
    admin = make_user("admin")
    staff = make_user("library_staff", email="leaving@example.org")
    accounts.deactivate_user(session, staff, actor=admin)
    assert staff.active is False and staff.is_active is False
    assert accounts.authenticate(session, "leaving@example.org", STAFF_PASSWORD) is None
    assert audit_actions(session)[-1] == "user.deactivate"
    accounts.activate_user(session, staff, actor=admin)
    assert accounts.authenticate(session, "leaving@example.org", STAFF_PASSWORD) is staff


def test_deactivate_user__not_oneself_nor_the_last_admin(session, make_user):
    admin = make_user("admin")
    with pytest.raises(Conflict):
        accounts.deactivate_user(session, admin, actor=admin)
    with pytest.raises(Conflict):
        accounts.deactivate_user(session, admin)  # from the command line: last admin
    other = make_user("admin")
    accounts.deactivate_user(session, other, actor=admin)
    assert other.active is False


def test_deactivate_user__only_administrators_may(session, make_user):
    manager = make_user("quality_manager")
    staff = make_user("library_staff")
    with pytest.raises(Forbidden):
        accounts.deactivate_user(session, staff, actor=manager)
    assert staff.active is True


def test_set_scope__moves_staff_and_records_before_and_after(session, make_library, make_user):
    admin = make_user("admin")
    first, second = make_library("FIRST"), make_library("SECOND")
    staff = make_user("library_staff", library=first)
    accounts.set_scope(session, staff, scope=Scope(library=second), actor=admin)
    assert staff.library is second
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "user.scope"
    assert event.details == {
        "before": {"role": "library_staff", "scope": "library:FIRST"},
        "after": {"role": "library_staff", "scope": "library:SECOND"},
    }


def test_set_scope__promotion_to_quality_manager_of_a_system(session, make_library, make_user):
    library = make_library()
    staff = make_user("library_staff", library=library)
    accounts.set_scope(
        session,
        staff,
        role="quality_manager",
        scope=Scope(system=library.system),
        actor=make_user("admin"),
    )
    assert (staff.role, staff.system, staff.library) == (
        Role.quality_manager,
        library.system,
        None,
    )


def test_set_scope__invalid_combination_changes_nothing(session, make_user):
    staff = make_user("library_staff")
    library = staff.library
    with pytest.raises(Invalid) as error:
        accounts.set_scope(session, staff, scope=Scope(), actor=make_user("admin"))
    assert codes(error.value) == [("ACC006", "scope")]
    assert staff.library is library


def test_set_scope__admin_cannot_demote_self(session, make_user):
    admin = make_user("admin")
    make_user("admin")
    with pytest.raises(Conflict):
        accounts.set_scope(session, admin, role="methodologist", actor=admin)
    assert admin.role == Role.admin


def test_parse_scope__reads_the_command_line_forms(session, make_library):
    library = make_library("Lib-X")
    assert accounts.parse_scope(session, None) == Scope()
    assert accounts.parse_scope(session, "region") == Scope()
    assert accounts.parse_scope(session, "library:lib-x").library is library
    assert accounts.parse_scope(session, f"system:{library.system.code.upper()}").system is (
        library.system
    )
    for bad in ("library:NOPE", "shelf:1", "system:"):
        with pytest.raises(Invalid) as error:
            accounts.parse_scope(session, bad)
        assert codes(error.value) == [("ACC007", "scope")]
