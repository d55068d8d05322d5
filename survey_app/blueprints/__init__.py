"""Blueprints, one per audience."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint on ``app``."""
    from survey_app.blueprints import admin
    from survey_app.blueprints import admin_campaigns
    from survey_app.blueprints import admin_instruments
    from survey_app.blueprints import admin_kiosks
    from survey_app.blueprints import admin_library_report
    from survey_app.blueprints import admin_results
    from survey_app.blueprints import admin_review
    from survey_app.blueprints import admin_tokens
    from survey_app.blueprints import api
    from survey_app.blueprints import auth
    from survey_app.blueprints import kiosk
    from survey_app.blueprints import public

    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_campaigns.bp)
    app.register_blueprint(admin_instruments.bp)
    app.register_blueprint(admin_library_report.bp)
    app.register_blueprint(admin_results.bp)
    app.register_blueprint(admin_tokens.bp)
    app.register_blueprint(admin_review.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin_kiosks.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(kiosk.bp)
    app.register_blueprint(public.bp)
