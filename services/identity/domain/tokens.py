"""Refresh tokens: single use, rotated on every refresh, grouped in families. Presenting a
used or revoked token means it leaked: the whole family is revoked."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class RefreshVerdict(enum.Enum):
    USABLE = "usable"
    EXPIRED = "expired"
    REUSED = "reused"  # used or revoked before: revoke the family


@dataclass
class RefreshToken:
    id: str
    family_id: str
    user_id: str
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def verdict(self, now: datetime) -> RefreshVerdict:
        if self.used_at is not None or self.revoked_at is not None:
            return RefreshVerdict.REUSED
        if self.expires_at <= now:
            return RefreshVerdict.EXPIRED
        return RefreshVerdict.USABLE
