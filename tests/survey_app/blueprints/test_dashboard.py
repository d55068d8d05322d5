"""The region dashboard over HTTP (issue 13 §3): scoped to the caller however the URL is
written; reads the latest finished run and says when and on how many responses; a
recomputation is a POST with the CSRF token by a role allowed to start it; a failed run keeps
the previous result and shows its error to administrators only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Campaign
from survey_app.models import LibrarySystem
from survey_app.models import Region
from survey_app.models import ReportRun
from survey_app.models import RunStatus
from survey_app.models import User
from survey_app.services import report_runs
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import STAFF_PASSWORD
from tests.factories import submission


class StaffClient(FlaskClient):
    """A test client that forgets Flask-Login's per-request user cache between requests."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def world(
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., User],
) -> SimpleNamespace:
    """NORTH: OWN-1 (4 responses), SIB-2 (3); SOUTH: OTHER-3 (5). SPRING covers the three,
    AUTUMN only OTHER-3. Staff of OWN-1, the NORTH quality manager, an admin."""
    region = Region(code="kem", name="Кемерово")
    north = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    south = LibrarySystem(region=region, code="SOUTH", name="ЦБС Южная")
    session.add_all([north, south])
    session.flush()
    own = make_library("OWN-1", system=north)
    sibling = make_library("SIB-2", system=north)
    other = make_library("OTHER-3", system=south)
    own.name, sibling.name, other.name = (
        "Своя библиотека",
        "Соседняя библиотека",
        "Чужая библиотека",
    )
    spring = make_campaign(code="SPRING", libraries=[own, sibling, other])
    make_campaign(code="AUTUMN", libraries=[other])
    for library, count in ((own, 4), (sibling, 3), (other, 5)):
        for k in range(count):
            answers = {**NOK_ANSWERS, "q14": int(k % 2 == 0)}
            body = submission(spring, answers, library=library.code)
            record_response(session, parse_submission(body))
    people = SimpleNamespace(
        admin=make_user("admin", email="admin@example.org"),
        manager=make_user("quality_manager", email="qm@example.org", system=north),
        regional=make_user("quality_manager", email="region@example.org"),
        staff=make_user("library_staff", email="staff@example.org", library=own),
    )
    session.commit()
    return SimpleNamespace(
        own=own,
        sibling=sibling,
        other=other,
        north=north,
        south=south,
        spring=spring,
        **vars(people),
    )


@pytest.fixture
def login(app, app_context) -> Callable[[User], StaffClient]:
    def sign_in(user: User) -> StaffClient:
        client = StaffClient(app, app.response_class, use_cookies=True)
        reply = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert reply.status_code == 302
        assert client.get("/admin/results/?lang=en").status_code == 200
        return client

    return sign_in


@pytest.fixture
def computed(world, login) -> SimpleNamespace:
    """SPRING recomputed by the regional quality manager (the test queue runs it at once)."""
    reply = login(world.regional).post("/admin/results/SPRING/dashboard/recompute")
    assert reply.status_code == 302
    return world


def dashboard_urls(library: Any, system: Any) -> list[str]:
    """Ways of asking the dashboard for another library or system."""
    return [
        f"/admin/results/SPRING/dashboard?system={system.code}",
        f"/admin/results/SPRING/dashboard?system={system.code.lower()}",
        f"/admin/results/SPRING/dashboard?system={system.id}",
        f"/admin/results/spring/dashboard?system=%20{system.code}%20",
    ]


def test_library_staff__see_only_their_library_however_the_url_is_written(computed, login):
    world = computed
    client = login(world.staff)

    page = client.get("/admin/results/SPRING/dashboard")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert world.own.name in text
    assert world.sibling.name not in text and world.other.name not in text
    assert "SIB-2" not in text and "OTHER-3" not in text

    for url in dashboard_urls(world.other, world.south):
        assert client.get(url).status_code == 404, url
    for query in ("Чужая", "OTHER-3", "Соседняя", "SIB"):
        reply = client.get(f"/admin/results/SPRING/dashboard?q={query}")
        body = reply.get_data(as_text=True)
        assert world.other.name not in body and world.sibling.name not in body
    # their own system in the URL still shows their library only
    body = client.get("/admin/results/SPRING/dashboard?system=NORTH").get_data(as_text=True)
    assert world.own.name in body and world.sibling.name not in body
    # a campaign without their library does not exist for them
    assert client.get("/admin/results/AUTUMN/dashboard").status_code == 404
    assert client.get("/admin/results/AUTUMN/dashboard/status.json").status_code == 404
    # and they may not start a recomputation
    assert client.post("/admin/results/SPRING/dashboard/recompute").status_code == 403


def test_system_manager__sees_the_system_not_the_other(computed, login):
    world = computed
    client = login(world.manager)

    text = client.get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    assert world.own.name in text and world.sibling.name in text
    assert world.other.name not in text
    assert client.get("/admin/results/SPRING/dashboard?system=SOUTH").status_code == 404


def test_regional_manager__sees_every_system_with_the_run_it_reads(computed, login, session):
    world = computed
    client = login(world.regional)

    text = client.get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    run = session.scalar(select(ReportRun).where(ReportRun.campaign_id == world.spring.id))

    assert run is not None and run.status == RunStatus.done
    assert "ЦБС Северная" in text and "ЦБС Южная" in text
    assert "from 12 responses in 3 libraries" in text
    assert "share_satisfied:q14" in text  # the standard's indicator for NOK
    assert "insufficient data" in text  # 3 to 5 responses a library: no verdict
    only_south = client.get("/admin/results/SPRING/dashboard?system=SOUTH").get_data(as_text=True)
    assert world.other.name in only_south and world.own.name not in only_south
    search = client.get("/admin/results/SPRING/dashboard?q=своя").get_data(as_text=True)
    assert world.own.name in search and world.other.name not in search
    # OWN-1: q14 = 1 in 2 of 4 responses -> 50 %
    row = re.search(r"Своя библиотека.*?</tr>", search, re.S)
    assert row is not None and ">4<" in row.group(0) and "50&nbsp;%" in row.group(0)


