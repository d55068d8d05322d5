"""Start-up of the ``survey-app`` command line (issue 10 §6).

The heavy packages are imported only by the commands that need them: importing the command
line, ``survey-app --help`` and ``survey-app reliability`` must not load them (each check runs
in a fresh interpreter and reads ``sys.modules`` there). The one-line help that ``--help``
prints without importing a command must be the command's own. Timings are not tested here
(they depend on the machine's load): ``benchmarks/cli_startup.py`` measures them.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.utils import make_default_short_help
from flask import Flask

from survey_app.cli import COMMANDS
from survey_app.cli import load_command
from survey_app.cli import register_commands

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "scipy", "statsmodels", "matplotlib", "pyxform", "reportlab")


def loaded_after(code: str) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter; which of HEAVY (and sqlalchemy) it imported."""
    probe = (
        "import sys, json, atexit\n"
        f"names = {[*HEAVY, 'sqlalchemy']!r}\n"
        "atexit.register(lambda: print('\\nMODULES ' + json.dumps("
        "{n: n in sys.modules for n in names})))\n" + code
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES "))


def test_import_of_the_command_line_loads_no_heavy_package() -> None:
    loaded = loaded_after("import survey_app.cli, survey_app.cli.analysis, analysis")
    assert {name for name, yes in loaded.items() if yes} == set()


def test_help_loads_no_heavy_package_and_creates_no_app() -> None:
    code = (
        "import sys\nsys.argv = ['survey-app', '--help']\n"
        "from survey_app.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'flask_sqlalchemy' not in sys.modules\n"
    )
    loaded = loaded_after(code)
    assert {name for name, yes in loaded.items() if yes} == set()


def test_reliability_loads_only_what_it_computes_with(tmp_path: Path) -> None:
    data = tmp_path / "items.csv"
    data.write_text("a,b,c\n1,2,2\n2,2,3\n3,4,3\n4,4,5\n5,4,4\n2,3,3\n", encoding="utf-8")
    code = (
        "import sys\n"
        f"sys.argv = ['survey-app', 'reliability', {str(data)!r}, '--items', 'a,b,c']\n"
        "from survey_app.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
    )
    loaded = loaded_after(code)
    assert loaded["pandas"] and loaded["scipy"]  # what alpha and omega are computed with
    unneeded = ("statsmodels", "matplotlib", "pyxform", "reportlab", "sqlalchemy")
    assert [name for name in unneeded if loaded[name]] == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_short_help_is_the_commands_own(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert COMMANDS[name].short_help == command.get_short_help_str(limit=10**6)
    # as --help shortens it
    assert make_default_short_help(COMMANDS[name].short_help, 45) == command.get_short_help_str()


def test_register_commands_adds_every_command_to_the_app() -> None:
    app = Flask(__name__)
    register_commands(app)
    for name in COMMANDS:
        assert app.cli.get_command(None, name) is load_command(name)  # type: ignore[arg-type]


def test_every_public_analysis_name_resolves_on_first_use() -> None:
    import analysis

    assert set(analysis.__all__) == set(analysis._EXPORTS)
    for name in analysis.__all__:  # functions, classes and constants alike
        module = importlib.import_module(analysis._EXPORTS[name])
        assert getattr(analysis, name) is getattr(module, name)
