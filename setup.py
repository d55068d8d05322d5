"""Packaging for the library service-quality survey system."""

from pathlib import Path

from setuptools import find_namespace_packages
from setuptools import setup

# The data folders (templates, instrument definitions, ...) are namespace packages, so that
# setuptools ships their files as package data. The Alembic scripts live in the checkout's
# top-level migrations/ folder and are installed as survey_app/migrations.
PACKAGES = find_namespace_packages(include=["survey_app*", "instruments*", "analysis*", "kiosk*"])

setup(
    name="library-quality-survey",
    version="0.1.0",
    description=(
        "Measure visitor satisfaction and service quality in public libraries "
        "with validated questionnaires, and hold each library against regional standards."
    ),
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    # GPL-3.0-or-later: the reference data of the tests (psych's bfi, pingouin's datasets,
    # tests/data/README.md) are GPL; see LICENSE
    license="GPL-3.0-or-later",
    packages=[*PACKAGES, "survey_app.migrations", "survey_app.migrations.versions"],
    package_dir={"survey_app.migrations": "migrations"},
    package_data={
        "instruments.definitions": ["*/*.yaml", "*/*.csv"],
        "analysis.standards_data": ["*.yaml"],
        "survey_app.templates": ["*.html", "**/*.html"],
        "survey_app.static": ["*", "**/*"],
        # the kiosk web app (kiosk.webapp serves it): shell, service worker, manifest, assets
        "kiosk.static": ["*.html", "*.js", "*.webmanifest", "assets/*"],
        "survey_app.translations": ["*.pot", "*/LC_MESSAGES/*.po", "*/LC_MESSAGES/*.mo"],
        "survey_app.migrations": ["*.py", "*.mako", "versions/*.py"],
    },
    include_package_data=False,
    python_requires=">=3.11",
    install_requires=[
        "Flask>=3.1,<4",
        "Flask-WTF>=1.2,<2",
        "WTForms>=3.1,<4",
        "Flask-SQLAlchemy>=3.1,<4",
        "SQLAlchemy>=2.0.30,<2.2",
        "alembic>=1.13,<2",
        "psycopg[binary]>=3.2,<4",
        "Flask-Login>=0.6.3,<0.7",
        # the cli extra: the `limiter` command that `survey-app --help` lists needs rich
        "Flask-Limiter[cli]>=3.8,<5",
        # `survey-app --env-file` (listed in the help) and .env files need it
        "python-dotenv>=1.0,<2",
        # the shared store of the sign-in limits, required in production
        "redis>=5,<9",
        "Flask-Babel>=4.0,<5",
        "argon2-cffi>=23.1",
        "PyYAML>=6.0,<7",
        "numpy>=1.26",
        "pandas>=2.2",
        "scipy>=1.12",
        "statsmodels>=0.14.2",
        # server-rendered SVG charts (Agg, no display)
        "matplotlib>=3.8,<4",
        "qrcode>=7.4,<9",
        "openpyxl>=3.1,<4",
        # the omega bootstrap fits tiny matrices: BLAS runs single-threaded there
        "threadpoolctl>=3.1,<4",
        "pyxform>=2.1,<5",
        "reportlab>=4.0,<6",
        "gunicorn>=22,<28",
        # the background queue of report runs (SQLite storage by default, Redis in production)
        "huey==3.5.4",
        "redis>=5,<9",
        # server-rendered charts (SVG, Agg backend; no display, no JavaScript)
        "matplotlib>=3.8,<4",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "pytest-playwright>=0.5,<0.11",
            "axe-playwright-python>=0.1.4,<0.2",
            "hypothesis>=6.100,<7",
            # generates requests from /api/v1/openapi.json (tests/.../test_api_schemathesis.py)
            "schemathesis>=4.32,<5",
            "zxing-cpp>=2.2,<4",
            "pypdfium2>=4.30,<6",
            "pillow>=10",
            # an independent oracle in the reliability tests only (GPL-3: never imported
            # by the packages themselves)
            "pingouin>=0.5.4,<0.8",
        ],
        # the checks of .ci/checks: versions pinned so that a new release never fails CI
        "dev": [
            "ruff==0.17.6",
            "mypy==2.4.1",
            "import-linter==2.17",
            "bandit==1.9.4",
            "pandas-stubs==3.1.0.261029",
            "scipy-stubs==1.17.1.5",
            "types-PyYAML==6.0.12.20261122",
            "types-WTForms==3.2.1.20260518",
            "types-openpyxl==3.1.5.20261017",
            "types-qrcode==8.2.0.20260518",
            "types-reportlab==5.0.0.20261008",
        ],
        "bench": ["pingouin>=0.5"],
    },
    entry_points={"console_scripts": ["survey-app=survey_app.cli:main"]},
)
