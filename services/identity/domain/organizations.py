"""Enterprises and providers: enable/disable, soft delete and undelete."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from services.identity.domain.lifecycle import ActiveState, Lifecycle

OrgState = ActiveState


class OrgKind(enum.Enum):
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"


@dataclass
class Organization(Lifecycle):
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
    def can_sign_in(self) -> bool:
        return self.is_active

    @property
    def reason_prefix(self) -> str:
        return self.kind.value.upper()
