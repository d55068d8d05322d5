"""The dependency direction of the design (architecture.md §4), checked on the source.

``instruments``, ``analysis`` and ``kiosk`` are pure: they import nothing from the web app,
Flask, WTForms, SQLAlchemy or Alembic, and none of them imports another.  Only
``survey_app`` composes them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = ("instruments", "analysis", "kiosk")
FORBIDDEN = {
    "survey_app",
    "flask",
    "flask_wtf",
    "wtforms",
    "flask_sqlalchemy",
    "sqlalchemy",
    "alembic",
    "flask_babel",
    "flask_login",
    "werkzeug",
}


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module imported anywhere in ``path`` (absolute imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", PURE)
def test_pure_package__imports_no_web_or_database_code(package: str) -> None:
    offenders = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_roots(path) & (FORBIDDEN | (set(PURE) - {package}))
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_pure_packages__load_without_flask_or_sqlalchemy() -> None:
    """Importing the three packages (and what they import) pulls in no web/database module."""
    code = (
        "import sys, instruments, analysis, kiosk, kiosk.posters, instruments.xlsform;"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    loaded = set(ast.literal_eval(out))
    assert loaded & FORBIDDEN == set()


def test_check__sees_imports() -> None:
    """Guard: the checker finds the imports of a module that certainly has some."""
    assert {"flask", "survey_app"} <= imported_roots(ROOT / "survey_app" / "blueprints" / "api.py")
