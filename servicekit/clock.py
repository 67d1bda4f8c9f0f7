"""The wall clock use cases read through their Deps (tests pass a clock they move by hand)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
