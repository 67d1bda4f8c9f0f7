"""AIP-158 paging: page_size with a default and a maximum, opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from servicekit.errors import FieldViolation, invalid_argument

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
    if page_size < 0:
        raise invalid_argument(
            "PAGE_SIZE_INVALID", [FieldViolation("page_size", "must not be negative")]
        )
    limit = min(page_size or default, maximum)
    return Page(offset=_decode(page_token) if page_token else 0, limit=limit)


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _decode(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        offset = -1
    if type(offset) is not int or not 0 <= offset < MAX_OFFSET:
        raise invalid_argument(
            "PAGE_TOKEN_INVALID", [FieldViolation("page_token", "is not a token this list gave")]
        )
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
    if page_size < 0:
        raise invalid_argument(
            "PAGE_SIZE_INVALID", [FieldViolation("page_size", "must not be negative")]
        )
    limit = min(page_size or default, maximum)
    return Cursor(after=_decode(page_token) if page_token else None, limit=limit)
