"""Checks every request passes before a view (or the CSRF check) reads it.

* A view may have its own body limit (:func:`body_limit`); it applies before anything reads
  the body, so the CSRF check no longer answers 413 at the app-wide limit first.
* A streamed (chunked) body has no ``Content-Length``: Werkzeug stops reading at the limit and
  would hand the parser a truncated body. It is read here, and 413 answered when it reaches
  the limit.
* NUL characters in the path, the query or form fields (PostgreSQL stores no NUL in text)
  are refused with 400 and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TypeVar

from flask import Flask
from flask import abort
from flask import current_app
from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

F = TypeVar("F", bound=Callable[..., Any])

#: attribute a view function carries its own body limit in
_LIMIT_ATTRIBUTE = "max_content_length"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def body_limit(limit: int) -> Callable[[F], F]:
    """Give a view its own largest request body in bytes (place it right under the route)."""

    def decorator(view: F) -> F:
        setattr(view, _LIMIT_ATTRIBUTE, limit)
        return view

    return decorator


def init_request_guards(app: Flask) -> None:
    """Install the checks on ``app``; call before ``csrf.init_app`` so they run first."""
    app.before_request(_limit_body)
    app.before_request(_refuse_nul)


def _limit_body() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, _LIMIT_ATTRIBUTE, None)
    if limit is not None:
        request.max_content_length = limit
    streamed = request.content_length is None and "wsgi.input_terminated" in request.environ
    if streamed and request.method in ("POST", "PUT", "PATCH"):
        maximum = request.max_content_length
        data = request.get_data(cache=True)  # parsers read this copy afterwards
        if maximum is not None and len(data) >= maximum:
            raise RequestEntityTooLarge(f"The body is over the limit of {maximum} bytes.")


def _refuse_nul() -> None:
    if "\x00" in request.path:
        abort(400, description=_("The address contains a NUL character (%00)."))
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            abort(400, description=_("The query string contains a NUL character (%00)."))
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in _FORMS:
        for name, value in request.form.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(
                    400,
                    description=_(
                        "The form field %(name)s contains a NUL character.", name=repr(name[:40])
                    ),
                )
