"""Flask extensions, created unbound and bound in :func:`survey_app.create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from survey_app.models.base import Base


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy with ``session`` typed as the ``Session`` it stands for.

    ``db.session`` is a ``scoped_session``: a proxy forwarding every ``Session`` method to the
    current request's (or CLI command's) session. Services take a plain ``Session``; this one
    declaration lets views and commands hand them ``db.session`` without a cast at each call.
    """

    session: Session  # type: ignore[assignment]


db = _SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
#: counters live in RATELIMIT_STORAGE_URI; routes choose their own (hashed) keys
limiter = Limiter(key_func=get_remote_address)
