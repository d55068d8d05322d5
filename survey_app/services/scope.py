"""Who may do what, and where: the role permissions and the library scope of a staff member.

Every page, export and API call that touches a library's data goes through this module, so
the rules live in one place:

* an **admin** and a **methodologist** see the whole network;
* a **quality manager** sees the whole region, or one library system when ``system_id`` is set;
* **library staff** see their one library;
* an inactive account, an anonymous visitor or anything that is not a ``User`` sees nothing.

A library outside the caller's scope is reported exactly like a library that does not exist
(:class:`NotFound`), so a URL cannot be used to probe which ids or codes exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Role
from survey_app.models import ServicePoint
from survey_app.models import User
from survey_app.models import campaign_libraries
from survey_app.services.errors import Forbidden
from survey_app.services.errors import NotFound

__all__ = [
    "PERMISSIONS",
    "Action",
    "active_user",
    "can",
    "campaign_ids_in_scope",
    "in_scope",
    "libraries_in_scope",
    "library_ids_in_scope",
    "library_scope_clause",
    "require",
    "require_campaign",
    "require_library",
    "require_service_point",
    "require_system",
    "resolve_library",
    "restrict_to_scope",
    "scoped_libraries_query",
    "system_ids_in_scope",
]

_S = TypeVar("_S", bound=Select[Any])
_M = TypeVar("_M", Library, LibrarySystem, Campaign)


class Action(StrEnum):
    """Things a staff member may be allowed to do (where is decided by the scope)."""

    manage_users = "manage_users"  #: create, deactivate, change roles and scopes
    view_audit = "view_audit"  #: read the audit log
    manage_network = "manage_network"  #: create, edit, deactivate, import network units
    view_network = "view_network"  #: see the libraries in scope
    manage_instruments = "manage_instruments"  #: upload and publish questionnaire versions
    manage_campaigns = "manage_campaigns"  #: create, open and close campaigns
    view_campaigns = "view_campaigns"  #: see campaigns that include a library in scope
    view_results = "view_results"  #: dashboards and reports of libraries in scope
    run_reports = "run_reports"  #: start a recomputation of a campaign's report run
    #: the instrument under review: reliability, item distributions, factor structure
    review_instruments = "review_instruments"
    export_results = "export_results"  #: CSV/XLSX exports of libraries in scope
    exclude_responses = "exclude_responses"  #: mark responses as excluded (quality control)
    manage_posters = "manage_posters"  #: download QR posters of libraries in scope
    manage_kiosks = "manage_kiosks"  #: pair and revoke kiosk tablets of libraries in scope
    view_kiosks = "view_kiosks"  #: the fleet page: health of the kiosk tablets in scope
    manage_integrations = "manage_integrations"  #: issue and revoke API integration tokens


#: role -> the actions it allows; admins may do everything
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.admin: frozenset(Action),
    Role.methodologist: frozenset(
        {
            Action.view_network,
            Action.manage_instruments,
            Action.manage_campaigns,
            Action.view_campaigns,
            Action.view_results,
            Action.run_reports,
            Action.review_instruments,
            Action.export_results,
            Action.exclude_responses,
            Action.manage_posters,
        }
    ),
    Role.quality_manager: frozenset(
        {
            Action.view_network,
            Action.view_campaigns,
            Action.view_results,
            Action.run_reports,
            Action.review_instruments,
            Action.export_results,
            Action.exclude_responses,
            Action.manage_posters,
            Action.view_kiosks,
        }
    ),
    Role.library_staff: frozenset(
        {
            Action.view_network,
            Action.view_campaigns,
            Action.view_results,
            Action.export_results,
            Action.manage_posters,
            Action.manage_kiosks,
            Action.view_kiosks,
        }
    ),
}


def active_user(user: object) -> User | None:
    """Return ``user`` if it is an active staff account, else None (anonymous, inactive...)."""
    if isinstance(user, User) and user.active:
        return user
    return None


def can(user: object, action: Action | str) -> bool:
    """Say whether ``user``'s role allows ``action`` (somewhere in their scope)."""
    staff = active_user(user)
    if staff is None:
        return False
    try:
        wanted = Action(action)
        role = Role(staff.role)
    except ValueError:
        return False
    return wanted in PERMISSIONS.get(role, frozenset())


def require(user: object, action: Action | str) -> User:
    """Return the active ``user`` when their role allows ``action``.

    Raises
    ------
    Forbidden
        When the user is anonymous, inactive or their role does not allow it.
    """
    staff = active_user(user)
    if staff is None or not can(staff, action):
        raise Forbidden("You are not allowed to do this.")
    return staff


def _unrestricted(user: User) -> bool:
    return user.role in (Role.admin, Role.methodologist) or (
        user.role == Role.quality_manager and user.system_id is None
    )


def system_ids_in_scope(session: Session, user: object) -> set[int] | None:
    """Return the ids of the library systems the user may see; None means every system."""
    staff = active_user(user)
    if staff is None:
        return set()
    if _unrestricted(staff):
        return None
    if staff.role == Role.quality_manager:
        return {staff.system_id} if staff.system_id is not None else set()
    if staff.role == Role.library_staff and staff.library_id is not None:
        system_id = session.scalar(select(Library.system_id).where(Library.id == staff.library_id))
        return {system_id} if system_id is not None else set()
    return set()


def library_ids_in_scope(session: Session, user: object) -> set[int] | None:
    """Return the ids of the libraries the user may see; None means every library."""
    staff = active_user(user)
    if staff is None:
        return set()
    if _unrestricted(staff):
        return None
    if staff.role == Role.quality_manager and staff.system_id is not None:
        return set(session.scalars(select(Library.id).where(Library.system_id == staff.system_id)))
    if staff.role == Role.library_staff and staff.library_id is not None:
        return {staff.library_id}
    return set()


def library_scope_clause(
    session: Session, user: object, library_id_column: ColumnElement[int] | Any
) -> ColumnElement[bool]:
    """Return a SQL condition true for rows whose ``library_id_column`` is in the user's scope.

    Use it on any query that carries a library id (responses, campaigns' libraries, devices).
    """
    ids = library_ids_in_scope(session, user)
    if ids is None:
        return true()
    if not ids:
        return false()
    return library_id_column.in_(sorted(ids))


def restrict_to_scope(
    stmt: _S, session: Session, user: object, library_id_column: ColumnElement[int] | Any
) -> _S:
    """Return ``stmt`` filtered to the rows of libraries in the user's scope."""
    return stmt.where(library_scope_clause(session, user, library_id_column))


def scoped_libraries_query(
    session: Session,
    user: object,
    *,
    include_inactive: bool = True,
    system_id: int | None = None,
) -> Select[Any]:
    """Return ``select(Library)`` limited to the user's scope, ordered by system and name."""
    stmt = (
        select(Library).join(Library.system).order_by(LibrarySystem.name, Library.name, Library.id)
    )
    stmt = restrict_to_scope(stmt, session, user, Library.id)
    if not include_inactive:
        stmt = stmt.where(Library.active.is_(True))
    if system_id is not None:
        stmt = stmt.where(Library.system_id == system_id)
    return stmt


def in_scope(session: Session, user: object, library_id: int) -> bool:
    """Say whether one library id is in the user's scope."""
    ids = library_ids_in_scope(session, user)
    return ids is None or library_id in ids


def _signed_in(user: object, action: Action | str | None) -> None:
    """Refuse an anonymous or inactive user, and one whose role does not allow ``action``."""
    if active_user(user) is None:
        raise Forbidden("Please sign in.")
    if action is not None:
        require(user, action)


def _resolve(session: Session, model: type[_M], ref: object, *, digits_as_id: bool) -> _M | None:
    """Find a row of ``model`` by object, id or code (see :func:`resolve_library`).

    The code matches exactly, else case-insensitively when that finds exactly one row; with
    ``digits_as_id`` a string of digits that is no code is then tried as an id.
    """
    if isinstance(ref, model):
        return ref
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        return session.get(model, ref)
    if not isinstance(ref, str):
        return None
    code = ref.strip()
    if not code:
        return None
    column = model.code
    found = session.scalar(select(model).where(column == code))
    if found is not None:
        return found
    candidates = session.scalars(
        select(model).where(func.lower(column) == code.lower()).limit(2)
    ).all()
    if len(candidates) == 1:
        return candidates[0]
    if digits_as_id and code.isdigit() and len(code) < 18:
        return session.get(model, int(code))
    return None


