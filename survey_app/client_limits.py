"""Per-client limits of the anonymous web survey, with keys no one can read an address from.

The key of a client is ``HMAC-SHA256(SECRET_KEY, client address)`` (the address the configured
proxies report, ``PROXY_COUNT``). It lives only in the limiter's store (Redis in production,
``RATELIMIT_STORAGE_URI``), with the expiry of the limit's window; it is never written to the
database, and this module logs nothing (Flask-Limiter's decorators log the key of a breached
limit at INFO level, which is why these limits are counted here by hand).

Limits are ``limits`` strings from the configuration (``"60 per minute; 600 per day"``).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse_many

from survey_app.extensions import limiter


def client_key(kind: str) -> str:
    """The limiter key of this request's client for ``kind`` of limit (a keyed hash)."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    address = (get_remote_address() or "").encode("utf-8")
    return f"{kind}:" + hmac.new(secret, address, hashlib.sha256).hexdigest()[:40]


def hit(kind: str, setting: str) -> int | None:
    """Count this request against the limits in ``config[setting]`` for this client.

    Returns None when every limit allows it (it is then counted), else the seconds until
    the exhausted limit's window resets (nothing is counted). Always None when rate
    limiting is off (``RATELIMIT_ENABLED = False``) or the setting is empty.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True) or not limiter.enabled:
        return None
    text = str(current_app.config.get(setting) or "").strip()
    if not text:
        return None
    items = parse_many(text)
    key = client_key(kind)
    strategy = limiter.limiter
    for item in items:
        if not strategy.test(item, key):
            reset_at, _remaining = strategy.get_window_stats(item, key)
            return max(1, int(reset_at - time.time() + 0.999))
    for item in items:
        strategy.hit(item, key)
    return None