def test_recompute__needs_the_csrf_token(world, login, app):
    client = login(world.regional)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/admin/results/SPRING/dashboard/recompute")
        page = client.get("/admin/results/SPRING/dashboard").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert token is not None
        accepted = client.post(
            "/admin/results/SPRING/dashboard/recompute", data={"csrf_token": token.group(1)}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert accepted.status_code == 302


def test_no_run_yet__the_page_says_so(world, login):
    text = login(world.regional).get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    assert "No results have been computed for this campaign yet." in text


def test_failed_run__keeps_the_result_and_shows_the_error_to_administrators_only(
    computed, login, session
):
    world = computed
    run, _ = report_runs.request_run(session, world.spring)
    report_runs.start_run(session, run)
    report_runs.fail_run(session, run.id, "RuntimeError: disk full")
    session.commit()

    as_admin = login(world.admin).get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    as_manager = login(world.regional).get("/admin/results/SPRING/dashboard")
    manager_text = as_manager.get_data(as_text=True)

    assert "The last recomputation failed" in as_admin and "RuntimeError: disk full" in as_admin
    assert "The last recomputation failed" in manager_text
    assert "disk full" not in manager_text
    assert "from 12 responses in 3 libraries" in manager_text


def test_status_json__reports_the_pending_run(world, login, session):
    run, _ = report_runs.request_run(session, world.spring)
    session.commit()
    reply = login(world.manager).get("/admin/results/SPRING/dashboard/status.json")

    assert reply.status_code == 200
    assert reply.json == {
        "pending": {"id": run.id, "status": "queued", "progress": 0.0},
        "shown": None,
        "failed": False,
    }
    assert "no-store" in reply.headers["Cache-Control"]


def test_sorting__numbers_in_names_in_order_and_by_responses(computed, login, session):
    world = computed
    world.own.name, world.sibling.name = "Филиал № 12", "Филиал № 5"
    session.commit()
    client = login(world.manager)

    by_name = client.get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    by_n = client.get("/admin/results/SPRING/dashboard?sort=n").get_data(as_text=True)

    assert by_name.index("Филиал № 5") < by_name.index("Филиал № 12")
    assert by_n.index("Филиал № 12") < by_n.index("Филиал № 5")  # 4 responses before 3


def test_rollups__the_region_for_the_regional_manager_the_system_for_its_manager_none_for_staff(
    computed, login
):
    world = computed
    # q14 = 1 for k even: OWN-1 2 of 4, SIB-2 2 of 3, OTHER-3 3 of 5 -> region 7/12, north 4/7
    regional = login(world.regional).get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    region = re.search(r'id="region-heading".*?</section>', regional, re.S)
    assert region is not None and "<strong>58&nbsp;%</strong>" in region.group(0)
    assert "12 responses" in region.group(0)
    assert "System: 57&nbsp;%" in regional and "System: 60&nbsp;%" in regional

    manager = login(world.manager).get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    assert "region-heading" not in manager and "System: 57&nbsp;%" in manager

    staff = login(world.staff).get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    assert "region-heading" not in staff and "System:" not in staff


def test_funnel__an_svg_image_with_a_text_alternative_for_managers_none_for_one_library(
    computed, login
):
    world = computed
    client = login(world.regional)
    page = client.get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    image = client.get("/admin/results/SPRING/dashboard/funnel.svg")

    assert 'src="/admin/results/SPRING/dashboard/funnel.svg"' in page
    assert 'alt="Funnel plot: the main index of each library' in page
    assert "3 libraries drawn;" in page  # the caption's text alternative
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert image.data.lstrip().startswith(b"<?xml") and b"<svg" in image.data
    assert b"Funnel plot: the main index" in image.data  # the document's title

    staff = login(world.staff)
    assert "funnel.svg" not in staff.get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    assert staff.get("/admin/results/SPRING/dashboard/funnel.svg").status_code == 404
    assert login(world.manager).get("/admin/results/AUTUMN/dashboard/funnel.svg").status_code == 404


def test_filter__by_library_type(computed, login, session):
    world = computed
    world.own.type = "central"
    session.commit()
    client = login(world.regional)

    everything = client.get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    central = client.get("/admin/results/SPRING/dashboard?type=central").get_data(as_text=True)

    assert 'id="filter-type"' in everything
    assert world.own.name in central
    assert world.sibling.name not in central and world.other.name not in central
    # an unknown type filters nothing
    unknown = client.get("/admin/results/SPRING/dashboard?type=castle").get_data(as_text=True)
    assert world.other.name in unknown


def test_funnel__a_long_title_stays_inside_the_image(computed, login):
    """The demo showed the Russian title cut at both edges: a title wider than the figure
    is wrapped. Matplotlib writes each text as a comment and glyphs placed from
    ``translate(x y)``; a text starting left of 0 runs off the image."""
    client = login(computed.regional)
    svg = client.get("/admin/results/SPRING/dashboard/funnel.svg?lang=ru").get_data(as_text=True)
    texts = re.findall(r'<g id="text_\d+">\s*<!-- (.*?) -->.*?translate\(([-\d.]+) ', svg, re.S)
    title = [(text, float(x)) for text, x in texts if text.startswith("Диаграмма-воронка")]
    assert len(title) == 1
    assert title[0][1] >= 0, title


def test_library_rows__told_apart_by_type_and_address_not_by_code(computed, login, session):
    """Issue 9 §6: a dashboard row names the library's type and address, not its Latin code."""
    computed.own.address = "с. Ёлкино, ул. Мира, 1"
    session.commit()
    text = login(computed.regional).get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    row = text[text.index(">Своя библиотека</a>") :].split("</th>")[0]
    assert row == '>Своя библиотека</a> <span class="muted">— branch, с. Ёлкино, ул. Мира, 1</span>'
    assert "(OWN-1" not in text and "(SIB-2" not in text


def test_library_staff__see_no_region_totals_of_the_run(computed, login):
    """The demo's librarian read "computed from 2 640 responses in 40 libraries": the
    run's totals are the region's; library staff see when it was computed only."""
    staff = login(computed.staff).get("/admin/results/SPRING/dashboard").get_data(as_text=True)
    assert "responses in 3 libraries" not in staff and "12 responses" not in staff
    assert "Computed on " in staff
    manager = login(computed.regional).get("/admin/results/SPRING/dashboard")
    assert "from 12 responses in 3 libraries." in manager.get_data(as_text=True)
