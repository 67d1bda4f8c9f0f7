"""What happened in identity, as typed values named in the past tense. Use cases hand them to
their unit of work (`uow.emit`); `adapters/events.py` is the one place that turns them into
protobuf envelopes for the outbox (topic, record key, payload)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from servicekit.auth.principal import Principal
from services.identity.domain.access import Role
from services.identity.domain.departments import Department
from services.identity.domain.organizations import Organization
from services.identity.domain.people import User


class Change(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    ENABLED = "enable"
    DISABLED = "disable"
    DELETED = "delete"
    UNDELETED = "undelete"
    SNAPSHOT = "snapshot"  # the current state, re-published for late joiners


@dataclass(frozen=True)
class OrganizationChanged:
    change: Change
    organization: Organization
    actor: Principal | None = None


@dataclass(frozen=True)
class PersonChanged:
    change: Change
    user: User
    actor: Principal | None = None


@dataclass(frozen=True)
class RoleChanged:
    change: Change
    role: Role
    actor: Principal | None = None


@dataclass(frozen=True)
class DepartmentChanged:
    change: Change
    department: Department
    actor: Principal | None = None


@dataclass(frozen=True)
class DesignationChanged:
    """A provider designated to an enterprise (CREATED), withdrawn (DELETED) or re-stated
    (SNAPSHOT)."""

    change: Change
    enterprise_id: str
    provider: Organization
    designated_at: datetime
    actor: Principal | None = None


@dataclass(frozen=True)
class AccessRevoked:
    """Access tokens every service must refuse before they expire: those issued up to
    `revoked_at` to a user, to an organisation's people, or in one sign-in session."""

    revoked_at: datetime
    reason: str
    user_id: str = ""
    organization_id: str = ""
    session_id: str = ""
    actor: Principal | None = None


EntityEvent = (
    OrganizationChanged | PersonChanged | RoleChanged | DepartmentChanged | DesignationChanged
)
IdentityEvent = EntityEvent | AccessRevoked
