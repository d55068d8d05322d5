"""A fresh clone runs every test: the reference data are inside the repository, and the
browser setup stops with a clear message when it cannot install Chromium.

Covers issue 9 §8.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import browser_setup
from tests.analysis import reference
from tests.analysis import test_screening
from tests.survey_app import test_cli_analysis

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT / "tests" / "data"
#: every data file a test reads, with the licence its README must name
DATA_FILES = {
    "bfi.csv": "GPL (≥ 2)",
    "bfi_careless_indices_R.csv": "GPL (≥ 2)",
    "pingouin_cronbach_alpha_long.csv": "GPL-3",
    "pingouin_cronbach_wide_missing.csv": "GPL-3",
}


def test_reference_data__are_read_from_inside_the_repository() -> None:
    for module in (reference, test_screening, test_cli_analysis):
        assert module.DATA_DIR.resolve() == DATA, module.__name__


def test_reference_data__are_there_with_their_licences() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if "|" in line}
    for name, licence in DATA_FILES.items():
        assert (DATA / name).stat().st_size > 0, name
        assert licence in rows[name], name
    assert "GNU GENERAL PUBLIC LICENSE" in (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Version 3" in (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser_setup, "CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.delenv("CI", raising=False)


def test_browser_setup__without_root__fails_and_says_what_to_do(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(browser_setup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(browser_setup.os, "geteuid", lambda: 1000)
    assert browser_setup.main() == 1
    message = capsys.readouterr().err
    assert "needs root" in message
    assert "apt-get install chromium" in message
    assert message.count("\n") == 1


def test_browser_setup__without_apt_get__fails_and_says_so(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(browser_setup.shutil, "which", lambda name: None)
    assert browser_setup.main() == 1
    assert "no apt-get" in capsys.readouterr().err


def test_browser_setup__when_apt_get_fails__says_which_command_without_a_traceback(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(browser_setup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(browser_setup.os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        browser_setup.subprocess,
        "run",
        lambda command, **kwargs: subprocess.CompletedProcess(command, 100),
    )
    assert browser_setup.main() == 1
    assert "'apt-get update -qq' failed with status 100" in capsys.readouterr().err
