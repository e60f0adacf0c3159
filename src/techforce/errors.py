"""The four errors every capability raises for something a user caused. The CLI (exit 2),
the HTML pages and the JSON API (RFC 9457 problem details) map only these, with the same
message everywhere; a capability's own error classes derive from one of them."""

from __future__ import annotations

from typing import Any, ClassVar


class TechforceError(Exception):
    """Base of the four; ``status`` is the HTTP status, ``title`` the problem type's title."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Refused"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status_override = status

    @property
    def http_status(self) -> int:
        return getattr(self, "status_override", self.status)

    def problem(self) -> dict[str, Any]:
        """RFC 9457 problem details."""
        return {
            "type": "about:blank",
            "title": self.title,
            "status": self.http_status,
            "detail": self.message,
        }


class NotFound(TechforceError):
    """A provider, group, indicator, year, definition or record that does not exist."""

    status = 404
    title = "Not found"


class Invalid(TechforceError):
    """Input that breaks the rules; ``problems`` lists each one (file, row, field, fix)."""

    status = 422
    title = "Invalid input"

    def __init__(self, message: str, problems: list[Any] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def problem(self) -> dict[str, Any]:
        listed = [p.as_dict() if hasattr(p, "as_dict") else p for p in self.problems[:2000]]
        return {**super().problem(), "problems": listed}


class Refused(TechforceError):
    """A well-formed request the rules refuse (400), a conflict (409) or too many tries (429)."""

    status = 400
    title = "Refused"


class Forbidden(TechforceError):
    """The user may not do this; the message says what was refused."""

    status = 403
    title = "Forbidden"
