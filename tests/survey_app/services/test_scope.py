"""The scope rules (issue 4 §1, §2): which libraries each role sees, how a library outside the
scope is hidden (NotFound exactly like a missing one, whatever way it is named), and the role
permission table."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from survey_app.models import Library
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.services import scope
from survey_app.services.errors import Forbidden
from survey_app.services.errors import NotFound
from survey_app.services.scope import Action


@pytest.fixture
def network(session, make_library):
    """Two systems: north (N-1 with a desk, N-2) and south (S-1)."""
    region = Region(code="kem", name="Кемеровская область")
    north = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    south = LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная")
    session.add_all([north, south])
    session.flush()
    return SimpleNamespace(
        north=north,
        south=south,
        n1=make_library("N-1", system=north, service_points=["desk"]),
        n2=make_library("N-2", system=north),
        s1=make_library("S-1", system=south),
    )


@pytest.mark.parametrize("role", ["admin", "methodologist", "quality_manager"])
def test_library_ids_in_scope__region_wide_roles_see_everything(session, network, make_user, role):
    user = make_user(role)
    assert scope.library_ids_in_scope(session, user) is None
    assert scope.system_ids_in_scope(session, user) is None


def test_library_ids_in_scope__quality_manager_of_a_system_sees_its_libraries(
    session, network, make_user
):
    user = make_user("quality_manager", system=network.north)
    assert scope.library_ids_in_scope(session, user) == {network.n1.id, network.n2.id}
    assert scope.system_ids_in_scope(session, user) == {network.north.id}


def test_library_ids_in_scope__library_staff_see_their_library(session, network, make_user):
    user = make_user("library_staff", library=network.s1)
    assert scope.library_ids_in_scope(session, user) == {network.s1.id}
    assert scope.system_ids_in_scope(session, user) == {network.south.id}


def test_library_ids_in_scope__inactive_or_anonymous_see_nothing(session, network, make_user):
    inactive_admin = make_user("admin", active=False)
    assert scope.library_ids_in_scope(session, inactive_admin) == set()
    assert scope.library_ids_in_scope(session, AnonymousUserMixin()) == set()
    assert scope.library_ids_in_scope(session, None) == set()


def test_scoped_libraries_query__lists_only_the_scope(session, network, make_user):
    manager = make_user("quality_manager", system=network.north)
    codes = [lib.code for lib in session.scalars(scope.scoped_libraries_query(session, manager))]
    assert codes == ["N-1", "N-2"]
    network.n2.active = False
    session.flush()
    active = session.scalars(
        scope.scoped_libraries_query(session, manager, include_inactive=False)
    ).all()
    assert [lib.code for lib in active] == ["N-1"]
    admin = make_user("admin")
    everything = session.scalars(scope.scoped_libraries_query(session, admin)).all()
    assert {lib.code for lib in everything} == {"N-1", "N-2", "S-1"}


def test_restrict_to_scope__filters_any_query_by_library_column(session, network, make_user):
    staff = make_user("library_staff", library=network.n2)
    stmt = scope.restrict_to_scope(select(Library.code), session, staff, Library.id)
    assert session.scalars(stmt).all() == ["N-2"]
    nobody = scope.restrict_to_scope(select(Library.code), session, None, Library.id)
    assert session.scalars(nobody).all() == []


@pytest.mark.parametrize("spelling", ["id", "id-text", "code", "lower", "padded"])
def test_require_library__own_library_however_named(session, network, make_user, spelling):
    staff = make_user("library_staff", library=network.n1)
    ref = {
        "id": network.n1.id,
        "id-text": str(network.n1.id),
        "code": "N-1",
        "lower": "n-1",
        "padded": "  N-1 ",
    }[spelling]
    assert scope.require_library(session, staff, ref) is network.n1


@pytest.mark.parametrize("spelling", ["id", "id-text", "code", "lower", "object"])
def test_require_library__other_library_is_not_found_however_named(
    session, network, make_user, spelling
):
    staff = make_user("library_staff", library=network.n1)
    ref = {
        "id": network.s1.id,
        "id-text": str(network.s1.id),
        "code": "S-1",
        "lower": "s-1",
        "object": network.s1,
    }[spelling]
    with pytest.raises(NotFound) as hidden:
        scope.require_library(session, staff, ref)
    with pytest.raises(NotFound) as missing:
        scope.require_library(session, staff, "NO-SUCH-LIBRARY")
    assert hidden.value.message == missing.value.message
    assert hidden.value.status == 404


def test_require_library__system_manager_reaches_own_system_only(session, network, make_user):
    manager = make_user("quality_manager", system=network.south)
    assert scope.require_library(session, manager, "s-1") is network.s1
    with pytest.raises(NotFound):
        scope.require_library(session, manager, network.n2.id)


def test_require_library__anonymous_or_inactive_is_forbidden(session, network, make_user):
    with pytest.raises(Forbidden):
        scope.require_library(session, AnonymousUserMixin(), network.n1.id)
    gone = make_user("library_staff", library=network.n1, active=False)
    with pytest.raises(Forbidden):
        scope.require_library(session, gone, network.n1.id)


def test_require_library__action_outside_the_role_is_forbidden(session, network, make_user):
    staff = make_user("library_staff", library=network.n1)
    assert scope.require_library(session, staff, "N-1", Action.manage_posters) is network.n1
    with pytest.raises(Forbidden):
        scope.require_library(session, staff, "N-1", Action.manage_network)


def test_require_system__outside_scope_is_not_found(session, network, make_user):
    manager = make_user("quality_manager", system=network.north)
    assert scope.require_system(session, manager, "north") is network.north
    assert scope.require_system(session, manager, network.north.id) is network.north
    with pytest.raises(NotFound):
        scope.require_system(session, manager, "SOUTH")


def test_require_service_point__follows_its_library(session, network, make_user):
    desk = network.n1.service_points[0]
    assert scope.require_service_point(session, make_user("admin"), desk.id) is desk
    with pytest.raises(NotFound):
        scope.require_service_point(
            session, make_user("library_staff", library=network.s1), desk.id
        )


def test_require_campaign__visible_when_it_includes_a_library_in_scope(
    session, network, make_user, make_campaign
):
    shared = make_campaign(code="SPRING", libraries=[network.n1, network.s1])
    south_only = make_campaign(code="SOUTH-ONLY", libraries=[network.s1])
    staff = make_user("library_staff", library=network.n1)
    assert scope.require_campaign(session, staff, "spring") is shared
    assert scope.campaign_ids_in_scope(session, staff) == {shared.id}
    for ref in ("SOUTH-ONLY", "south-only", south_only.id):
        with pytest.raises(NotFound):
            scope.require_campaign(session, staff, ref)


# The permission table, written out by hand from issue 4 §1 (R = role may, . = may not).
PERMISSION_TABLE = """
action              admin methodologist quality_manager library_staff
manage_users        R     .             .               .
view_audit          R     .             .               .
manage_network      R     .             .               .
view_network        R     R             R               R
manage_instruments  R     R             .               .
manage_campaigns    R     R             .               .
view_campaigns      R     R             R               R
view_results        R     R             R               R
export_results      R     R             R               R
run_reports         R     R             R               .
review_instruments  R     R             R               .
exclude_responses   R     R             R               .
manage_posters      R     R             R               R
manage_kiosks       R     .             .               R
view_kiosks         R     .             R               R
manage_integrations R     .             .               .
"""


def _table() -> list[tuple[str, str, bool]]:
    lines = PERMISSION_TABLE.strip().splitlines()
    roles = lines[0].split()[1:]
    return [
        (cells[0], role, mark == "R")
        for cells in (line.split() for line in lines[1:])
        for role, mark in zip(roles, cells[1:], strict=True)
    ]


@pytest.mark.parametrize(("action", "role", "allowed"), _table())
def test_can__role_permission_table(session, network, make_user, action, role, allowed):
    user = make_user(role, system=None)
    assert scope.can(user, action) is allowed


def test_can__covers_every_action(session):
    assert {action for action, _, _ in _table()} == {a.value for a in Action}


def test_can__inactive_anonymous_or_unknown_action_is_false(session, make_user):
    admin = make_user("admin")
    assert scope.can(admin, "fly_to_the_moon") is False
    assert scope.can(AnonymousUserMixin(), Action.view_network) is False
    admin.active = False
    assert scope.can(admin, Action.view_network) is False
    with pytest.raises(Forbidden):
        scope.require(admin, Action.view_network)
