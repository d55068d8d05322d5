"""The one small hierarchy of service errors; mapped to HTTP in ``survey_app/errors.py``."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with a request: a stable code, where, and what."""

    code: str
    path: str
    message: str
    #: the values the message was built from (for a translated message; see
    #: :func:`survey_app.problem_messages.problem_message`); not part of equality
    context: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, str]:
        """Return the JSON shape used by the API."""
        return {"code": self.code, "path": self.path, "message": self.message}


class ServiceError(Exception):
    """Base of the errors a service raises on purpose."""

    status = 400
    #: a stable machine-readable code for the JSON body (e.g. "KIO401"), when the API has one
    code: str | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequest(ServiceError):
    """The request cannot be understood as it is (e.g. an unknown one-time code)."""

    status = 400


class TooLarge(ServiceError):
    """The request carries more than one request may (e.g. too many items in a batch)."""

    status = 413


class Unauthorized(ServiceError):
    """No valid credential: an unknown or revoked device token."""

    status = 401


class NotFound(ServiceError):
    """The thing asked for does not exist, is closed, or is outside the caller's scope."""

    status = 404


class Gone(ServiceError):
    """The thing existed but has ended (a closed campaign's survey link)."""

    status = 410


class Forbidden(ServiceError):
    """The caller may not do this."""

    status = 403


class Conflict(ServiceError):
    """The request contradicts what is stored (e.g. same response id, other content)."""

    status = 409


class Invalid(ServiceError):
    """The request is well-formed but its content is wrong; carries every problem."""

    status = 422

    def __init__(self, message: str, issues: Sequence[Issue]) -> None:
        super().__init__(message)
        self.issues = tuple(issues)
