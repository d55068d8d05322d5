"""Flask extensions, created unbound and bound in :func:`survey_app.create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from survey_app.models.base import Base

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
#: counters live in RATELIMIT_STORAGE_URI; routes choose their own (hashed) keys
limiter = Limiter(key_func=get_remote_address)
