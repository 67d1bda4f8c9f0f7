"""Identity's unit of work on PostgreSQL: one transaction with every repository on it, events
written to the outbox in it (implements `service_layer.ports.IdentityUnit`)."""

from __future__ import annotations

from servicekit.uow import UnitOfWork
from services.identity.adapters.events import outgoing
from services.identity.adapters.repositories.access import AccessRepository
from services.identity.adapters.repositories.api_keys import ApiKeyRepository
from services.identity.adapters.repositories.attempts import AttemptsRepository
from services.identity.adapters.repositories.credentials import (
    RefreshTokenRepository,
    SecurityLogRepository,
)
from services.identity.adapters.repositories.departments import DepartmentRepository
from services.identity.adapters.repositories.organizations import OrganizationRepository
from services.identity.adapters.repositories.users import UserRepository
from services.identity.domain.events import IdentityEvent


class IdentityUnitOfWork(UnitOfWork):
    orgs: OrganizationRepository
    departments: DepartmentRepository
    users: UserRepository
    access: AccessRepository
    refresh_tokens: RefreshTokenRepository
    security_log: SecurityLogRepository
    attempts: AttemptsRepository
    api_keys: ApiKeyRepository

    async def __aenter__(self) -> IdentityUnitOfWork:
        await super().__aenter__()
        self.orgs = OrganizationRepository(self.connection)
        self.departments = DepartmentRepository(self.connection)
        self.users = UserRepository(self.connection)
        self.access = AccessRepository(self.connection)
        self.refresh_tokens = RefreshTokenRepository(self.connection)
        self.security_log = SecurityLogRepository(self.connection)
        self.attempts = AttemptsRepository(self.connection)
        self.api_keys = ApiKeyRepository(self.connection)
        return self

    async def emit(self, event: IdentityEvent) -> None:
        out = outgoing(event)
        await self.publish(out.topic, out.envelope, key=out.key)
