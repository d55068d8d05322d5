"""The command line a newcomer meets (issue 9 §7).

On a database that is not migrated or cannot be reached every command prints one line
saying what to do, never a traceback; ``db upgrade`` names the database (password hidden)
and the migrations it applied; every command the CLI lists can run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from click.testing import Result
from flask.cli import ScriptInfo

import instruments
from survey_app import create_app
from survey_app.cli import main
from survey_app.db import MIGRATIONS_DIR

#: the migration files, each "<revision> <first line of its docstring>", read independently
MIGRATIONS = sorted(MIGRATIONS_DIR.joinpath("versions").glob("*.py"))


def run(url: str, *args: str) -> Result:
    """Run ``survey-app ARGS`` against the database at ``url``."""
    info = ScriptInfo(create_app=lambda: create_app({"SQLALCHEMY_DATABASE_URI": url}))
    return CliRunner().invoke(main, list(args), obj=info)


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 or lines[0].startswith("database: "), result.output
    return lines[-1]


@pytest.mark.parametrize(
    "args",
    [
        ("users", "list"),
        ("export", "responses", "--campaign", "x", "-o", "out.csv"),
        ("users", "deactivate", "someone@example.org"),
    ],
)
def test_unmigrated_database__one_line_saying_run_db_upgrade(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    line = one_line_error(run(url, *args))
    assert line == f"Error: the database {url} is not migrated: run 'survey-app db upgrade'"


def test_refused_setting__one_line_saying_which(tmp_path: Path, monkeypatch: Any) -> None:
    # the command line's own app factory (the one `survey-app` uses), not the tests'
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'any.db'}")
    monkeypatch.setenv("SURVEY_BABEL_DEFAULT_TIMEZONE", "Mars/Olympus")
    line = one_line_error(CliRunner().invoke(main, ["reports", "run", "--campaign", "x"]))
    assert line == (
        "Error: BABEL_DEFAULT_TIMEZONE 'Mars/Olympus' is not a time zone; set "
        "SURVEY_BABEL_DEFAULT_TIMEZONE to an IANA name such as Asia/Novokuznetsk."
    )


def test_unreachable_database__one_line_naming_it_without_the_password() -> None:
    url = "postgresql+psycopg://survey:s3cret@127.0.0.1:9/nowhere"
    for args in (("users", "list"), ("db", "upgrade")):
        result = run(url, *args)
        line = one_line_error(result)
        assert line.startswith(
            "Error: cannot connect to postgresql+psycopg://survey:***@127.0.0.1:9/nowhere: "
        )
        assert "s3cret" not in result.output


def test_db_upgrade__names_the_database_and_the_migrations_it_applied(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = run(url, "db", "upgrade")
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == f"database: {url}"
    revisions = [path.name.split("_")[2] for path in MIGRATIONS]
    applied = [line.split()[1] for line in lines if line.startswith("applied ")]
    assert sorted(applied) == sorted(revisions) and len(applied) == len(MIGRATIONS)
    assert lines[-1].endswith(f"({len(MIGRATIONS)} migration(s) applied)")
    again = run(url, "db", "upgrade")
    assert again.output.splitlines()[-1].endswith(": nothing to apply")
    # now migrated: the command that failed before works
    assert run(url, "users", "list").exit_code == 0


@pytest.mark.parametrize("args", [("limiter", "config"), ("limiter", "limits")])
def test_every_listed_command__runs(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(f"sqlite:///{tmp_path / 'x.db'}", *args)
    assert result.exit_code == 0, result.output


def test_env_file_option__loads_the_file(tmp_path: Path, monkeypatch: Any) -> None:
    """``--env-file`` is listed in the help, so python-dotenv is installed with the package."""
    env = tmp_path / "survey.env"
    env.write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'from-env.db'}\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    try:
        result = CliRunner().invoke(main, ["--env-file", str(env), "db", "upgrade"])
    finally:
        os.environ.pop("DATABASE_URL", None)  # set by python-dotenv, not by monkeypatch
    assert result.exit_code == 0, result.output
    assert "from-env.db" in result.output.splitlines()[0]


def test_setup__installs_what_the_listed_commands_need() -> None:
    setup = Path(__file__).resolve().parents[2].joinpath("setup.py").read_text()
    assert '"Flask-Limiter[cli]' in setup  # the `limiter` command needs rich
    assert '"python-dotenv' in setup  # `--env-file` needs python-dotenv


BUNDLED = sorted(Path(instruments.__file__).parent.joinpath("definitions").glob("*/1.yaml"))


def check(*paths: str) -> Result:
    return CliRunner().invoke(main, ["instruments", "check", *paths])


def test_instruments_check__names_each_file_by_its_path() -> None:
    result = check(*map(str, BUNDLED))
    assert result.exit_code == 0, result.output
    assert len(BUNDLED) == 5
    assert result.output.splitlines() == [f"{path}: ok ({path.parent.name} v1)" for path in BUNDLED]


def test_instruments_check__holds_back_the_follow_on_errors_of_one_mistake(
    tmp_path: Path,
) -> None:
    source = BUNDLED[[p.parent.name for p in BUNDLED].index("satisfaction_short")].read_text()
    # one mistake: the shared format's max is not a number (7 scale items then look unscorable)
    broken = tmp_path / "1.yaml"
    broken.write_text(source.replace("    max: 5", "    max: five", 1))
    result = check(str(broken))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:20 formats.sat5.max INS004 'max' must be a number, got text 'five'",
        f"{broken}: 7 more problem(s) that these probably cause; fix the ones above and "
        "check again",
    ]
    # one misspelt format name used by eight items: one line naming the other places
    broken.write_text(source.replace("  sat5:", "  sat6:", 1))
    lines = check(str(broken)).output.splitlines()
    assert len(lines) == 1 and "INS033" in lines[0]
    assert lines[0].endswith("(also on lines 40, 43, 48, 53, 58, 61, 70)")


def test_export__into_a_missing_folder_is_one_line(runner: Any, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "out.csv"
    result = runner.invoke(args=["export", "responses", "--campaign", "x", "-o", str(target)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: cannot write {target}: the folder {target.parent} does not exist (create it first)"
    )
    assert not target.parent.exists()


CHECKLIST_EXAMPLE = (
    Path(instruments.__file__).parent / "definitions/nok_culture/checklist_example.csv"
)
CHECKLIST_DOC = Path(__file__).resolve().parents[2] / "docs" / "nok-checklist.md"


def test_checklist_example__is_documented_and_scores_as_computed_by_hand(tmp_path: Path) -> None:
    from analysis.nok import CHECKLIST_COLUMNS
    from tests.survey_app.test_cli_analysis import EXPECTED_NOK
    from tests.survey_app.test_cli_analysis import NOK_CSV

    doc = CHECKLIST_DOC.read_text(encoding="utf-8")
    assert "instruments/definitions/nok_culture/checklist_example.csv" in doc
    for column in CHECKLIST_COLUMNS:
        assert f"`{column}`" in doc
    data = tmp_path / "nok.csv"
    data.write_text(NOK_CSV, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "indices",
            str(data),
            "--instrument",
            "nok_culture",
            "--checklist",
            str(CHECKLIST_EXAMPLE),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)["groups"]
    # the hand computation of tests/survey_app/test_cli_analysis.py (same checklist counts)
    assert groups["lib-a"]["total"] == pytest.approx(EXPECTED_NOK["lib-a"]["total"], abs=1e-9)
    assert groups["lib-b"]["K2"] == pytest.approx(EXPECTED_NOK["lib-b"]["K2"], abs=1e-9)


def test_indices__header_only_csv_is_one_line(tmp_path: Path) -> None:
    from tests.survey_app.test_cli_analysis import NOK_CSV

    data = tmp_path / "header.csv"
    data.write_text(NOK_CSV.splitlines()[0] + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["indices", str(data), "--instrument", "nok_culture"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {data}: no responses, only a header line"
