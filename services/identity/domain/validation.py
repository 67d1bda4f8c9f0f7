"""Input rules shared by identity's commands; each failure names its field."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicekit.errors import DomainError, FieldViolation, invalid_argument
from services.identity.domain.people import LOCALES

_PHONE = re.compile(r"^(\+[1-9]\d{6,14}|1[3-9]\d{9})$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


class Checks:
    """Collects violations so one error names every bad field at once."""

    def __init__(self, prefix: str = ""):
        self._prefix = f"{prefix}." if prefix else ""
        self.violations: list[FieldViolation] = []

    def fail(self, field: str, description: str) -> None:
        self.violations.append(FieldViolation(self._prefix + field, description))

    def required(self, field: str, value: str, *, max_length: int = 200) -> None:
        if not value.strip():
            self.fail(field, "is required")
        elif len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters")

    def optional_text(self, field: str, value: str, *, max_length: int = 500) -> None:
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters")

    def https_url(self, field: str, value: str, *, max_length: int = 1000) -> None:
        """Empty, or an https: URL with a host (no javascript:, data: or plain http:)."""
        if not value:
            return
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters")
        elif not _is_https_url(value):
            self.fail(field, "must be an https:// address")

    def code(self, field: str, value: str, *, max_length: int) -> None:
        """Empty, or a short printable code without spaces at its ends (e.g. 工号 E-0042)."""
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters")
        elif value and (not value.isprintable() or value != value.strip()):
            self.fail(field, "must be printable, without leading or trailing spaces")

    def locale(self, field: str, value: str) -> None:
        if value not in LOCALES:
            self.fail(field, f"must be one of {', '.join(LOCALES)}")

    def time_zone(self, field: str, value: str) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(field, "is not an IANA time zone (e.g. Asia/Shanghai)")

    def phone(self, field: str, value: str, *, required: bool = False) -> None:
        if not value:
            if required:
                self.fail(field, "is required")
        elif not _PHONE.match(value):
            self.fail(field, "must be an 11-digit mainland number or +<country><number>")

    def email(self, field: str, value: str) -> None:
        if value and not _EMAIL.match(value):
            self.fail(field, "is not an email address")

    def username(self, field: str, value: str) -> None:
        if value and not _USERNAME.match(value):
            self.fail(field, "must be 3-64 letters, digits or _ . @ -")

    def password(self, field: str, value: str, *, required: bool) -> None:
        if not value:
            if required:
                self.fail(field, "is required")
        elif len(value) < MIN_PASSWORD:
            self.fail(field, f"must be at least {MIN_PASSWORD} characters")

    def raise_if_any(self, reason: str) -> None:
        if self.violations:
            raise invalid_argument(reason, self.violations)


def _is_https_url(value: str) -> bool:
    if not value.isprintable() or " " in value:
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme == "https" and bool(parts.hostname)
    except ValueError:  # e.g. a malformed IPv6 host
        return False


def one_field_error(reason: str, field: str, description: str) -> DomainError:
    return invalid_argument(reason, [FieldViolation(field, description)])
