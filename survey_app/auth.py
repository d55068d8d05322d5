"""Staff sign-in: Flask-Login set-up, the user loader and the view decorators.

A session is valid only while the server knows it: signing in stores the SHA-256 of a random
token (:class:`~survey_app.models.StaffSession`) whose plain value only the signed cookie
carries; signing out deletes it, so a copy of the cookie taken before opens nothing, and
deactivating an account deletes all its sessions (reactivating revives none). Each session
also carries a keyed fingerprint of the password hash, so changing the password signs out
every other session. Flask-Login's "session protection" is off and its ``_id`` (a hash of the
client's IP address and User-Agent) is never kept in the cookie: we keep no addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from typing import TypeVar
from typing import cast
from urllib.parse import urlsplit

from flask import Flask
from flask import abort
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import request
from flask import session as http_session
from flask import url_for
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from sqlalchemy import delete
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.extensions import limiter
from survey_app.extensions import login_manager
from survey_app.models import Role
from survey_app.models import StaffSession
from survey_app.models import User
from survey_app.models.base import utcnow
from survey_app.services.scope import Action
from survey_app.services.scope import can

__all__ = [
    "current_staff",
    "init_auth",
    "login_required",
    "permission_required",
    "role_required",
    "safe_next_url",
    "sign_in",
    "sign_out",
]

F = TypeVar("F", bound=Callable[..., Any])

#: session key holding the password fingerprint of the signed-in account
_FINGERPRINT_KEY = "_staff_fp"
#: session key holding the token of the server-side session (its SHA-256 is stored)
# bandit B105: the name of a session key, not a secret
_TOKEN_KEY = "_staff_sid"  # nosec B105
#: a session is refused (and its row pruned) this long after sign-in
SESSION_MAX_AGE = timedelta(days=30)


def init_auth(app: Flask) -> None:
    """Bind Flask-Login and Flask-Limiter to ``app`` and expose ``can`` to templates."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    limiter.init_app(app)

    @app.context_processor
    def _auth_helpers() -> dict[str, Any]:
        return {"can": lambda action: can(current_user, action)}


def password_fingerprint(user: User) -> str:
    """Return a keyed digest of the user's password hash (changes when the password does)."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, user.password_hash.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _load_user(user_id: str) -> User | None:
    """Return the signed-in account, or None when it is gone, inactive or re-passworded."""
    try:
        ident = int(user_id)
    except (TypeError, ValueError):
        return None
    user = db.session.get(User, ident)
    if user is None or not user.active:
        return None
    token = http_session.get(_TOKEN_KEY)
    if not isinstance(token, str) or not token:
        return None
    known = db.session.scalar(
        select(StaffSession.id).where(
            StaffSession.token_hash == _token_hash(token),
            StaffSession.user_id == user.id,
            StaffSession.created_at > utcnow() - SESSION_MAX_AGE,
        )
    )
    if known is None:
        return None
    expected = password_fingerprint(user)
    if not hmac.compare_digest(str(http_session.get(_FINGERPRINT_KEY, "")), expected):
        return None
    return user


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _unauthorized() -> Any:
    if _wants_json():
        return jsonify({"error": "authentication required"}), 401
    return redirect(url_for("auth.login", next=safe_next_url(request.full_path)))


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` if it is a local path (no scheme, no host), else None."""
    if not target:
        return None
    target = target.strip()
    if target.endswith("?"):
        target = target[:-1]
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None  # a CR/LF would split the Location header
    return target


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_in(user: User) -> None:
    """Start a session for ``user`` (who has just been authenticated); the caller commits."""
    language = http_session.get("lang")
    http_session.clear()
    if language:
        http_session["lang"] = language
    login_user(user)
    # Flask-Login stores a hash of the client's address and User-Agent as "_id"; keep none
    http_session.pop("_id", None)
    http_session[_FINGERPRINT_KEY] = password_fingerprint(user)
    token = secrets.token_urlsafe(32)
    db.session.execute(
        delete(StaffSession).where(StaffSession.created_at < utcnow() - SESSION_MAX_AGE)
    )
    db.session.add(StaffSession(user_id=user.id, token_hash=_token_hash(token)))
    db.session.flush()
    http_session[_TOKEN_KEY] = token


def refresh_fingerprint(user: User) -> None:
    """Keep the current session valid after its own password change."""
    http_session[_FINGERPRINT_KEY] = password_fingerprint(user)


def sign_out() -> None:
    """End the current session, on the server too; the caller commits."""
    token = http_session.pop(_TOKEN_KEY, None)
    if isinstance(token, str):
        db.session.execute(
            delete(StaffSession).where(StaffSession.token_hash == _token_hash(token))
        )
    logout_user()
    http_session.pop(_FINGERPRINT_KEY, None)


def current_staff() -> User:
    """Return the signed-in account (call only behind :func:`login_required`)."""
    return cast(User, current_user._get_current_object())


def login_required(view: F) -> F:
    """Send anonymous visitors to the sign-in page (401 JSON for API calls)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return cast(F, wrapped)


def role_required(*roles: Role | str) -> Callable[[F], F]:
    """Allow only signed-in accounts with one of ``roles``; others get 403."""
    allowed = {Role(role) for role in roles}
    if not allowed:
        raise ValueError("role_required needs at least one role")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if Role(current_user.role) not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def permission_required(action: Action | str) -> Callable[[F], F]:
    """Allow only signed-in accounts whose role permits ``action`` (see ``scope.can``)."""
    wanted = Action(action)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(current_user, wanted):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator
