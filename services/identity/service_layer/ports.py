"""What identity's use cases need from outside, as protocols: repositories, the unit of work
holding them, the signing keys, password hashing and WeChat. `adapters/` implements them
(PostgreSQL, Ed25519 keys, argon2id, WeChat's HTTP API); `tests/unit/identity/fakes.py` in
memory. Members are read-only properties so concrete units satisfy the protocol structurally."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from servicekit.ports import UnitPort
from services.identity.domain.access import Permission, Role
from services.identity.domain.api_keys import ApiKey
from services.identity.domain.departments import Department
from services.identity.domain.events import IdentityEvent
from services.identity.domain.organizations import Organization, OrgKind, OrgState
from services.identity.domain.people import User, UserKind, UserState
from services.identity.domain.security import SecurityEvent, SecurityEventKind
from services.identity.domain.throttle import Attempts
from services.identity.domain.tokens import RefreshToken


@dataclass(frozen=True)
class OrganizationFilter:
    display_name: str = ""
    industry: str = ""
    state: OrgState | None = None
    show_deleted: bool = False


@dataclass(frozen=True)
class UserFilter:
    organization_id: str = ""
    department_ids: frozenset[str] | None = None
    kind: UserKind | None = None
    query: str = ""
    only_user_id: str = ""  # data scope "self"
    skill: str = ""
    state: UserState | None = None
    show_deleted: bool = False


@dataclass(frozen=True)
class SecurityLogFilter:
    user_id: str = ""
    kind: SecurityEventKind | None = None
    organization_id: str = ""
    start: datetime | None = None
    end: datetime | None = None


class Organizations(Protocol):
    async def add(self, org: Organization) -> Organization: ...

    async def get(
        self, kind: OrgKind, org_id: str, *, visible: frozenset[str] | None, lock: bool = False
    ) -> Organization | None: ...

    async def save(self, org: Organization) -> Organization: ...

    async def find(
        self,
        kind: OrgKind,
        *,
        visible: frozenset[str] | None,
        where: OrganizationFilter,
        offset: int,
        limit: int,
    ) -> tuple[list[Organization], int]: ...

    async def name_taken(self, kind: OrgKind, name: str, *, excluding: str = "") -> bool: ...
    async def designated_enterprises(self, provider_id: str) -> frozenset[str]: ...
    async def designated_providers(self, enterprise_id: str) -> frozenset[str]: ...

    async def designations_of(self, enterprise_id: str) -> list[tuple[Organization, datetime]]:
        """Live providers designated to the enterprise, with when."""

    async def designate(self, enterprise_id: str, provider_id: str) -> bool:
        """False when already designated."""

    async def undesignate(self, enterprise_id: str, provider_id: str) -> bool:
        """False when not designated."""


class Departments(Protocol):
    async def add(self, department: Department) -> Department: ...
    async def get(self, enterprise_id: str, department_id: str) -> Department | None: ...
    async def find(self, enterprise_id: str) -> list[Department]: ...

    async def parents(self, enterprise_id: str, *, lock: bool = False) -> dict[str, str]:
        """Every department of the enterprise: id -> parent id ("" at the top)."""

    async def save(self, department: Department) -> Department: ...
    async def remove(self, department_id: str) -> None: ...
    async def has_children(self, department_id: str) -> bool: ...
    async def has_users(self, department_id: str) -> bool: ...


class Users(Protocol):
    async def add(self, user: User) -> User: ...
    async def save(self, user: User) -> User: ...

    async def get(
        self, user_id: str, *, orgs: frozenset[str] | None, lock: bool = False
    ) -> User | None: ...

    async def find_for_login(self, login: str) -> User | None:
        """By username, phone or email."""

    async def find_by(self, column: str, value: str) -> User | None: ...
    async def taken(self, column: str, value: str, *, excluding: str = "") -> bool: ...

    async def find(
        self, *, orgs: frozenset[str] | None, where: UserFilter, offset: int, limit: int
    ) -> tuple[list[User], int]: ...

    async def set_roles(self, user_id: str, role_ids: list[str]) -> None: ...


class Access(Protocol):
    async def roles(self, role_ids: list[str]) -> list[Role]: ...
    async def role(self, role_id: str, *, organization_id: str | None) -> Role | None: ...

    async def list_roles(
        self,
        *,
        organization_id: str | None,
        kinds: set[UserKind] | None,
        offset: int,
        limit: int,
    ) -> list[Role]: ...

    async def add_role(self, role: Role) -> Role: ...
    async def save_role(self, role: Role) -> Role: ...
    async def remove_role(self, role_id: str) -> None: ...
    async def role_in_use(self, role_id: str) -> bool: ...

    async def role_name_taken(
        self, organization_id: str, name: str, *, excluding: str = ""
    ) -> bool: ...

    async def permissions(self, *, show_disabled: bool) -> list[Permission]: ...
    async def enabled_codes(self) -> set[str]: ...
    async def permission(self, code: str) -> Permission | None: ...
    async def save_permission(self, permission: Permission) -> Permission: ...


class RefreshTokens(Protocol):
    async def add(self, token: RefreshToken, secret: str) -> None: ...
    async def find(self, secret: str) -> RefreshToken | None: ...
    async def mark_used(self, token_id: str, now: datetime) -> None: ...
    async def revoke_family(self, family_id: str, now: datetime) -> None: ...
    async def revoke_user(self, user_id: str, now: datetime) -> None: ...


class ApiKeys(Protocol):
    async def add(self, key: ApiKey) -> ApiKey: ...
    async def get(
        self, organization_id: str, key_id: str, *, lock: bool = False
    ) -> ApiKey | None: ...
    async def of_organization(self, organization_id: str) -> list[ApiKey]: ...
    async def live_count(self, organization_id: str) -> int: ...
    async def by_secret(self, secret: str) -> ApiKey | None: ...
    async def mark_used(self, key_id: str, now: datetime) -> None: ...
    async def revoke(self, key_id: str, now: datetime) -> None: ...


class SecurityLog(Protocol):
    async def add(self, event: SecurityEvent) -> None: ...

    async def find(
        self,
        *,
        orgs: frozenset[str] | None,
        where: SecurityLogFilter,
        offset: int,
        limit: int,
    ) -> list[SecurityEvent]: ...


class SignInAttempts(Protocol):
    async def of(self, keys: Iterable[str]) -> dict[str, Attempts]: ...
    async def save(self, attempts: Attempts) -> None: ...
    async def forget(self, key: str) -> None: ...


class KeyRing(Protocol):
    """Identity's signing keys."""

    async def sign(self, claims: dict[str, Any]) -> str: ...

    async def verified(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        """The claims of a token this ring signed; ValueError when it is not valid."""

    async def jwks(self) -> list[dict[str, str]]: ...

    async def key_for(self, kid: str) -> Any:
        """The public key of `kid` (a `servicekit.auth.tokens.KeySource`)."""


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """False for a wrong password and for an empty hash (taking as long either way)."""


class Wechat(Protocol):
    """WeChat's mini-program login API."""

    async def openid_for(self, code: str) -> str: ...
    async def phone_for(self, phone_code: str) -> str: ...


class IdentityUnit(UnitPort, Protocol):
    @property
    def orgs(self) -> Organizations: ...
    @property
    def departments(self) -> Departments: ...
    @property
    def users(self) -> Users: ...
    @property
    def access(self) -> Access: ...
    @property
    def refresh_tokens(self) -> RefreshTokens: ...
    @property
    def security_log(self) -> SecurityLog: ...
    @property
    def attempts(self) -> SignInAttempts: ...
    @property
    def api_keys(self) -> ApiKeys: ...

    async def emit(self, event: IdentityEvent) -> None:
        """The event goes out through the outbox when this transaction commits."""
