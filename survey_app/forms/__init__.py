"""WTForms forms: syntax-level validation only (no database access), composed from instruments."""

from __future__ import annotations

from survey_app.forms.questionnaire import FIELD_BUILDERS
from survey_app.forms.questionnaire import FieldBuilder
from survey_app.forms.questionnaire import QuestionnaireForm
from survey_app.forms.questionnaire import build_form
from survey_app.forms.questionnaire import text_of

__all__ = ["FIELD_BUILDERS", "FieldBuilder", "QuestionnaireForm", "build_form", "text_of"]
