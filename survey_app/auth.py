"""Staff sign-in: Flask-Login set-up, the user loader and the view decorators.

A session stays valid only while the account is active **and** its password is unchanged:
the loader drops sessions of deactivated accounts, and each session carries a keyed
fingerprint of the password hash, so changing the password signs out every other session.
Flask-Login's "session protection" is off on purpose: it would put a hash of the client's IP
address into the cookie, and we keep no addresses.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
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

from survey_app.extensions import db
from survey_app.extensions import limiter
from survey_app.extensions import login_manager
from survey_app.models import Role
from survey_app.models import User
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


def sign_in(user: User) -> None:
    """Start a session for ``user`` (who has just been authenticated)."""
    language = http_session.get("lang")
    http_session.clear()
    if language:
        http_session["lang"] = language
    login_user(user)
    http_session[_FINGERPRINT_KEY] = password_fingerprint(user)


def refresh_fingerprint(user: User) -> None:
    """Keep the current session valid after its own password change."""
    http_session[_FINGERPRINT_KEY] = password_fingerprint(user)


def sign_out() -> None:
    """End the current session."""
    logout_user()
    http_session.pop(_FINGERPRINT_KEY, None)


def current_staff() -> User:
    """Return the signed-in account (call only behind :func:`login_required`)."""
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]


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