def resolve_library(session: Session, ref: Library | int | str) -> Library | None:
    """Find a library by object, id or code; codes match case-insensitively, blanks trimmed.

    A string made of digits that is not a code is tried as an id, so ``/libraries/12`` and
    ``/libraries/LIB-12`` both work.
    """
    return _resolve(session, Library, ref, digits_as_id=True)


def require_library(
    session: Session,
    user: object,
    library_or_id: Library | int | str,
    action: Action | str | None = None,
) -> Library:
    """Return the library if it exists, is in the user's scope and ``action`` is allowed.

    Raises
    ------
    NotFound
        When the library does not exist **or** is outside the user's scope (the two are
        indistinguishable on purpose).
    Forbidden
        When the user is anonymous or inactive, or their role does not allow ``action``.
    """
    _signed_in(user, action)
    library = resolve_library(session, library_or_id)
    if library is None or not in_scope(session, user, library.id):
        raise NotFound("No such library.")
    return library


def require_system(
    session: Session,
    user: object,
    system_or_ref: LibrarySystem | int | str,
    action: Action | str | None = None,
) -> LibrarySystem:
    """Return the library system if it exists and is in scope (by object, id or code).

    Raises
    ------
    NotFound
        When it does not exist or lies outside the user's scope.
    Forbidden
        When the user is anonymous or inactive, or their role does not allow ``action``.
    """
    _signed_in(user, action)
    system = _resolve(session, LibrarySystem, system_or_ref, digits_as_id=True)
    allowed = system_ids_in_scope(session, user)
    if system is None or (allowed is not None and system.id not in allowed):
        raise NotFound("No such library system.")
    return system


def require_service_point(
    session: Session,
    user: object,
    point_id: int,
    action: Action | str | None = None,
) -> ServicePoint:
    """Return a service point whose library is in the user's scope.

    Raises
    ------
    NotFound
        When it does not exist or its library lies outside the user's scope.
    Forbidden
        When the user is anonymous or inactive, or their role does not allow ``action``.
    """
    _signed_in(user, action)
    point = session.get(ServicePoint, point_id) if isinstance(point_id, int) else None
    if point is None or not in_scope(session, user, point.library_id):
        raise NotFound("No such service point.")
    return point


def campaign_ids_in_scope(session: Session, user: object) -> set[int] | None:
    """Return the ids of campaigns that include a library in scope; None means all."""
    ids = library_ids_in_scope(session, user)
    if ids is None:
        return None
    if not ids:
        return set()
    return set(
        session.scalars(
            select(campaign_libraries.c.campaign_id)
            .where(campaign_libraries.c.library_id.in_(sorted(ids)))
            .distinct()
        )
    )


def campaigns_in_scope(session: Session, user: object, action: Action) -> list[Campaign]:
    """The campaigns with a library in the user's scope, newest first.

    Raises
    ------
    Forbidden
        When the user may not do ``action``.
    """
    require(user, action)
    stmt = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    ids = campaign_ids_in_scope(session, user)
    if ids is not None:
        stmt = stmt.where(Campaign.id.in_(sorted(ids)))
    return list(session.scalars(stmt))


def require_campaign(
    session: Session,
    user: object,
    campaign_or_ref: Campaign | int | str,
    action: Action | str | None = None,
) -> Campaign:
    """Return a campaign (by object, id or code) that includes at least one library in scope.

    Seeing a campaign does not widen the scope: results and exports must still be filtered
    with :func:`library_scope_clause` (a librarian sees only their own library's responses).

    Raises
    ------
    NotFound
        When it does not exist or none of its libraries is in the user's scope.
    Forbidden
        When the user is anonymous or inactive, or their role does not allow ``action``.
    """
    _signed_in(user, action)
    campaign = _resolve(session, Campaign, campaign_or_ref, digits_as_id=False)
    allowed = campaign_ids_in_scope(session, user)
    if campaign is None or (allowed is not None and campaign.id not in allowed):
        raise NotFound("No such campaign.")
    return campaign


def libraries_in_scope(
    session: Session, user: object, libraries: Iterable[Library]
) -> list[Library]:
    """Keep the libraries of ``libraries`` that are in the user's scope (order kept)."""
    ids = library_ids_in_scope(session, user)
    return [library for library in libraries if ids is None or library.id in ids]
