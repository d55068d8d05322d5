"""The library page over HTTP (issue 13 §4, §6).

* Every number on the page equals what ``survey-app indices`` and ``survey-app reliability``
  print for the library's rows exported by the results page (the CLI is run here, through
  its click runner, on that export).
* Breakdowns (channel, hour × weekday, the channel beside a comment) shown for fewer than
  SMALL_CELL_MIN responses are suppressed.
* The staff of one library get 404 for another library's page and charts, however the URL
  names it; they see no time beside a comment.
* The NOK checklist: missing -> said so, with the upload form for a quality manager; a wrong
  file is refused whole (422, nothing stored); a good one is stored, audited, and the next run
  scores K1–K5 and the total with bootstrap intervals.
* Charts are SVG files with a title, cached with the run.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from html import unescape
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from babel.numbers import format_decimal
from click.testing import CliRunner
from flask import Flask
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import AuditEvent
from survey_app.models import Campaign
from survey_app.models import LibrarySystem
from survey_app.models import NokChecklist
from survey_app.models import Region
from survey_app.models import ReportCache
from survey_app.models import ReportResult
from survey_app.models import ReportRun
from survey_app.models import User
from survey_app.services.responses import parse_submission
from survey_app.services.responses import record_response
from tests.factories import NOK_ANSWERS
from tests.factories import STAFF_PASSWORD
from tests.factories import submission

SATISFACTION = ("lending", "reading_room", "reference", "events", "online", "staff", "premises")
#: channel -> responses of LIB-A; kiosk is below SMALL_CELL_MIN (10)
CHANNELS = {"qr": 26, "web": 12, "kiosk": 3}
COMMENTS = {
    0: "Мало новых книг <script>alert(1)</script>",
    5: "Хочется больше мероприятий для детей",
    39: "Неудобный сайт",  # a kiosk response (index 38..40)
}


class StaffClient(FlaskClient):
    """A test client that forgets Flask-Login's per-request user cache between requests."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def satisfaction_answers(rng: np.random.Generator, k: int) -> dict[str, Any]:
    """Correlated 1..5 ratings (a common level plus noise), an NPS and sometimes a comment."""
    level = rng.normal(3.6, 0.9)
    answers: dict[str, Any] = {
        item: int(np.clip(round(level + rng.normal(0, 0.7)), 1, 5)) for item in SATISFACTION
    }
    if k % 7 == 3:
        del answers["events"]  # a skipped service (pairwise missing data)
    answers["overall"] = int(np.clip(round(level + rng.normal(0, 0.5)), 1, 5))
    answers["nps"] = int(np.clip(round(2 * level + rng.normal(0, 1.5)), 0, 10))
    if k in COMMENTS:
        answers["comment"] = COMMENTS[k]
    return answers


@pytest.fixture
def world(
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., User],
) -> SimpleNamespace:
    """SAT (satisfaction_short) over LIB-A (41 responses: qr 26, web 12, kiosk 3) and LIB-B
    (12); NOK (nok_culture) over LIB-A (40) and LIB-B (12). Staff of LIB-B, a regional
    quality manager."""
    region = Region(code="kem", name="Кемерово")
    system = LibrarySystem(region=region, code="NORTH", name="ЦБС Северная")
    session.add(system)
    session.flush()
    lib_a = make_library("LIB-A", system=system)
    lib_b = make_library("LIB-B", system=system)
    lib_c = make_library("LIB-C", system=system)
    lib_a.name, lib_b.name, lib_c.name = "Библиотека А", "Библиотека Б", "Библиотека В"
    sat = make_campaign("satisfaction_short", code="SAT", libraries=[lib_a, lib_b, lib_c])
    nok = make_campaign("nok_culture", code="NOK", libraries=[lib_a, lib_b])
    rng = np.random.default_rng(7)
    monday = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 11:00 in Novokuznetsk (UTC+7)
    channels = [c for c, n in CHANNELS.items() for _ in range(n)]
    for k, channel in enumerate(channels):
        # 12 responses on Monday at 11:00 local time, the others spread over the week
        moment = monday if k < 12 else monday + timedelta(hours=5 * k + 1)
        body = submission(
            sat,
            satisfaction_answers(rng, k),
            library="LIB-A",
            channel=channel,
            started_at=(moment - timedelta(minutes=3)).isoformat(),
            submitted_at=moment.isoformat(),
        )
        record_response(session, parse_submission(body))
    for k in range(12):
        body = submission(sat, satisfaction_answers(rng, k + 100), library="LIB-B")
        record_response(session, parse_submission(body))
    for k in range(3):
        body = submission(sat, satisfaction_answers(rng, k + 200), library="LIB-C")
        record_response(session, parse_submission(body))
    for library, count in ((lib_a, 40), (lib_b, 12)):
        for k in range(count):
            answers = {**NOK_ANSWERS, "q14": int(k % 5 != 0), "q8": int(k % 3 != 0)}
            if k % 4 == 0:  # a visitor with a disability, asked q7
                answers.update(q6=1, q7=int(k % 8 == 0))
            if k % 3 == 0:  # used the remote channels, asked q11
                answers.update(q10=1, q11=int(k % 2 == 0))
            record_response(
                session, parse_submission(submission(nok, answers, library=library.code))
            )
    people = SimpleNamespace(
        manager=make_user("quality_manager", email="region@example.org"),
        staff_b=make_user("library_staff", email="staff-b@example.org", library=lib_b),
    )
    session.commit()
    return SimpleNamespace(lib_a=lib_a, lib_b=lib_b, lib_c=lib_c, sat=sat, nok=nok, **vars(people))


