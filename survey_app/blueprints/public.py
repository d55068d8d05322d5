"""Public pages for visitors (the questionnaire is built in survey_app/forms)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
