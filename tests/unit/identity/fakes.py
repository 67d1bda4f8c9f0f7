"""Identity's ports in memory, for unit tests of the use cases (no servers). The rules the SQL
repositories implement — visibility sets, live-only lookups, ordering — are kept here."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from services.identity.domain.access import BUILT_IN_ROLES, CATALOGUE, Permission, Role
from services.identity.domain.api_keys import ApiKey, secret_hash
from services.identity.domain.departments import Department
from services.identity.domain.events import IdentityEvent
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.people import User
from services.identity.domain.security import SecurityEvent
from services.identity.domain.throttle import Attempts
from services.identity.domain.tokens import RefreshToken
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import OrganizationFilter, SecurityLogFilter, UserFilter
from services.identity.settings import IdentitySettings
from tests.support.fakes import BaseState, FakeClock, FakeDatabase, FakeUnit

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)


def _within(value: str, visible: frozenset[str] | None) -> bool:
    return visible is None or value in visible


def _contains(text: str, wanted: str) -> bool:
    return wanted.lower() in text.lower()


def _page(items: list[Any], offset: int, limit: int) -> list[Any]:
    return [copy.deepcopy(i) for i in items[offset : offset + limit]]


@dataclass
class IdentityState(BaseState):
    orgs: dict[str, Organization] = field(default_factory=dict)
    designations: dict[tuple[str, str], datetime] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[RefreshToken, str]] = field(default_factory=dict)
    security_log: list[SecurityEvent] = field(default_factory=list)
    attempts: dict[str, Attempts] = field(default_factory=dict)
    api_keys: dict[str, tuple[ApiKey, str]] = field(default_factory=dict)  # id → (key, hash)
    events: list[IdentityEvent] = field(default_factory=list)  # the outbox

    @classmethod
    def with_reference_data(cls) -> IdentityState:
        """The permission catalogue and built-in roles, as the migrations write them."""
        state = cls()
        for order, spec in enumerate(CATALOGUE):
            state.permissions[spec.code] = Permission(
                spec.code, spec.display_name, spec.kind, spec.parent_code, True, order
            )
        for built in BUILT_IN_ROLES:
            state.roles[built.id] = Role(
                built.id,
                built.display_name,
                built.kind,
                sorted(built.permission_codes),
                built.data_scope,
                built_in=True,
            )
        return state


class _Repo:
    def __init__(self, state: IdentityState, clock: FakeClock):
        self._s, self._clock = state, clock


class FakeOrganizations(_Repo):
    async def add(self, org: Organization) -> Organization:
        stored = replace(org, created_at=self._clock(), updated_at=self._clock())
        self._s.orgs[org.id] = stored
        return copy.deepcopy(stored)

    async def get(
        self, kind: OrgKind, org_id: str, *, visible: frozenset[str] | None, lock: bool = False
    ) -> Organization | None:
        found = self._s.orgs.get(org_id)
        ok = found is not None and found.kind is kind and _within(org_id, visible)
        return copy.deepcopy(found) if ok else None

    async def save(self, org: Organization) -> Organization:
        return await self.add(replace(org, created_at=self._s.orgs[org.id].created_at))

    async def find(
        self,
        kind: OrgKind,
        *,
        visible: frozenset[str] | None,
        where: OrganizationFilter,
        offset: int,
        limit: int,
    ) -> tuple[list[Organization], int]:
        found = [
            o
            for o in self._s.orgs.values()
            if o.kind is kind
            and _within(o.id, visible)
            and (where.show_deleted or o.deleted_at is None)
            and (not where.display_name or _contains(o.display_name, where.display_name))
            and (not where.industry or o.industry == where.industry)
            and (where.state is None or o.state is where.state)
        ]
        found.sort(key=lambda o: (o.created_at or _EPOCH, o.id))
        return _page(found, offset, limit), len(found)

    async def name_taken(self, kind: OrgKind, name: str, *, excluding: str = "") -> bool:
        return any(
            o.kind is kind and o.display_name == name and o.deleted_at is None and o.id != excluding
            for o in self._s.orgs.values()
        )

    async def designated_enterprises(self, provider_id: str) -> frozenset[str]:
        return frozenset(e for e, p in self._s.designations if p == provider_id)

    async def designated_providers(self, enterprise_id: str) -> frozenset[str]:
        return frozenset(p for e, p in self._s.designations if e == enterprise_id)

    async def designations_of(self, enterprise_id: str) -> list[tuple[Organization, datetime]]:
        found = [
            (copy.deepcopy(self._s.orgs[p]), at)
            for (e, p), at in self._s.designations.items()
            if e == enterprise_id
        ]
        return sorted(found, key=lambda pair: pair[1])

    async def designate(self, enterprise_id: str, provider_id: str) -> bool:
        if (enterprise_id, provider_id) in self._s.designations:
            return False
        self._s.designations[(enterprise_id, provider_id)] = self._clock()
        return True

    async def undesignate(self, enterprise_id: str, provider_id: str) -> bool:
        return self._s.designations.pop((enterprise_id, provider_id), None) is not None


class FakeDepartments(_Repo):
    async def add(self, department: Department) -> Department:
        stored = replace(department, created_at=self._clock(), updated_at=self._clock())
        self._s.departments[department.id] = stored
        return copy.deepcopy(stored)

    async def get(self, enterprise_id: str, department_id: str) -> Department | None:
        found = self._s.departments.get(department_id)
        return copy.deepcopy(found) if found and found.enterprise_id == enterprise_id else None

    async def find(self, enterprise_id: str) -> list[Department]:
        found = [d for d in self._s.departments.values() if d.enterprise_id == enterprise_id]
        return _page(sorted(found, key=lambda d: (d.sort_order, d.created_at or _EPOCH)), 0, 10**6)

    async def parents(self, enterprise_id: str, *, lock: bool = False) -> dict[str, str]:
        return {
            d.id: d.parent_id
            for d in self._s.departments.values()
            if d.enterprise_id == enterprise_id
        }

    async def save(self, department: Department) -> Department:
        created = self._s.departments[department.id].created_at
        return await self.add(replace(department, created_at=created))

    async def remove(self, department_id: str) -> None:
        del self._s.departments[department_id]

    async def has_children(self, department_id: str) -> bool:
        return any(d.parent_id == department_id for d in self._s.departments.values())

    async def has_users(self, department_id: str) -> bool:
        return any(
            u.department_id == department_id and u.deleted_at is None
            for u in self._s.users.values()
        )


class FakeUsers(_Repo):
    async def add(self, user: User) -> User:
        stored = replace(user, created_at=self._clock(), updated_at=self._clock())
        self._s.users[user.id] = stored
        return copy.deepcopy(stored)

    async def save(self, user: User) -> User:
        return await self.add(replace(user, created_at=self._s.users[user.id].created_at))

    async def get(
        self, user_id: str, *, orgs: frozenset[str] | None, lock: bool = False
    ) -> User | None:
        found = self._s.users.get(user_id)
        ok = found is not None and _within(found.organization_id, orgs)
        return copy.deepcopy(found) if ok else None

    async def find_for_login(self, login: str) -> User | None:
        for u in self._s.users.values():
            if login in (u.username, u.phone) and login and u.deleted_at is None:
                return copy.deepcopy(u)
        return None

    async def find_by(self, column: str, value: str) -> User | None:
        for u in self._s.users.values():
            if getattr(u, column) == value and value and u.deleted_at is None:
                return copy.deepcopy(u)
        return None

    async def taken(self, column: str, value: str, *, excluding: str = "") -> bool:
        found = await self.find_by(column, value)
        return found is not None and found.id != excluding

    async def find(
        self, *, orgs: frozenset[str] | None, where: UserFilter, offset: int, limit: int
    ) -> tuple[list[User], int]:
        found = [u for u in self._s.users.values() if self._matches(u, orgs, where)]
        found.sort(key=lambda u: (u.created_at or _EPOCH, u.id))
        return _page(found, offset, limit), len(found)

    async def set_roles(self, user_id: str, role_ids: list[str]) -> None:
        self._s.users[user_id].role_ids = sorted(dict.fromkeys(role_ids))

    @staticmethod
    def _matches(u: User, orgs: frozenset[str] | None, where: UserFilter) -> bool:
        return (
            _within(u.organization_id, orgs)
            and (where.show_deleted or u.deleted_at is None)
            and (not where.organization_id or u.organization_id == where.organization_id)
            and (where.department_ids is None or u.department_id in where.department_ids)
            and (where.kind is None or u.kind is where.kind)
            and (not where.only_user_id or u.id == where.only_user_id)
            and (not where.skill or where.skill in u.skills)
            and (where.state is None or u.state is where.state)
            and (
                not where.query
                or any(_contains(v, where.query) for v in (u.display_name, u.username, u.phone))
            )
        )


class FakeAccess(_Repo):
    async def roles(self, role_ids: list[str]) -> list[Role]:
        return [copy.deepcopy(self._s.roles[r]) for r in role_ids if r in self._s.roles]

    async def role(self, role_id: str, *, organization_id: str | None) -> Role | None:
        found = self._s.roles.get(role_id)
        if found is None or not self._visible(found, organization_id):
            return None
        return copy.deepcopy(found)

    async def list_roles(
        self, *, organization_id: str | None, kinds: set[Any] | None, offset: int, limit: int
    ) -> list[Role]:
        found = [
            r
            for r in self._s.roles.values()
            if self._visible(r, organization_id) and (kinds is None or r.kind in kinds)
        ]
        return _page(sorted(found, key=lambda r: not r.built_in), offset, limit)

    async def add_role(self, role: Role) -> Role:
        stored = replace(role, updated_at=self._clock())
        self._s.roles[role.id] = stored
        return copy.deepcopy(stored)

    async def save_role(self, role: Role) -> Role:
        return await self.add_role(role)

    async def remove_role(self, role_id: str) -> None:
        del self._s.roles[role_id]

    async def role_in_use(self, role_id: str) -> bool:
        return any(role_id in u.role_ids for u in self._s.users.values())

    async def role_name_taken(
        self, organization_id: str, name: str, *, excluding: str = ""
    ) -> bool:
        return any(
            r.organization_id == organization_id and r.display_name == name and r.id != excluding
            for r in self._s.roles.values()
        )

    async def permissions(self, *, show_disabled: bool) -> list[Permission]:
        found = [p for p in self._s.permissions.values() if show_disabled or p.enabled]
        return _page(sorted(found, key=lambda p: p.sort_order), 0, 10**6)

    async def enabled_codes(self) -> set[str]:
        return {p.code for p in self._s.permissions.values() if p.enabled}

    async def permission(self, code: str) -> Permission | None:
        return copy.deepcopy(self._s.permissions.get(code))

    async def save_permission(self, permission: Permission) -> Permission:
        self._s.permissions[permission.code] = copy.deepcopy(permission)
        return permission

    @staticmethod
    def _visible(role: Role, organization_id: str | None) -> bool:
        return organization_id is None or role.built_in or role.organization_id == organization_id


class FakeRefreshTokens(_Repo):
    async def add(self, token: RefreshToken, secret: str) -> None:
        self._s.refresh_tokens[token.id] = (copy.deepcopy(token), _digest(secret))

    async def find(self, secret: str) -> RefreshToken | None:
        for token, digest in self._s.refresh_tokens.values():
            if digest == _digest(secret):
                return copy.deepcopy(token)
        return None

    async def mark_used(self, token_id: str, now: datetime) -> None:
        self._s.refresh_tokens[token_id][0].used_at = now

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        for token, _ in self._s.refresh_tokens.values():
            if token.family_id == family_id and token.revoked_at is None:
                token.revoked_at = now

    async def revoke_user(self, user_id: str, now: datetime) -> None:
        for token, _ in self._s.refresh_tokens.values():
            if token.user_id == user_id and token.revoked_at is None:
                token.revoked_at = now


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class FakeSecurityLog(_Repo):
    async def add(self, event: SecurityEvent) -> None:
        self._s.security_log.append(replace(event, id=str(next(_ids)), created_at=self._clock()))

    async def find(
        self, *, orgs: frozenset[str] | None, where: SecurityLogFilter, offset: int, limit: int
    ) -> list[SecurityEvent]:
        found = [
            e
            for e in reversed(self._s.security_log)
            if _within(e.organization_id, orgs)
            and (not where.user_id or e.user_id == where.user_id)
            and (where.kind is None or e.kind is where.kind)
            and (not where.organization_id or e.organization_id == where.organization_id)
            and (where.start is None or (e.created_at or _EPOCH) >= where.start)
            and (where.end is None or (e.created_at or _EPOCH) < where.end)
        ]
        return _page(found, offset, limit)


class FakeAttempts(_Repo):
    async def of(self, keys: Iterable[str]) -> dict[str, Attempts]:
        return {k: copy.deepcopy(self._s.attempts[k]) for k in keys if k in self._s.attempts}

    async def save(self, attempts: Attempts) -> None:
        self._s.attempts[attempts.key] = copy.deepcopy(attempts)

    async def forget(self, key: str) -> None:
        self._s.attempts.pop(key, None)


class FakeApiKeys(_Repo):
    async def add(self, key: ApiKey) -> ApiKey:
        stored = replace(key, secret="", created_at=self._clock())
        self._s.api_keys[key.id] = (stored, secret_hash(key.secret))
        return copy.deepcopy(stored)

    async def get(self, organization_id: str, key_id: str, *, lock: bool = False) -> ApiKey | None:
        found = self._s.api_keys.get(key_id)
        if found is None or found[0].organization_id != organization_id:
            return None
        return copy.deepcopy(found[0])

    async def of_organization(self, organization_id: str) -> list[ApiKey]:
        keys = [k for k, _ in self._s.api_keys.values() if k.organization_id == organization_id]
        return copy.deepcopy(
            sorted(keys, key=lambda k: k.created_at or self._clock(), reverse=True)
        )

    async def live_count(self, organization_id: str) -> int:
        return sum(1 for k in await self.of_organization(organization_id) if not k.revoked)

    async def by_secret(self, secret: str) -> ApiKey | None:
        digest = secret_hash(secret)
        return next((copy.deepcopy(k) for k, h in self._s.api_keys.values() if h == digest), None)

    async def mark_used(self, key_id: str, now: datetime) -> None:
        self._s.api_keys[key_id][0].last_used_at = now

    async def revoke(self, key_id: str, now: datetime) -> None:
        key = self._s.api_keys[key_id][0]
        key.revoked_at = key.revoked_at or now


class FakeIdentityUnit(FakeUnit[IdentityState]):
    def __init__(self, database: FakeDatabase[IdentityState], clock: FakeClock):
        super().__init__(database)
        self._clock = clock

    def opened(self) -> None:
        self.orgs = FakeOrganizations(self.state, self._clock)
        self.departments = FakeDepartments(self.state, self._clock)
        self.users = FakeUsers(self.state, self._clock)
        self.access = FakeAccess(self.state, self._clock)
        self.refresh_tokens = FakeRefreshTokens(self.state, self._clock)
        self.security_log = FakeSecurityLog(self.state, self._clock)
        self.attempts = FakeAttempts(self.state, self._clock)
        self.api_keys = FakeApiKeys(self.state, self._clock)

    async def emit(self, event: IdentityEvent) -> None:
        self.state.events.append(copy.deepcopy(event))


class FakeKeyRing:
    """Tokens are base64 JSON with a marker: readable in tests, refused when tampered."""

    def __init__(self, clock: FakeClock):
        self._clock = clock

    async def sign(self, claims: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode()).decode()
        return f"fake.{body}.{_digest(body)[:16]}"

    async def verified(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        try:
            marker, body, check = token.split(".")
            claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body))
        except ValueError as error:
            raise ValueError("not a token") from error
        if marker != "fake" or check != _digest(body)[:16]:
            raise ValueError("bad signature")
        if claims.get("iss") != issuer or claims.get("aud") != audience:
            raise ValueError("wrong issuer or audience")
        if claims.get("exp", 0) <= self._clock().timestamp():
            raise ValueError("expired")
        return claims

    async def jwks(self) -> list[dict[str, str]]:
        return [{"kty": "OKP", "kid": "fake"}]

    async def key_for(self, kid: str) -> Any:
        return None


class FakeHasher:
    async def hash(self, password: str) -> str:
        return "hashed:" + password

    async def verify(self, password_hash: str, password: str) -> bool:
        return bool(password_hash) and password_hash == "hashed:" + password


class FakeWechat:
    """WeChat's answers for the codes a test hands out."""

    def __init__(self) -> None:
        self.openids: dict[str, str] = {}
        self.phones: dict[str, str] = {}

    async def openid_for(self, code: str) -> str:
        return self.openids[code]

    async def phone_for(self, phone_code: str) -> str:
        return self.phones[phone_code]


@dataclass
class World:
    database: FakeDatabase[IdentityState]
    clock: FakeClock
    wechat: FakeWechat
    deps: Deps

    @property
    def state(self) -> IdentityState:
        return self.database.state


def world(**settings: object) -> World:
    database = FakeDatabase(IdentityState.with_reference_data())
    clock, wechat = FakeClock(), FakeWechat()
    deps = Deps(
        uow=lambda: FakeIdentityUnit(database, clock),
        keys=FakeKeyRing(clock),
        wechat=wechat,
        passwords=FakeHasher(),
        settings=IdentitySettings(**settings),  # type: ignore[arg-type]
        clock=clock,
    )
    return World(database, clock, wechat, deps)