@pytest.fixture
def login(app: Flask, app_context: None) -> Callable[[User], StaffClient]:
    def sign_in(user: User) -> StaffClient:
        client = StaffClient(app, app.response_class, use_cookies=True)
        reply = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
        assert reply.status_code == 302
        return client

    return sign_in


def recompute(client: StaffClient, campaign: str) -> None:
    """A run of the campaign (the test queue computes it at once)."""
    assert client.post(f"/admin/results/{campaign}/dashboard/recompute").status_code == 302


def run_cli(*args: str) -> dict[str, Any]:
    from survey_app.cli.analysis import indices_command
    from survey_app.cli.analysis import reliability_command

    command = {"indices": indices_command, "reliability": reliability_command}[args[0]]
    result = CliRunner().invoke(command, [*args[1:], "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def ru(value: float, pattern: str) -> str:
    """A number as the Russian page writes it (Babel, as the app's ``number`` filter)."""
    return format_decimal(value, pattern, locale="ru")


def page_payload(session: Session, library_id: int) -> dict[str, Any]:
    body = session.scalar(
        select(ReportCache.body)
        .where(ReportCache.library_id == library_id)
        # the page in any language (its numbers do not depend on it)
        .where(ReportCache.key.like("page:%"))
        .order_by(ReportCache.id.desc())
    )
    assert body is not None
    return dict(json.loads(body))


def test_every_number__equals_the_cli_on_the_exported_rows(
    world: Any, login: Any, session: Session, tmp_path: Path
) -> None:
    client = login(world.manager)
    recompute(client, "SAT")
    reply = client.get("/admin/results/SAT/libraries/LIB-A/report")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    page = page_payload(session, world.lib_a.id)
    assert page["n"] == sum(CHANNELS.values())

    export = client.get("/admin/results/SAT/export.csv?library=LIB-A&raw=1")
    assert export.status_code == 200
    csv_path = tmp_path / "lib-a.csv"
    csv_path.write_bytes(export.data)
    cli = run_cli(
        "indices", str(csv_path), "--instrument", "satisfaction_short",
        "--standard", "kemerovo_example",
    )  # fmt: skip
    expected = cli["groups"]["LIB-A"]["indices"]
    shown = {row["indicator"]: row for row in page["indices"]}
    assert set(shown) == set(expected)
    for indicator, want in expected.items():
        got = shown[indicator]
        for key, cli_key in (("value", "value"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            if want[cli_key] is None:
                assert got[key] is None, indicator
            else:
                assert got[key] == pytest.approx(want[cli_key], rel=1e-12, abs=1e-12), indicator
        assert got["n"] == want["n"]
        family = indicator.partition(":")[0]
        pattern, scale = {"share_satisfied": ("0.0", 100), "nps": ("0.0", 1)}.get(
            family, ("0.000" if family == "alpha" else "0.00", 1)
        )
        row = re.search(rf'<tr data-indicator="{re.escape(indicator)}">(.*?)</tr>', html, re.S)
        assert row is not None, indicator
        assert ru(want["value"] * scale, pattern) in row.group(1), indicator
        assert ru(want["ci_low"] * scale, pattern) in row.group(1), indicator
    verdicts = cli["groups"]["LIB-A"].get("verdicts", {})
    for indicator, want in verdicts.items():
        assert shown[indicator]["verdict"] == want["verdict"], indicator

    reliability = run_cli(
        "reliability", str(csv_path), "--items", ",".join(SATISFACTION), "--scale", "1-5"
    )
    (scale,) = page["reliability"]
    assert scale["n"] == reliability["n"] == 41
    assert scale["alpha"] == pytest.approx(reliability["alpha"], abs=1e-12)
    assert [scale["alpha_low"], scale["alpha_high"]] == pytest.approx(
        reliability["alpha_ci_feldt"], abs=1e-12
    )
    assert [scale["duhachek_low"], scale["duhachek_high"]] == pytest.approx(
        reliability["alpha_ci_duhachek"], abs=1e-12
    )
    assert scale["omega"] == pytest.approx(reliability["omega_total"], abs=1e-9)
    assert scale["omega_low"] < scale["omega"] < scale["omega_high"]
    assert len(scale["items"]) == len(reliability["items"]) == 7
    for got, want in zip(scale["items"], reliability["items"], strict=True):
        assert got["item"] == want["item"]
        assert got["n"] == want["n"]
        for key in ("mean", "sd", "r_drop", "alpha_if_deleted"):
            assert got[key] == pytest.approx(want[key], abs=1e-12), (want["item"], key)
        assert ru(want["r_drop"], "0.00") in html
        assert ru(want["alpha_if_deleted"], "0.000") in html
    assert ru(reliability["alpha"], "0.000") in html


def test_small_cells__are_not_shown(world: Any, login: Any, session: Session) -> None:
    client = login(world.manager)
    recompute(client, "SAT")
    html = client.get("/admin/results/SAT/libraries/LIB-A/report").get_data(as_text=True)
    page = page_payload(session, world.lib_a.id)

    channels = {row["value"]: row for row in page["channels"]}
    assert channels["kiosk"] == {"value": "kiosk", "suppressed": True}
    assert channels["qr"]["n"] == 26 and channels["web"]["n"] == 12
    kiosk_row = re.search(r"<tr><th scope=\"row\">Kiosk tablet</th>(.*?)</tr>", html, re.S)
    assert kiosk_row is None or "3" not in kiosk_row.group(1)
    # the hour x weekday table: the 12 Monday-11:00 responses are shown, no other cell
    # (each of the others has fewer than 10)
    heat = page["heatmap"]
    assert heat["n"][0][11] == 12
    assert all(v in (0, -1) for d in range(7) for h in range(24) if (d, h) != (0, 11)
               for v in [heat["n"][d][h]])  # fmt: skip
    assert heat["suppressed"] == 41 - 12
    # the comment of a kiosk response does not name the (small) channel
    by_text = {c["text"]: c for c in page["comments"]}
    assert by_text["Неудобный сайт"]["channel"] is None
    assert by_text["Мало новых книг <script>alert(1)</script>"]["channel"] == "qr"
    # free text is escaped
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_standard_gone_since_the_run__page_still_shows_the_run_not_an_error(
    world: Any, login: Any, session: Session
) -> None:
    client = login(world.manager)
    recompute(client, "SAT")
    run = session.scalars(select(ReportRun).order_by(ReportRun.id.desc())).first()
    assert run is not None and run.standard_id == "kemerovo_example"
    run.standard_id = "withdrawn_standard"  # e.g. its file removed at an upgrade
    session.commit()

    reply = client.get("/admin/results/SAT/libraries/LIB-A/report")

    assert reply.status_code == 200
    assert page_payload(session, world.lib_a.id)["indices"]  # the run's numbers, still shown


def test_comments__are_searchable_and_staff_see_no_time(world: Any, login: Any) -> None:
    recompute(login(world.manager), "SAT")
    manager = login(world.manager)
    html = manager.get("/admin/results/SAT/libraries/LIB-A/report?q=МЕРОПРИЯТ").get_data(
        as_text=True
    )
    assert "Хочется больше мероприятий для детей" in html
    assert "Неудобный сайт" not in html
    assert "<time datetime=" in html.split('id="comments"')[1]

    staff = login(world.staff_b)
    html = staff.get("/admin/results/SAT/libraries/LIB-B/report").get_data(as_text=True)
    assert staff.get("/admin/results/SAT/libraries/LIB-B/report").status_code == 200
    assert "<time datetime=" not in html.split('id="comments"')[1]


def test_staff_of_another_library__get_404_however_the_url_is_written(
    world: Any, login: Any
) -> None:
    recompute(login(world.manager), "SAT")
    staff = login(world.staff_b)
    a = world.lib_a
    for url in (
        "/admin/results/SAT/libraries/LIB-A/report",
        "/admin/results/SAT/libraries/lib-a/report",
        f"/admin/results/SAT/libraries/{a.id}/report",
        "/admin/results/sat/libraries/%20LIB-A%20/report",
        "/admin/results/SAT/libraries/LIB-A/report/charts/likert.svg",
        f"/admin/results/SAT/libraries/{a.id}/report/charts/heatmap-n.svg",
    ):
        reply = staff.get(url)
        assert reply.status_code == 404, url
        assert "Библиотека А" not in reply.get_data(as_text=True)
    reply = staff.post(
        "/admin/results/NOK/libraries/LIB-B/checklist",
        data={"file": (io.BytesIO(b"library\n"), "c.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 403


def test_charts__are_svg_with_a_title_and_cached_with_the_run(
    world: Any, login: Any, session: Session
) -> None:
    client = login(world.manager)
    recompute(client, "SAT")
    html = client.get("/admin/results/SAT/libraries/LIB-A/report").get_data(as_text=True)
    names = re.findall(r'src="/admin/results/SAT/libraries/LIB-A/report/charts/([a-z-]+)\.svg"',
                       html)  # fmt: skip
    assert set(names) == {"likert", "channels", "heatmap-n", "heatmap-index"}
    for name in names:
        reply = client.get(f"/admin/results/SAT/libraries/LIB-A/report/charts/{name}.svg")
        assert reply.status_code == 200, name
        assert reply.mimetype == "image/svg+xml"
        assert reply.data.lstrip().startswith(b"<?xml") and b"<svg" in reply.data
        assert b"<script" not in reply.data
        again = client.get(f"/admin/results/SAT/libraries/LIB-A/report/charts/{name}.svg")
        assert again.data == reply.data
    stored = select(ReportCache.key).where(ReportCache.library_id == world.lib_a.id)
    keys = set(session.scalars(stored))
    assert {"page:ru", "chart:likert:ru", "chart:heatmap-n:ru"} <= keys
    assert client.get("/admin/results/SAT/libraries/LIB-A/report/charts/gap.svg").status_code == 404
    assert client.get("/admin/results/SAT/libraries/LIB-A/report/charts/x.svg").status_code == 404


def test_questions_and_scales__in_the_readers_language(world: Any, login: Any) -> None:
    """The page and its charts name the questions, the scale and the comment's question as
    the instrument words them in the reader's language — English for an English reader
    even after a Russian reader saw the page first (it is kept per language)."""
    client = login(world.manager)
    recompute(client, "SAT")
    pages = {}
    for lang in ("ru", "en"):
        reply = client.get(f"/admin/results/SAT/libraries/LIB-A/report?lang={lang}")
        assert reply.status_code == 200
        pages[lang] = unescape(reply.get_data(as_text=True))
    words = {
        "ru": ["Выдача книг на дом", "Удовлетворённость услугами", "Что библиотеке стоит"],
        "en": ["Borrowing books to take home", "Satisfaction with services", "What should the"],
    }
    for lang, other in (("ru", "en"), ("en", "ru")):
        for text in words[lang]:
            assert text in pages[lang], (lang, text)
        for text in words[other]:
            assert text not in pages[lang], (lang, text)
    chart = client.get("/admin/results/SAT/libraries/LIB-A/report/charts/likert.svg?lang=en")
    assert chart.status_code == 200
    assert b"Borrowing books" in chart.data and "Выдача".encode() not in chart.data


CHECKLIST = (
    "library,stand_info_present,stand_info_required,site_info_present,site_info_required,"
    "remote_channels,comfort_conditions,premises_accessibility,service_accessibility\n"
    "LIB-A,8,10,15,20,4,5,3,2\n"
    "LIB-B,10,10,20,20,2,5,5,5\n"
)


def test_nok_checklist__missing_then_uploaded_then_scored_with_intervals(
    world: Any, login: Any, session: Session, tmp_path: Path
) -> None:
    client = login(world.manager)
    recompute(client, "NOK")
    html = client.get("/admin/results/NOK/libraries/LIB-A/report").get_data(as_text=True)
    assert "The expert checklist of this library is missing" in html or (
        "Экспертный чек-лист этой библиотеки не загружен" in html
    )
    assert 'name="file"' in html

    bad = CHECKLIST.replace("LIB-B,10,10", "LIB-B,11,10")  # present > required
    reply = client.post(
        "/admin/results/NOK/libraries/LIB-A/checklist",
        data={"file": (io.BytesIO(bad.encode()), "checklist.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422
    assert "stand_info_present" in reply.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(NokChecklist)) == 0

    reply = client.post(
        "/admin/results/NOK/libraries/LIB-A/checklist",
        data={"file": (io.BytesIO(CHECKLIST.encode()), "checklist.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 302
    assert session.scalar(select(func.count()).select_from(NokChecklist)) == 2
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "results.checklist"))
    assert event is not None and event.details == {"libraries": 2}

    recompute(client, "NOK")
    html = client.get("/admin/results/NOK/libraries/LIB-A/report").get_data(as_text=True)
    page = page_payload(session, world.lib_a.id)
    assert page["nok"]["available"]
    export = client.get("/admin/results/NOK/export.csv?library=LIB-A&raw=1")
    (tmp_path / "rows.csv").write_bytes(export.data)
    (tmp_path / "checklist.csv").write_text(CHECKLIST, encoding="utf-8")
    cli = run_cli(
        "indices", str(tmp_path / "rows.csv"), "--instrument", "nok_culture",
        "--checklist", str(tmp_path / "checklist.csv"),
    )  # fmt: skip
    group = cli["groups"]["LIB-A"]
    # every LIB-A visitor said yes to q1, q2, q3 and q5 and no to q4 (NOK_ANSWERS), so the
    # respondent parts of K1 (P_otkr_ud from q2, q4) and K2 (P_komf_ud from q5) are the same
    # in every resample: no interval, said so; K3-K5 and the total vary (q7, q8, q11, q14)
    alike = {"K1", "K2"}
    for criterion in page["nok"]["criteria"]:
        name = criterion["name"]
        assert criterion["value"] == group[name], name
        if name in alike:
            assert criterion["low"] is None and criterion["high"] is None, name
            assert criterion["reason"] == "zero_variance", name
        else:
            assert criterion["low"] < criterion["value"] < criterion["high"], name
            assert criterion["reason"] is None, name
        row = re.search(rf'<tr data-criterion="{name}">(.*?)</tr>', html, re.S)
        assert row is not None and ru(group[name], "0.00") in row.group(1)
    en = client.get("/admin/results/NOK/libraries/LIB-A/report?lang=en").get_data(as_text=True)
    note = re.search(r'data-note="nok-zero-variance">(.*?)</p>', en, re.S)
    assert note is not None
    assert "K1" in note.group(1) and "K2" in note.group(1) and "all 40 respondents" in note.group(1)
    assert "K3" not in note.group(1) and "total" not in note.group(1).lower()
    ru_note = re.search(r'data-note="nok-zero-variance">(.*?)</p>', html, re.S)
    assert ru_note is not None
    assert ru_note.group(1).startswith("Интервал не приводится (К1 открытость")
    # the indicator table says why beside K1's and K2's missing interval, and only there
    for name in ("K1", "K2", "K3", "total"):
        row = re.search(rf'<tr data-indicator="nok:{name}">(.*?)</tr>', html, re.S)
        assert row is not None, name
        said = "вопрос без разброса ответов" in row.group(1)
        assert said == (name in alike), name
    assert page["nok"]["checklist"]["remote_channels"] == 4
    # the run behind the dashboard scores NOK too now that the checklist is stored
    stored = session.scalar(
        select(ReportResult.estimate)
        .where(ReportResult.library_id == world.lib_a.id)
        .where(ReportResult.indicator == "nok:total")
        .order_by(ReportResult.id.desc())
    )
    assert stored == pytest.approx(group["total"], abs=1e-9)
    # the indicator table names the criteria in the page's language, not "total"
    ru_html = client.get("/admin/results/NOK/libraries/LIB-A/report?lang=ru").get_data(as_text=True)
    row = re.search(r'<tr data-indicator="nok:total">\s*<th scope="row">(.*?) <span', ru_html)
    assert row is not None and row.group(1) == "Итоговый балл"


def test_too_few_respondents__reliability_refused_and_no_breakdown(
    world: Any, login: Any, session: Session
) -> None:
    """LIB-C has 3 responses: alpha and omega are refused with the reason (not printed), no
    channel or hour is shown; LIB-B has 12: computed, with the small-n warning."""
    client = login(world.manager)
    recompute(client, "SAT")
    html = client.get("/admin/results/SAT/libraries/LIB-C/report?lang=en").get_data(as_text=True)
    page = page_payload(session, world.lib_c.id)
    (scale,) = page["reliability"]
    assert scale["refused"]["code"] == "insufficient_data" and "alpha" not in scale
    assert "Not computed: too few responses, n = 3" in html
    russian = client.get("/admin/results/SAT/libraries/LIB-C/report?lang=ru").get_data(as_text=True)
    assert "Не рассчитано: слишком мало ответов, n = 3" in russian
    assert [row["suppressed"] for row in page["channels"]] == [True]
    assert all(v in (0, -1) for row in page["heatmap"]["n"] for v in row)
    assert "fewer than 10 responses: not shown" in html

    html = client.get("/admin/results/SAT/libraries/LIB-B/report?lang=en").get_data(as_text=True)
    (scale,) = page_payload(session, world.lib_b.id)["reliability"]
    assert scale["n"] == 12 and scale["alpha"] is not None
    assert "Fewer than 30 respondents: the coefficients are unstable" in html


@pytest.mark.parametrize("instrument", ["library_gap", "servqual_library"])
def test_gap_batteries__numbers_equal_the_cli(
    instrument: str,
    session: Session,
    make_library: Callable[..., Any],
    make_campaign: Callable[..., Campaign],
    make_user: Callable[..., User],
    login: Any,
    tmp_path: Path,
) -> None:
    """The minimum/desired/perceived means and gaps of a battery instrument, on 45 synthetic
    respondents (the demo's generator), equal ``survey-app indices`` on the export."""
    import random

    from instruments import load_all
    from survey_app.services import demo

    library = make_library("GAP-1")
    campaign = make_campaign(instrument, code="GAPS", libraries=[library])
    definition = max(
        (v for (i, _), v in load_all().items() if i == instrument), key=lambda d: d.version
    )
    rng = random.Random(5)
    for k in range(45):
        record_response(
            session, demo._synthetic_submission(definition, campaign, library, 0.3, rng, k)
        )
    manager = make_user("quality_manager", email="gap@example.org")
    session.commit()
    client = login(manager)
    recompute(client, "GAPS")
    html = client.get("/admin/results/GAPS/libraries/GAP-1/report").get_data(as_text=True)
    page = page_payload(session, library.id)
    export = client.get("/admin/results/GAPS/export.csv?library=GAP-1&raw=1")
    (tmp_path / "rows.csv").write_bytes(export.data)
    cli = run_cli("indices", str(tmp_path / "rows.csv"), "--instrument", instrument)
    expected = cli["groups"]["GAP-1"]["indices"]
    shown = {row["indicator"]: row for row in page["indices"]}
    assert set(shown) == set(expected)
    for indicator, want in expected.items():
        for key in ("value", "ci_low", "ci_high"):
            if want[key] is None:
                assert shown[indicator][key] is None, indicator
            else:
                assert shown[indicator][key] == pytest.approx(want[key], abs=1e-12), indicator
    # the row over all statements is named in the page's language, not "overall"
    # (SERVQUAL's two totals likewise, not "unweighted" and "weighted")
    totals = {
        "library_gap": {
            "adequacy_gap:overall": ("All statements together", "Все утверждения в целом")
        },
        "servqual_library": {
            "servqual_gap:unweighted": ("All dimensions, unweighted", "Все измерения, без весов"),
            "servqual_gap:weighted": (
                "All dimensions, weighted by importance",
                "Все измерения, с весами важности",
            ),
        },
    }[instrument]
    for indicator, words in totals.items():
        for lang, want in zip(("en", "ru"), words, strict=True):
            localized = client.get(f"/admin/results/GAPS/libraries/GAP-1/report?lang={lang}")
            row = re.search(
                rf'<tr data-indicator="{indicator}">\s*<th scope="row">(.*?) <span',
                localized.get_data(as_text=True),
            )
            assert row is not None and row.group(1) == want, (indicator, lang)
    if instrument == "library_gap":  # the standard's target: the dashboard's main indicator
        dashboard = client.get("/admin/results/GAPS/dashboard?lang=ru").get_data(as_text=True)
        assert "<strong>Разрыв адекватности (восприятие − минимум) — Все утверждения в целом" in (
            dashboard
        )
    if instrument == "library_gap":
        assert page["gap"], "the gap table"
        for row in page["gap"]:
            for column in ("minimum", "desired", "perceived"):
                want = expected[f"mean:{row['item']}:{column}"]["value"]
                assert row[column] == pytest.approx(want, abs=1e-12)
            assert row["adequacy"] == pytest.approx(
                expected[f"adequacy_gap:{row['item']}"]["value"], abs=1e-12
            )
        assert 'charts/gap.svg"' in html
        assert (
            client.get("/admin/results/GAPS/libraries/GAP-1/report/charts/gap.svg").status_code
            == 200
        )


def run_status(html: str) -> str:
    """The run-status section of a page, its whitespace collapsed."""
    found = re.search(r'<section class="run-status[^"]*".*?</section>', html, re.S)
    assert found is not None
    return " ".join(found.group(0).split())


def test_run_status__the_dashboards_header_with_the_library_count_and_a_failure(
    world: Any, login: Any, session: Session
) -> None:
    from survey_app.models import ReportRun
    from survey_app.models import RunStatus
    from survey_app.services import report_runs

    manager = login(world.manager)
    recompute(manager, "SAT")
    page = manager.get("/admin/results/SAT/libraries/LIB-A/report?lang=ru").get_data(as_text=True)
    dashboard = manager.get("/admin/results/SAT/dashboard?lang=ru").get_data(as_text=True)
    header = run_status(page)
    # 41 + 12 + 3 responses in 3 libraries; LIB-A's own 41 added below the common line
    assert "по ответам: 56, библиотек: 3." in header
    assert "41 ответ этой библиотеки" in header
    assert header.replace("<p>41 ответ этой библиотеки</p> ", "") == run_status(dashboard)
    # a failed recomputation: said on both pages, the previous result still shown
    failed, _ = report_runs.request_run(session, world.sat)
    report_runs.start_run(session, failed)
    report_runs.fail_run(session, failed.id, "the database went away")
    session.commit()
    assert session.get(ReportRun, failed.id).status == RunStatus.failed
    page = manager.get("/admin/results/SAT/libraries/LIB-A/report?lang=ru").get_data(as_text=True)
    assert "run-failed" in run_status(page)
    assert "Последний пересчёт завершился ошибкой" in run_status(page)
    assert "41 ответ этой библиотеки" in run_status(page)


def test_run_status__library_staff_see_no_region_totals(world: Any, login: Any) -> None:
    """As on the dashboard: the run's totals (56 responses in 3 libraries) are the region's;
    staff of LIB-B see when it was computed and their own library's count only."""
    recompute(login(world.manager), "SAT")
    staff = login(world.staff_b)
    header = run_status(
        staff.get("/admin/results/SAT/libraries/LIB-B/report?lang=ru").get_data(as_text=True)
    )
    assert "по ответам: 56" not in header and "библиотек: 3" not in header
    assert "Рассчитано " in header
    assert "12 ответов этой библиотеки" in header


def test_method_line__replicates_grouped_as_in_the_tables(world: Any, login: Any) -> None:
    """The walk of the demo found "2000 повторов" beside tables writing "2 000"."""
    client = login(world.manager)
    recompute(client, "SAT")
    html = client.get("/admin/results/SAT/libraries/LIB-A/report?lang=ru").get_data(as_text=True)
    assert "(2\u00a0000 повторов для НОК, 200 для омеги" in html
    # and omega is "общая омега", not "омега (total)"
    assert "общая омега с бутстреп-интервалом" in html and "(total)" not in html
