"""Staff administration: dashboard, accounts, the library network and the audit log.

Other blueprints add their pages to the navigation with :func:`add_nav_item`, e.g. from a
``bp.record_once(lambda state: add_nav_item(state.app, "campaigns.index", _l("Campaigns"),
Action.view_campaigns, order=20))``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from wtforms import DateField
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from survey_app.audit_text import Names
from survey_app.audit_text import action_label
from survey_app.audit_text import detail_lines
from survey_app.audit_text import place_text
from survey_app.audit_text import target_text
from survey_app.auth import current_staff
from survey_app.auth import login_required
from survey_app.auth import permission_required
from survey_app.auth import role_required
from survey_app.blueprints.auth import ConfirmForm
from survey_app.blueprints.auth import apply_issues
from survey_app.blueprints.paging import library_listing
from survey_app.blueprints.paging import page_number
from survey_app.extensions import db
from survey_app.models import LibraryType
from survey_app.models import Role
from survey_app.models import User
from survey_app.services import accounts
from survey_app.services import audit
from survey_app.services import network
from survey_app.services import scope as scope_service
from survey_app.services.accounts import describe_scope
from survey_app.services.errors import Conflict
from survey_app.services.errors import Invalid
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
    NavItem("admin.import_libraries", _l("Import libraries"), Action.manage_network, 42),
    NavItem("admin.users", _l("Accounts"), Action.manage_users, 80),
    NavItem("admin.audit_log", _l("Audit log"), Action.view_audit, 90),
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
        # unbound: a page (an error page too) renders these buttons without reading the body
        "confirm_form": lambda: ConfirmForm(formdata=None),
        "role_label": role_label,
        "scope_label": scope_label,
        "type_label": type_label,
        "subject_label": subject_label,
    }


TYPE_LABELS = {
    LibraryType.central: _l("central"),
    LibraryType.branch: _l("branch"),
    LibraryType.rural: _l("rural"),
    LibraryType.children: _l("children's"),
    LibraryType.model: _l("model library"),
}


def _label(labels: Mapping[Any, Any], kind: Callable[[Any], Any], value: Any) -> Any:
    """The label of ``kind(value)`` in ``labels``; ``value`` itself when it is no such member."""
    try:
        return labels[kind(value)]
    except ValueError:
        return value


def type_label(kind: LibraryType | str) -> Any:
    """Human name of a library type."""
    return _label(TYPE_LABELS, LibraryType, kind)


#: indicator subjects that are no scale or item of the instrument: NOK's criteria and total
#: (``nok:K1`` … ``nok:total``), a gap battery's row over all its statements and SERVQUAL's
#: two totals over the dimensions
SUBJECT_LABELS = {
    "K1": _l("K1 openness and accessibility of information"),
    "K2": _l("K2 comfort of the conditions"),
    "K3": _l("K3 accessibility for people with disabilities"),
    "K4": _l("K4 friendliness and politeness of staff"),
    "K5": _l("K5 satisfaction with the conditions"),
    "total": _l("Total score"),
    "overall": _l("All statements together"),
    "unweighted": _l("All dimensions, unweighted"),
    "weighted": _l("All dimensions, weighted by importance"),
}


def subject_label(indicator: str, title: str = "") -> Any:
    """The words for an indicator's subject that the instrument does not name (see
    :data:`SUBJECT_LABELS`); else ``title`` (the scale's title or the item's text)."""
    subject = indicator.partition(":")[2]
    return SUBJECT_LABELS.get(subject, title or subject)


ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.methodologist: _l("Methodologist"),
    Role.quality_manager: _l("Quality manager"),
    Role.library_staff: _l("Library staff"),
}


def role_label(role: Role | str) -> Any:
    """Human name of a role."""
    return _label(ROLE_LABELS, Role, role)


def scope_label(scope: str, names: Names | None = None) -> Any:
    """Human text for ``"region"``, ``"system:CODE"`` or ``"library:CODE"``: the system or
    library by its name (a library with its system's), from ``names`` or looked up."""
    kind, _, code = scope.partition(":")
    if kind in ("system", "library"):
        if names is None:
            names = audit.place_names(db.session, [scope])
        if (text := place_text(scope, names)) is not None:
            return text
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
def index() -> ResponseReturnValue:
    """Show the signed-in staff member's overview: role, scope and what they can reach."""
    user = current_staff()
    libraries = db.session.scalars(
        scope_service.scoped_libraries_query(db.session, user, include_inactive=False)
    ).all()
    # one line per library system when there are several (a region has about 600 libraries)
    listing = library_listing(libraries, lambda library: library, args={})
    return render_template(
        "admin/index.html", user=user, scope=describe_scope(user), listing=listing
    )


# --- forms (syntax only; the services check everything else) -----------------------------


def _scope_choices() -> dict[str, list[tuple[str, str]]]:
    systems = network.list_systems(db.session)
    libraries = network.list_libraries(db.session)
    choices: dict[str, list[tuple[str, str]]] = {
        _("Region"): [("region", _("The whole region"))],
        _("Library systems"): [(f"system:{s.code}", s.name) for s in systems],
    }
    # one group per library system (600 libraries): same-named libraries are told apart by
    # their system and address, not by a Latin code
    for library in sorted(libraries, key=lambda lib: (lib.system.name, lib.name, lib.id)):
        group = _("Libraries of %(system)s", system=library.system.name)
        label = f"{library.name} — {library.address}" if library.address else library.name
        choices.setdefault(group, []).append((f"library:{library.code}", label))
    return choices


def _role_choices() -> list[tuple[str, Any]]:
    return [(role.value, ROLE_LABELS[role]) for role in Role]


class UserForm(FlaskForm):
    """A new account."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    scope = SelectField(_l("Scope"), default="region")
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=accounts.MAX_PASSWORD_LENGTH)],
    )


class ScopeForm(FlaskForm):
    """An account's role and scope."""

    role = SelectField(_l("Role"), validators=[DataRequired()])
    scope = SelectField(_l("Scope"))


class SystemForm(FlaskForm):
    """A library system."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class LibraryForm(FlaskForm):
    """A library."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    system = SelectField(_l("Library system"), validators=[DataRequired()])
    type = SelectField(_l("Type"), default=LibraryType.branch.value)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    population_served = StringField(_l("Population served"), validators=[Optional()])
    opening_hours = StringField(_l("Opening hours"), validators=[Optional(), Length(max=200)])


class ServicePointForm(FlaskForm):
    """A service point of a library."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class ImportForm(FlaskForm):
    """A CSV or XLSX file of libraries."""

    file = FileField(
        _l("File"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file.")),
        ],
    )


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()], default="")
    actor = StringField(_l("Who (e-mail)"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From (date)"), validators=[Optional()])
    until = DateField(_l("To (date, inclusive)"), validators=[Optional()])


def _fill_library_choices(form: LibraryForm) -> None:
    systems = network.list_systems(db.session)
    form.system.choices = [(s.code, f"{s.name} ({s.code})") for s in systems]
    form.type.choices = [(kind.value, TYPE_LABELS[kind]) for kind in LibraryType]


def _invalid(form: FlaskForm, error: Invalid, template: str, **context: Any) -> Any:
    db.session.rollback()
    general = apply_issues(form, error)
    return render_template(template, form=form, general=general, **context), 422


def _form_page(template: str, form: FlaskForm, **context: Any) -> Any:
    """Show ``form`` on ``template``: 200, or 422 when a submitted form has errors."""
    status = 422 if form.errors else 200
    return render_template(template, form=form, general=[], **context), status


def _conflict(error: Conflict, back: str) -> Any:
    """Undo the request's changes, show why they were refused and go back to ``back``."""
    db.session.rollback()
    flash(_(error.message), "error")
    return redirect(back)


# --- accounts (administrators only) ------------------------------------------------------


@bp.get("/users")
@role_required(Role.admin)
def users() -> ResponseReturnValue:
    """List every staff account."""
    rows = accounts.list_users(db.session, actor=current_staff())
    return render_template(
        "admin/users.html",
        users=rows,
        describe_scope=describe_scope,
        scope_names=audit.place_names(db.session, [describe_scope(user) for user in rows]),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_user() -> ResponseReturnValue:
    """Create a staff account."""
    form = UserForm()
    form.role.choices = _role_choices()
    form.scope.choices = _scope_choices()
    if form.validate_on_submit():
        try:
            created = accounts.create_user(
                db.session,
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
                role=form.role.data,
                scope=accounts.parse_scope(db.session, form.scope.data),
                actor=current_staff(),
            )
        except Invalid as error:
            return _invalid(form, error, "admin/user_form.html", user=None)
        db.session.commit()
        flash(_("The account %(email)s was created.", email=created.email), "success")
        return redirect(url_for("admin.users"))
    return _form_page("admin/user_form.html", form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def user(user_id: int) -> ResponseReturnValue:
    """Show an account; change its role and scope."""
    account = accounts.get_user(db.session, user_id, actor=current_staff())
    form = ScopeForm(
        data={"role": Role(account.role).value, "scope": describe_scope(account)}
        if request.method == "GET"
        else None
    )
    form.role.choices = _role_choices()
    form.scope.choices = _scope_choices()
    if form.validate_on_submit():
        try:
            accounts.set_scope(
                db.session,
                account,
                role=form.role.data,
                scope=accounts.parse_scope(db.session, form.scope.data),
                actor=current_staff(),
            )
        except Invalid as error:
            return _invalid(form, error, "admin/user_form.html", user=account)
        except Conflict as error:
            return _conflict(error, url_for("admin.user", user_id=user_id))
        db.session.commit()
        flash(_("The role and scope of %(email)s were saved.", email=account.email), "success")
        return redirect(url_for("admin.users"))
    return _form_page("admin/user_form.html", form, user=account)


@bp.post("/users/<int:user_id>/deactivate")
@role_required(Role.admin)
def deactivate_user(user_id: int) -> ResponseReturnValue:
    """Deactivate an account; its sessions end at their next request."""
    return _user_toggle(
        user_id, accounts.deactivate_user, _("The account %(email)s is deactivated.")
    )


@bp.post("/users/<int:user_id>/activate")
@role_required(Role.admin)
def activate_user(user_id: int) -> ResponseReturnValue:
    """Reactivate an account."""
    return _user_toggle(
        user_id, accounts.activate_user, _("The account %(email)s is active again.")
    )


def _user_toggle(user_id: int, change: Callable[..., User], message: str) -> Any:
    actor = current_staff()
    account = accounts.get_user(db.session, user_id, actor=actor)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        change(db.session, account, actor=actor)
    except Conflict as error:
        return _conflict(error, url_for("admin.users"))
    db.session.commit()
    flash(message % {"email": account.email}, "success")
    return redirect(url_for("admin.users"))


# --- library systems (administrators) ----------------------------------------------------


@bp.get("/systems")
@permission_required(Action.manage_network)
def systems() -> ResponseReturnValue:
    """List the library systems."""
    return render_template("admin/systems.html", systems=network.list_systems(db.session))


@bp.route("/systems/new", methods=["GET", "POST"])
@permission_required(Action.manage_network)
def new_system() -> ResponseReturnValue:
    """Create a library system."""
    form = SystemForm()
    if form.validate_on_submit():
        try:
            network.create_system(
                db.session,
                code=form.code.data or "",
                name=form.name.data or "",
                actor=current_staff(),
            )
        except Invalid as error:
            return _invalid(form, error, "admin/system_form.html", system=None)
        db.session.commit()
        flash(_("The library system was created."), "success")
        return redirect(url_for("admin.systems"))
    return _form_page("admin/system_form.html", form, system=None)


@bp.route("/systems/<ref>/edit", methods=["GET", "POST"])
@permission_required(Action.manage_network)
def edit_system(ref: str) -> ResponseReturnValue:
    """Rename a library system."""
    actor = current_staff()
    found = scope_service.require_system(db.session, actor, ref, Action.manage_network)
    form = SystemForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            network.update_system(
                db.session, found, code=form.code.data, name=form.name.data, actor=actor
            )
        except Invalid as error:
            return _invalid(form, error, "admin/system_form.html", system=found)
        db.session.commit()
        flash(_("The library system was saved."), "success")
        return redirect(url_for("admin.systems"))
    return _form_page("admin/system_form.html", form, system=found)


@bp.post("/systems/<ref>/deactivate")
@permission_required(Action.manage_network)
def deactivate_system(ref: str) -> ResponseReturnValue:
    """Deactivate a library system."""
    return _unit_toggle("system", ref, network.deactivate_system, url_for("admin.systems"))


@bp.post("/systems/<ref>/activate")
@permission_required(Action.manage_network)
def activate_system(ref: str) -> ResponseReturnValue:
    """Reactivate a library system."""
    return _unit_toggle("system", ref, network.activate_system, url_for("admin.systems"))


def _unit_toggle(kind: str, ref: Any, change: Callable[..., Any], back: str | None) -> Any:
    actor = current_staff()
    if kind == "system":
        unit: Any = scope_service.require_system(db.session, actor, ref, Action.manage_network)
    elif kind == "library":
        unit = scope_service.require_library(db.session, actor, ref, Action.manage_network)
    else:
        unit = scope_service.require_service_point(db.session, actor, ref, Action.manage_network)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    change(db.session, unit, actor=actor)
    db.session.commit()
    flash(_("Saved."), "success")
    if back is None:
        library = unit if kind == "library" else unit.library
        back = url_for("admin.library", ref=library.code)
    return redirect(back)


# --- libraries and service points --------------------------------------------------------


@bp.get("/libraries")
@permission_required(Action.view_network)
def libraries() -> ResponseReturnValue:
    """List the libraries in the caller's scope, 50 a page, found by name, code or address
    (``?q=``) and narrowed to a library system (``?system=<code>``)."""
    query = (request.args.get("q") or "").strip()[:100]
    system = (request.args.get("system") or "").strip()[:64]
    page = page_number(request.args.get("page"))
    found = network.find_libraries(
        db.session, current_staff(), query=query, system_code=system, page=page
    )
    if page > found.pages:
        abort(404, description=_("There is no such page."))
    return render_template("admin/libraries.html", found=found, query=query, system=system)


@bp.route("/libraries/new", methods=["GET", "POST"])
@permission_required(Action.manage_network)
def new_library() -> ResponseReturnValue:
    """Create a library."""
    actor = current_staff()
    form = LibraryForm()
    _fill_library_choices(form)
    if form.validate_on_submit():
        system = scope_service.require_system(db.session, actor, form.system.data or "")
        try:
            created = network.create_library(
                db.session,
                system=system,
                code=form.code.data or "",
                name=form.name.data or "",
                type=form.type.data or LibraryType.branch,
                address=form.address.data,
                population_served=form.population_served.data,
                opening_hours=form.opening_hours.data,
                actor=actor,
            )
        except Invalid as error:
            return _invalid(form, error, "admin/library_form.html", library=None)
        db.session.commit()
        flash(_("The library was created."), "success")
        return redirect(url_for("admin.library", ref=created.code))
    return _form_page("admin/library_form.html", form, library=None)


@bp.route("/libraries/import", methods=["GET", "POST"])
@permission_required(Action.manage_network)
def import_libraries() -> ResponseReturnValue:
    """Import libraries from CSV or XLSX: every line is checked and nothing is saved unless
    all are valid."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = network.import_libraries(
                db.session, upload.read(), filename=upload.filename or "", actor=current_staff()
            )
        except Invalid as error:
            db.session.rollback()
            return (
                render_template("admin/import.html", form=form, problems=error.issues, general=[]),
                422,
            )
        db.session.commit()
        flash(
            _(
                "Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
                created=len(report.created),
                updated=len(report.updated),
                unchanged=len(report.unchanged),
            ),
            "success",
        )
        return redirect(url_for("admin.libraries"))
    return _form_page("admin/import.html", form, problems=())


@bp.get("/libraries/<ref>/", strict_slashes=False)
@login_required
def library(ref: str) -> ResponseReturnValue:
    """Show one library (by id or code, any case); outside the scope it does not exist."""
    found = scope_service.require_library(db.session, current_staff(), ref, Action.view_network)
    return render_template("admin/library.html", library=found)


@bp.route("/libraries/<ref>/edit", methods=["GET", "POST"])
@login_required
def edit_library(ref: str) -> ResponseReturnValue:
    """Edit a library's details."""
    actor = current_staff()
    found = scope_service.require_library(db.session, actor, ref, Action.manage_network)
    form = LibraryForm(obj=found if request.method == "GET" else None)
    _fill_library_choices(form)
    if request.method == "GET":
        form.system.data = found.system.code
        form.type.data = LibraryType(found.type).value
        form.population_served.data = (
            "" if found.population_served is None else str(found.population_served)
        )
    if form.validate_on_submit():
        system = scope_service.require_system(db.session, actor, form.system.data or "")
        try:
            network.update_library(
                db.session,
                found,
                system=system,
                code=form.code.data or "",
                name=form.name.data or "",
                type=form.type.data,
                address=form.address.data,
                population_served=form.population_served.data,
                opening_hours=form.opening_hours.data,
                actor=actor,
            )
        except Invalid as error:
            return _invalid(form, error, "admin/library_form.html", library=found)
        except Conflict as error:
            return _conflict(error, url_for("admin.edit_library", ref=ref))
        db.session.commit()
        flash(_("The library was saved."), "success")
        return redirect(url_for("admin.library", ref=found.code))
    return _form_page("admin/library_form.html", form, library=found)


@bp.post("/libraries/<ref>/deactivate")
@login_required
def deactivate_library(ref: str) -> ResponseReturnValue:
    """Deactivate a library (its results are kept)."""
    return _unit_toggle("library", ref, network.deactivate_library, None)


@bp.post("/libraries/<ref>/activate")
@login_required
def activate_library(ref: str) -> ResponseReturnValue:
    """Reactivate a library."""
    return _unit_toggle("library", ref, network.activate_library, None)


@bp.route("/libraries/<ref>/service-points/new", methods=["GET", "POST"])
@login_required
def new_service_point(ref: str) -> ResponseReturnValue:
    """Add a service point to a library."""
    actor = current_staff()
    found = scope_service.require_library(db.session, actor, ref, Action.manage_network)
    form = ServicePointForm()
    if form.validate_on_submit():
        try:
            network.create_service_point(
                db.session,
                found,
                code=form.code.data or "",
                name=form.name.data or "",
                actor=actor,
            )
        except Invalid as error:
            return _invalid(form, error, "admin/service_point_form.html", library=found)
        db.session.commit()
        flash(_("The service point was added."), "success")
        return redirect(url_for("admin.library", ref=found.code))
    return _form_page("admin/service_point_form.html", form, library=found)


@bp.route("/service-points/<int:point_id>/edit", methods=["GET", "POST"])
@login_required
def edit_service_point(point_id: int) -> ResponseReturnValue:
    """Rename a service point."""
    actor = current_staff()
    point = scope_service.require_service_point(db.session, actor, point_id, Action.manage_network)
    form = ServicePointForm(obj=point if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            network.update_service_point(
                db.session, point, code=form.code.data, name=form.name.data, actor=actor
            )
        except Invalid as error:
            return _invalid(form, error, "admin/service_point_form.html", library=point.library)
        except Conflict as error:
            return _conflict(error, url_for("admin.edit_service_point", point_id=point_id))
        db.session.commit()
        flash(_("The service point was saved."), "success")
        return redirect(url_for("admin.library", ref=point.library.code))
    return _form_page("admin/service_point_form.html", form, library=point.library)


@bp.post("/service-points/<int:point_id>/deactivate")
@login_required
def deactivate_service_point(point_id: int) -> ResponseReturnValue:
    """Deactivate a service point."""
    return _unit_toggle("service_point", point_id, network.deactivate_service_point, None)


# --- audit log (administrators) ----------------------------------------------------------

AUDIT_PAGE_SIZE = 100
#: the audit-log filters carried into the next and previous page links
AUDIT_FILTERS = ("action", "actor", "since", "until")


@bp.get("/audit")
@permission_required(Action.view_audit)
def audit_log() -> ResponseReturnValue:
    """Show who did what and when, newest first, filtered by action, person and dates."""
    scope_service.require(current_staff(), Action.view_audit)
    form = AuditFilterForm(request.args)
    prefixes = sorted({name.split(".")[0] for name in audit.KNOWN_ACTIONS})
    form.action.choices = [("", _("Any action"))] + [
        (name, action_label(name)) for name in [*prefixes, *audit.KNOWN_ACTIONS]
    ]
    form.validate()
    page = page_number(request.args.get("page"))
    since: date | None = form.since.data if not form.since.errors else None
    until: date | None = form.until.data if not form.until.errors else None
    rows = audit.events(
        db.session,
        action=form.action.data or None if not form.action.errors else None,
        actor=(form.actor.data or "").strip() or None,
        since=since,
        until=until,
        limit=AUDIT_PAGE_SIZE + 1,
        offset=(page - 1) * AUDIT_PAGE_SIZE,
    )
    # the filters, kept across pages; only the form's own fields, so that a query parameter
    # such as "_external" or "_anchor" is never read by url_for as one of its options
    args: dict[str, Any] = {
        name: value for name in AUDIT_FILTERS if (value := request.args.get(name))
    }
    return render_template(
        "admin/audit.html",
        form=form,
        events=rows[:AUDIT_PAGE_SIZE],
        page=page,
        next_url=url_for("admin.audit_log", page=page + 1, **args)
        if len(rows) > AUDIT_PAGE_SIZE
        else None,
        prev_url=url_for("admin.audit_log", page=page - 1, **args) if page > 1 else None,
        time_zone=_time_zone_label(),
        action_label=action_label,
        target_text=target_text,
        detail_lines=detail_lines,
        # libraries and systems by their names, not their codes
        names=audit.place_names(db.session, events=rows[:AUDIT_PAGE_SIZE]),
    )


def _time_zone_label() -> str:
    """The zone the page's times are shown in, e.g. "UTC+07:00, Asia/Novokuznetsk"."""
    zone = get_timezone()
    offset = datetime.now(zone).strftime("%z")  # +0700
    return f"UTC{offset[:3]}:{offset[3:]}, {zone}"
