"""Staff administration: dashboard, accounts, the library network and the audit log.

Other blueprints add their pages to the navigation with :func:`add_nav_item`, e.g. from a
``bp.record_once(lambda state: add_nav_item(state.app, "campaigns.index", _l("Campaigns"),
Action.view_campaigns, order=20))``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from survey_app.auth import current_staff
from survey_app.auth import login_required
from survey_app.blueprints.auth import ConfirmForm
from survey_app.extensions import db
from survey_app.models import LibraryType
from survey_app.models import Role
from survey_app.services import scope as scope_service
from survey_app.services.accounts import describe_scope
from survey_app.services.scope import Action
from survey_app.services.scope import can

bp = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link of the administration menu, shown when its endpoint exists and is allowed."""

    endpoint: str
    label: Any
    action: Action | None = None
    order: int = 50


_DEFAULT_NAV = (
    NavItem("admin.index", _l("Overview"), None, 0),
    NavItem("admin.libraries", _l("Libraries"), Action.view_network, 40),
    NavItem("admin.systems", _l("Library systems"), Action.manage_network, 41),
    NavItem("admin.import_libraries", _l("Import"), Action.manage_network, 42),
    NavItem("admin.users", _l("Accounts"), Action.manage_users, 80),
    NavItem("admin.audit", _l("Audit log"), Action.view_audit, 90),
)


def add_nav_item(
    app: Flask, endpoint: str, label: Any, action: Action | str | None = None, order: int = 50
) -> None:
    """Add a link to the administration menu of ``app`` (idempotent per endpoint)."""
    items: dict[str, NavItem] = app.extensions.setdefault("admin_nav", {})
    items[endpoint] = NavItem(endpoint, label, Action(action) if action else None, order)


@bp.record_once
def _install_nav(state: Any) -> None:
    for item in _DEFAULT_NAV:
        state.app.extensions.setdefault("admin_nav", {}).setdefault(item.endpoint, item)


@bp.app_context_processor
def _layout_helpers() -> dict[str, Callable[..., Any]]:
    return {
        "admin_nav_items": _nav_items,
        "confirm_form": ConfirmForm,
        "role_label": role_label,
        "scope_label": scope_label,
        "type_label": type_label,
    }


TYPE_LABELS = {
    LibraryType.central: _l("central"),
    LibraryType.branch: _l("branch"),
    LibraryType.rural: _l("rural"),
    LibraryType.children: _l("children's"),
    LibraryType.model: _l("model library"),
}


def type_label(kind: LibraryType | str) -> Any:
    """Human name of a library type."""
    try:
        return TYPE_LABELS[LibraryType(kind)]
    except ValueError:
        return kind


ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.methodologist: _l("Methodologist"),
    Role.quality_manager: _l("Quality manager"),
    Role.library_staff: _l("Library staff"),
}


def role_label(role: Role | str) -> Any:
    """Human name of a role."""
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def scope_label(scope: str) -> Any:
    """Human text for ``"region"``, ``"system:CODE"`` or ``"library:CODE"``."""
    kind, _, code = scope.partition(":")
    if kind == "system":
        return _l("library system %(code)s", code=code)
    if kind == "library":
        return _l("library %(code)s", code=code)
    return _l("the whole region")


def _nav_items() -> list[dict[str, Any]]:
    if not current_user.is_authenticated:
        return []
    items: dict[str, NavItem] = current_app.extensions.get("admin_nav", {})
    shown = []
    for item in sorted(items.values(), key=lambda i: (i.order, i.endpoint)):
        if item.endpoint not in current_app.view_functions:
            continue
        if item.action is not None and not can(current_user, item.action):
            continue
        shown.append(
            {
                "url": url_for(item.endpoint),
                "label": item.label,
                "current": request.endpoint == item.endpoint,
            }
        )
    return shown


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    """Show the signed-in staff member's overview: role, scope and what they can reach."""
    user = current_staff()
    libraries = db.session.scalars(
        scope_service.scoped_libraries_query(db.session, user, include_inactive=False)
    ).all()
    return render_template(
        "admin/index.html", user=user, scope=describe_scope(user), libraries=libraries
    )


@bp.get("/libraries")
@login_required
def libraries():  # type: ignore[no-untyped-def]
    """List the libraries in the caller's scope."""
    user = current_staff()
    scope_service.require(user, Action.view_network)
    rows = db.session.scalars(scope_service.scoped_libraries_query(db.session, user)).all()
    return render_template("admin/libraries.html", libraries=rows)


@bp.get("/libraries/<path:ref>")
@login_required
def library(ref: str):  # type: ignore[no-untyped-def]
    """Show one library (by id or code, any case); outside the scope it does not exist."""
    user = current_staff()
    found = scope_service.require_library(db.session, user, ref.strip("/"), Action.view_network)
    return render_template("admin/library.html", library=found)
