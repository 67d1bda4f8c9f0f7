"""AIP-158 paging: page_size with a default and a maximum, opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass

from servicekit.errors import DomainError, FieldViolation, invalid_argument

MAX_OFFSET = 2**31  # beyond any list; also what PostgreSQL's OFFSET accepts comfortably


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int

    def next_token(self, returned: int, total: int | None = None) -> str:
        """Token for the following page, or "" when this page is the last."""
        end = self.offset + returned
        if returned < self.limit or (total is not None and end >= total):
            return ""
        return _encode(end)


def page_of(page_size: int, page_token: str, *, default: int = 50, maximum: int = 200) -> Page:
    limit = page_limit(page_size, default=default, maximum=maximum)
    return Page(offset=_decode(page_token) if page_token else 0, limit=limit)


def page_limit(page_size: int, *, default: int, maximum: int) -> int:
    """A list's page size: the default when not given, at most the maximum."""
    if page_size < 0:
        raise invalid_argument(
            "PAGE_SIZE_INVALID", [FieldViolation("page_size", "must not be negative")]
        )
    return min(page_size or default, maximum)


def key_token(parts: Sequence[str]) -> str:
    """An opaque token holding a keyset position of several parts (e.g. a time and an id)."""
    return base64.urlsafe_b64encode(json.dumps({"k": list(parts)}).encode()).decode()


def key_of_token(token: str, count: int) -> tuple[str, ...]:
    """The parts of a `key_token`; a token of another shape is a 400 on page_token."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(token.encode()))["k"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        parts = None
    if (
        not isinstance(parts, list)
        or len(parts) != count
        or not all(isinstance(p, str) and "\x00" not in p for p in parts)
    ):
        raise invalid_page_token()
    return tuple(parts)


def signed_key_token(parts: Sequence[str], *, secret: str, context: str) -> str:
    """A keyset position that cannot be forged or carried to another list: the parts, and an
    HMAC over them and `context` (e.g. the list's order and filters) with the service's
    secret. Still opaque to clients; tampering with it is a 400, never a 500."""
    body = _b64(json.dumps({"k": list(parts)}, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(body, secret, context))}"


def key_of_signed_token(token: str, count: int, *, secret: str, context: str) -> tuple[str, ...]:
    """The parts of a `signed_key_token` made with the same secret and context. The MAC is
    compared as text, so a token altered in any character is refused (base64's unused
    trailing bits would otherwise let a changed last character decode to the same MAC)."""
    body, _, mac = token.partition(".")
    if not body or not hmac.compare_digest(
        mac.encode(), _b64(_mac(body, secret, context)).encode()
    ):
        raise invalid_page_token()
    return key_of_token(body + "=" * (-len(body) % 4), count)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _mac(body: str, secret: str, context: str) -> bytes:
    message = f"{context}\n{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:16]


def invalid_page_token() -> DomainError:
    return invalid_argument(
        "PAGE_TOKEN_INVALID", [FieldViolation("page_token", "is not a token this list gave")]
    )


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _decode(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        offset = -1
    if type(offset) is not int or not 0 <= offset < MAX_OFFSET:
        raise invalid_page_token()
    return offset


@dataclass(frozen=True)
class Cursor:
    """Keyset paging over an integer key (a sequence): the token holds the last key returned,
    so rows added between pages neither repeat nor push others to the next page (offsets do).
    `after` is None on the first page."""

    after: int | None
    limit: int

    def next_token(self, last_key: int, *, returned: int) -> str:
        return _encode(last_key) if returned >= self.limit and returned else ""


def cursor_of(page_size: int, page_token: str, *, default: int = 20, maximum: int = 100) -> Cursor:
    limit = page_limit(page_size, default=default, maximum=maximum)
    return Cursor(after=_decode(page_token) if page_token else None, limit=limit)
