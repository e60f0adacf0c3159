"""Sessions, CSRF and security headers for the web app.

- Session cookie: a random token (only its SHA-256 is stored), HttpOnly, SameSite=Lax,
  Secure behind https; a new token at every sign-in, so a planted cookie is never promoted.
- CSRF: every state-changing request must carry the session's CSRF token (form field
  ``csrf_token`` or header ``X-CSRF-Token``). Before sign-in, the login form's token is an
  HMAC of a pre-session cookie.
- Headers: a CSP without inline script and without 'unsafe-eval' (charts use Vega's
  CSP-safe expression interpreter), frame-ancestors 'none', nosniff, no referrer.
- Redirects after sign-in go only to local paths (``local_path``); downloads name their
  files with ``content_disposition`` (RFC 6266)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from urllib.parse import quote, unquote, urlsplit

from fastapi import Request, Response
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techforce import errors

SESSION_COOKIE = "tf_session"
PRE_COOKIE = "tf_pre"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class CsrfError(errors.Forbidden):
    pass


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.scheme == "https":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def pre_session_token(secret: bytes, pre: str) -> str:
    return hmac.new(secret, f"login:{pre}".encode(), hashlib.sha256).hexdigest()


def new_pre_cookie() -> str:
    return secrets.token_urlsafe(24)


async def submitted_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


def check(expected: str | None, given: str) -> None:
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise CsrfError("missing or wrong CSRF token: reload the page and try again")


DEFAULT_NEXT = "/"  # the home page sends each user to their landing page
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def local_path(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """``value`` if it is a path on this site (``/...``), else ``default``: no scheme or host,
    no ``//`` or ``/\\`` (which browsers read as another host), also when percent-encoded,
    no backslashes and no control characters (CR/LF would split a header)."""
    if not value or len(value) > 2000:
        return default
    decoded = value
    for _ in range(3):  # %252F%252F -> %2F%2F -> //
        decoded = unquote(decoded)
    for candidate in (value, decoded):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")) or "\\" in candidate:
            return default
        if _CONTROL.search(candidate):
            return default
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return default
    return value


def content_disposition(filename: str) -> str:
    """An attachment header for ``filename`` (RFC 6266 / RFC 5987): an ASCII fallback without
    quotes, slashes or control characters, and the full name as ``filename*=UTF-8''...``."""
    cleaned = (
        _CONTROL.sub("", filename).replace("/", "-").replace("\\", "-").replace('"', "").replace("'", "")
    )
    cleaned = cleaned.strip(". ") or "download"
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request is larger than {limit} bytes; ingest large files with `techforce workforce ingest`",
        )


class BodyLimit:
    """Refuses a request body larger than ``limit_for(path)`` bytes: at once when its
    Content-Length says so, else while it arrives (nothing past the limit is read)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            error = BodyTooLarge(limit)
            await JSONResponse({"detail": error.detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)
