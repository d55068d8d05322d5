"""Packaging for the library service-quality survey system."""

from setuptools import find_packages
from setuptools import setup

setup(
    name="library-quality-survey",
    version="0.1.0",
    description=(
        "Measure visitor satisfaction and service quality in public libraries "
        "with validated questionnaires, and hold each library against regional standards."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["survey_app*", "instruments*", "analysis*", "kiosk*"]),
    package_data={
        "instruments": ["definitions/*/*.yaml", "definitions/*/*.csv"],
        "analysis": ["standards_data/*.yaml"],
        "kiosk": ["client/*"],
        "survey_app": [
            "templates/*.html",
            "templates/**/*.html",
            "static/*",
            "static/**/*",
            "translations/*/LC_MESSAGES/*",
            "migrations_dir/*",
        ],
    },
    include_package_data=True,
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
        "Flask-Babel>=4.0,<5",
        "argon2-cffi>=23.1",
        "PyYAML>=6.0,<7",
        "numpy>=1.26",
        "pandas>=2.2",
        "scipy>=1.12",
        "statsmodels>=0.14.2",
        "qrcode>=7.4,<9",
        "openpyxl>=3.1,<4",
        "pyxform>=2.1,<5",
        "reportlab>=4.0,<6",
        "gunicorn>=22,<28",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "pytest-playwright>=0.5,<0.11",
            "axe-playwright-python>=0.1.4,<0.2",
            "hypothesis>=6.100,<7",
            "zxing-cpp>=2.2,<4",
            "pypdfium2>=4.30,<6",
            "pillow>=10",
            # an independent oracle in the reliability tests only (GPL-3: never imported
            # by the packages themselves)
            "pingouin>=0.5.4,<0.8",
        ],
        "dev": ["ruff", "mypy", "import-linter", "pingouin>=0.5"],
        "bench": ["pingouin>=0.5"],
    },
    entry_points={"console_scripts": ["survey-app=survey_app.cli:main"]},
)
