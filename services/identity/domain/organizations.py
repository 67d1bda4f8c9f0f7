"""Enterprises and providers: enable/disable, soft delete and undelete."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.errors import failed_precondition


class OrgState(enum.Enum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class OrgKind(enum.Enum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"


@dataclass
class Organization:
    """An enterprise (customer tenant) or a provider; the two share their lifecycle."""

    id: str
    kind: OrgKind
    display_name: str
    contact_name: str = ""
    contact_phone: str = ""
    address: str = ""
    industry: str = ""  # enterprises
    logo_url: str = ""  # enterprises
    tags: list[str] = field(default_factory=list)  # providers
    state: OrgState = OrgState.ENABLED
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def can_sign_in(self) -> bool:
        return self.state is OrgState.ENABLED and not self.is_deleted

    def disable(self) -> None:
        self._require_live()
        if self.state is OrgState.DISABLED:
            raise failed_precondition(f"{self._reason}_ALREADY_DISABLED", "already disabled")
        self.state = OrgState.DISABLED

    def enable(self) -> None:
        self._require_live()
        if self.state is OrgState.ENABLED:
            raise failed_precondition(f"{self._reason}_ALREADY_ENABLED", "already enabled")
        self.state = OrgState.ENABLED

    def delete(self, now: datetime) -> None:
        self._require_live()
        self.deleted_at = now

    def undelete(self) -> None:
        if not self.is_deleted:
            raise failed_precondition(f"{self._reason}_NOT_DELETED", "is not deleted")
        self.deleted_at = None

    def _require_live(self) -> None:
        if self.is_deleted:
            raise failed_precondition(f"{self._reason}_DELETED", "is deleted; undelete it first")

    @property
    def _reason(self) -> str:
        return self.kind.value.upper()
