"""Refresh tokens (stored as SHA-256 hashes) and the security log."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.repositories.filters import paged, within
from services.identity.adapters.tables import refresh_tokens, security_logs
from services.identity.domain.security import SecurityEvent, SecurityEventKind
from services.identity.domain.tokens import RefreshToken
from services.identity.service_layer.ports import SecurityLogFilter


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(row: Row) -> RefreshToken:  # type: ignore[type-arg]
    return RefreshToken(
        id=row.id,
        family_id=row.family_id,
        user_id=row.user_id,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class RefreshTokenRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, token: RefreshToken, secret: str) -> None:
        await self._db.execute(
            insert(refresh_tokens).values(
                id=token.id,
                family_id=token.family_id,
                user_id=token.user_id,
                token_hash=token_hash(secret),
                expires_at=token.expires_at,
            )
        )

    async def find(self, secret: str) -> RefreshToken | None:
        row = (
            await self._db.execute(
                select(refresh_tokens)
                .where(refresh_tokens.c.token_hash == token_hash(secret))
                .with_for_update()
            )
        ).first()
        return _token(row) if row else None

    async def mark_used(self, token_id: str, now: datetime) -> None:
        await self._db.execute(
            update(refresh_tokens).where(refresh_tokens.c.id == token_id).values(used_at=now)
        )

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self._db.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_user(self, user_id: str, now: datetime) -> None:
        await self._db.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class SecurityLogRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, event: SecurityEvent) -> None:
        await self._db.execute(
            insert(security_logs).values(
                kind=event.kind.value,
                user_id=event.user_id,
                login=event.login,
                actor_user_id=event.actor_user_id,
                organization_id=event.organization_id,
                ip_address=event.ip_address,
                user_agent=event.user_agent,
                details=event.details,
            )
        )

    async def find(
        self, *, orgs: frozenset[str] | None, where: SecurityLogFilter, offset: int, limit: int
    ) -> list[SecurityEvent]:
        conditions = [within(security_logs.c.organization_id, orgs)]
        if where.user_id:
            conditions.append(security_logs.c.user_id == where.user_id)
        if where.kind is not None:
            conditions.append(security_logs.c.kind == where.kind.value)
        if where.organization_id:
            conditions.append(security_logs.c.organization_id == where.organization_id)
        if where.start is not None:
            conditions.append(security_logs.c.created_at >= where.start)
        if where.end is not None:
            conditions.append(security_logs.c.created_at < where.end)
        query = select(security_logs).where(*conditions)
        rows = await self._db.execute(
            paged(query.order_by(security_logs.c.id.desc()), offset, limit)
        )
        return [
            SecurityEvent(
                id=str(r.id),
                kind=SecurityEventKind(r.kind),
                user_id=r.user_id,
                login=r.login,
                actor_user_id=r.actor_user_id,
                organization_id=r.organization_id,
                ip_address=r.ip_address,
                user_agent=r.user_agent,
                details=dict(r.details),
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def count(self) -> int:
        return int(await self._db.scalar(select(func.count()).select_from(security_logs)) or 0)
