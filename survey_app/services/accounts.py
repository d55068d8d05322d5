"""Staff accounts: creation, authentication, passwords, deactivation, roles and scopes.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile);
hashes are upgraded transparently at sign-in when the parameters change. Every change is
written to the audit log. ``actor=None`` means the command line, which is trusted; views
always pass the signed-in user, whose permission is checked here, not in the view.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Role
from survey_app.models import StaffSession
from survey_app.models import User
from survey_app.models.base import utcnow
from survey_app.services import audit
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
from survey_app.services.errors import Issue
from survey_app.services.errors import NotFound
from survey_app.services.scope import Action
from survey_app.services.scope import require

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "Scope",
    "activate_user",
    "authenticate",
    "change_password",
    "create_user",
    "deactivate_user",
    "describe_scope",
    "find_user",
    "get_user",
    "hash_password",
    "list_users",
    "parse_scope",
    "reset_password",
    "set_scope",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
#: longer inputs are refused before hashing (a cheap guard against hashing huge bodies)
MAX_PASSWORD_LENGTH = 256
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash verified when the e-mail is unknown, so timing does not reveal which exist."""
    return _hasher.hash("not-a-real-password-0")


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an account works: a whole region (both None), one system, or one library."""

    system: LibrarySystem | None = None
    library: Library | None = None


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Say whether ``password`` matches ``password_hash`` (False for a malformed hash)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _allowed(actor: User | None) -> None:
    """Check that ``actor`` may manage users (None is the trusted command line)."""
    if actor is not None:
        require(actor, Action.manage_users)


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _password_issues(password: str, email: str, path: str = "password") -> list[Issue]:
    issues = []
    if len(password) < MIN_PASSWORD_LENGTH:
        issues.append(
            Issue("ACC003", path, f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        issues.append(
            Issue(
                "ACC003", path, f"The password may have at most {MAX_PASSWORD_LENGTH} characters."
            )
        )
    elif email and password.strip().lower() == email:
        issues.append(Issue("ACC004", path, "The password must not be the e-mail address."))
    return issues


def _scope_issues(role: Role, scope: Scope) -> list[Issue]:
    if role == Role.library_staff and scope.library is None:
        return [Issue("ACC006", "scope", "Library staff must be given one library.")]
    if role == Role.quality_manager and scope.library is not None:
        return [
            Issue("ACC006", "scope", "A quality manager covers the region or one library system.")
        ]
    if role in (Role.admin, Role.methodologist) and (scope.library or scope.system):
        return [Issue("ACC006", "scope", "Administrators and methodologists work region-wide.")]
    if role == Role.library_staff and scope.system is not None:
        return [Issue("ACC006", "scope", "Library staff are scoped to a library, not a system.")]
    return []


def _role(value: Role | str, issues: list[Issue]) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        issues.append(Issue("ACC005", "role", "Unknown role."))
        return None


def parse_scope(session: Session, spec: str | None) -> Scope:
    """Turn ``"system:CODE"``, ``"library:CODE"``, ``"region"`` or None into a :class:`Scope`.

    Raises
    ------
    Invalid
        When the text is malformed or names no existing system or library (code ACC007).
    """
    if spec is None or not spec.strip() or spec.strip().lower() == "region":
        return Scope()
    kind, _, code = spec.strip().partition(":")
    kind, code = kind.strip().lower(), code.strip()
    if kind == "system" and code:
        system = session.scalar(
            select(LibrarySystem).where(func.lower(LibrarySystem.code) == code.lower())
        )
        if system is not None:
            return Scope(system=system)
    elif kind == "library" and code:
        library = session.scalar(select(Library).where(func.lower(Library.code) == code.lower()))
        if library is not None:
            return Scope(library=library)
    else:
        raise Invalid(
            "Malformed scope.",
            [Issue("ACC007", "scope", "Write region, system:CODE or library:CODE.")],
        )
    raise Invalid(
        "Unknown scope.", [Issue("ACC007", "scope", "No library system or library has this code.")]
    )


def describe_scope(user: User) -> str:
    """Return ``"region"``, ``"system:CODE"`` or ``"library:CODE"`` for the user's scope."""
    if user.library is not None:
        return f"library:{user.library.code}"
    if user.system is not None:
        return f"system:{user.system.code}"
    return "region"


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role | str,
    name: str = "",
    scope: Scope | None = None,
    locale: str = "ru",
    actor: User | None = None,
) -> User:
    """Create an active staff account.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage users.
    Invalid
        With every problem found: e-mail (ACC001) or already used (ACC002), password (ACC003,
        ACC004), role (ACC005), scope not matching the role (ACC006).
    """
    _allowed(actor)
    scope = scope or Scope()
    issues: list[Issue] = []
    address = _normalise_email(email)
    if not _EMAIL.match(address) or len(address) > 254:
        issues.append(Issue("ACC001", "email", "Enter a valid e-mail address."))
    elif session.scalar(select(User.id).where(User.email == address)) is not None:
        issues.append(Issue("ACC002", "email", "An account with this e-mail already exists."))
    issues += _password_issues(password, address)
    checked_role = _role(role, issues)
    if checked_role is not None:
        issues += _scope_issues(checked_role, scope)
    if issues or checked_role is None:
        raise Invalid("The account cannot be created.", issues)
    user = User(
        email=address,
        name=name.strip()[:200],
        password_hash=hash_password(password),
        role=checked_role,
        system=scope.system,
        library=scope.library,
        active=True,
        locale=locale,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        user,
        role=checked_role.value,
        scope=describe_scope(user),
    )
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active account matching the e-mail and password, or None.

    Unknown e-mail, wrong password and deactivated account all give None, after the same
    amount of hashing work.
    """
    address = _normalise_email(email or "")
    user = session.scalar(select(User).where(User.email == address)) if address else None
    if user is None:
        verify_password(_dummy_hash(), password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def change_password(
    session: Session, user: User, *, current_password: str, new_password: str
) -> User:
    """Change the user's own password (every other session of the account ends).

    Raises
    ------
    Invalid
        When the current password is wrong (ACC008) or the new one is unacceptable (ACC003,
        ACC004, ACC009 for no change).
    """
    issues: list[Issue] = []
    if not verify_password(user.password_hash, current_password or ""):
        issues.append(Issue("ACC008", "current_password", "The current password is wrong."))
    new_issues = _password_issues(new_password or "", user.email, "new_password")
    issues += new_issues
    if not issues and current_password == new_password:
        issues.append(
            Issue("ACC009", "new_password", "The new password must differ from the current one.")
        )
    if issues:
        raise Invalid("The password was not changed.", issues)
    user.password_hash = hash_password(new_password)
    session.flush()
    audit.record(session, user, "user.password_change", user)
    return user


def reset_password(
    session: Session, user: User, new_password: str, *, actor: User | None = None
) -> User:
    """Set a new password for someone else's account (administrators; the command line).

    Raises
    ------
    Forbidden
        When ``actor`` may not manage users.
    Invalid
        When the password is unacceptable (ACC003, ACC004).
    """
    _allowed(actor)
    issues = _password_issues(new_password or "", user.email)
    if issues:
        raise Invalid("The password was not changed.", issues)
    user.password_hash = hash_password(new_password)
    session.flush()
    audit.record(session, actor, "user.password_reset", user)
    return user


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count(User.id)).where(User.role == Role.admin, User.active.is_(True))
        )
        or 0
    )


def deactivate_user(session: Session, user: User, *, actor: User | None = None) -> User:
    """Deactivate an account: it can no longer sign in and its open sessions stop working.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage users.
    Conflict
        When administrators would deactivate themselves, or the last active administrator.
    """
    _allowed(actor)
    if actor is not None and actor.id == user.id:
        raise Conflict("You cannot deactivate your own account.")
    if not user.active:
        return user
    if user.role == Role.admin and _active_admins(session) <= 1:
        raise Conflict("The last active administrator cannot be deactivated.")
    user.active = False
    # its sessions end on the server: reactivating the account later revives none of them
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    session.flush()
    audit.record(session, actor, "user.deactivate", user)
    return user


def activate_user(session: Session, user: User, *, actor: User | None = None) -> User:
    """Reactivate a deactivated account.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage users.
    """
    _allowed(actor)
    if user.active:
        return user
    user.active = True
    session.flush()
    audit.record(session, actor, "user.activate", user)
    return user


def set_scope(
    session: Session,
    user: User,
    *,
    role: Role | str | None = None,
    scope: Scope | None = None,
    actor: User | None = None,
) -> User:
    """Change an account's role and/or scope (the other stays as it is when None).

    Raises
    ------
    Forbidden
        When ``actor`` may not manage users.
    Conflict
        When administrators would change their own role, or demote the last active admin.
    Invalid
        When the role is unknown (ACC005) or the scope does not fit the role (ACC006).
    """
    _allowed(actor)
    issues: list[Issue] = []
    new_role = _role(role, issues) if role is not None else Role(user.role)
    new_scope = scope if scope is not None else Scope(system=user.system, library=user.library)
    if new_role is not None:
        issues += _scope_issues(new_role, new_scope)
    if issues or new_role is None:
        raise Invalid("The role or scope was not changed.", issues)
    if new_role != user.role:
        if actor is not None and actor.id == user.id:
            raise Conflict("You cannot change your own role.")
        if user.role == Role.admin and user.active and _active_admins(session) <= 1:
            raise Conflict("The last active administrator cannot lose the role.")
    before = {"role": Role(user.role).value, "scope": describe_scope(user)}
    user.role = new_role
    user.system = new_scope.system
    user.library = new_scope.library
    session.flush()
    after = {"role": new_role.value, "scope": describe_scope(user)}
    if after != before:
        audit.record(session, actor, "user.scope", user, before=before, after=after)
    return user


def get_user(session: Session, user_id: int, *, actor: User | None = None) -> User:
    """Return one account.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage users.
    NotFound
        When there is no such account.
    """
    _allowed(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    return user


def find_user(session: Session, email: str) -> User | None:
    """Return the account with this e-mail (any case), or None."""
    return session.scalar(select(User).where(User.email == _normalise_email(email)))


def list_users(
    session: Session, *, actor: User | None = None, include_inactive: bool = True
) -> Sequence[User]:
    """Return every account, active first, then by e-mail.

    Raises
    ------
    Forbidden
        When ``actor`` may not manage users.
    """
    _allowed(actor)
    stmt = select(User).order_by(User.active.desc(), User.email)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return session.scalars(stmt).all()
