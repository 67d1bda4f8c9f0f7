"""API keys, found by their secret's hash."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.tables import api_keys
from services.identity.domain.api_keys import ApiKey, secret_hash

_COLUMNS = {f.name for f in fields(ApiKey)} - {"secret"}


def _key(row: Row) -> ApiKey:  # type: ignore[type-arg]
    return ApiKey(**{name: getattr(row, name) for name in _COLUMNS})


class ApiKeyRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, key: ApiKey) -> ApiKey:
        values = {name: getattr(key, name) for name in _COLUMNS if name != "created_at"}
        row = (
            await self._db.execute(
                insert(api_keys)
                .values(**values, secret_hash=secret_hash(key.secret))
                .returning(api_keys)
            )
        ).one()
        return _key(row)

    async def get(self, organization_id: str, key_id: str, *, lock: bool = False) -> ApiKey | None:
        query = select(api_keys).where(
            api_keys.c.organization_id == organization_id, api_keys.c.id == key_id
        )
        row = (await self._db.execute(query.with_for_update() if lock else query)).first()
        return _key(row) if row else None

    async def of_organization(self, organization_id: str) -> list[ApiKey]:
        rows = await self._db.execute(
            select(api_keys)
            .where(api_keys.c.organization_id == organization_id)
            .order_by(api_keys.c.created_at.desc(), api_keys.c.id)
        )
        return [_key(r) for r in rows]

    async def live_count(self, organization_id: str) -> int:
        rows = await self._db.execute(
            select(api_keys.c.id).where(
                api_keys.c.organization_id == organization_id, api_keys.c.revoked_at.is_(None)
            )
        )
        return len(rows.all())

    async def by_secret(self, secret: str) -> ApiKey | None:
        row = (
            await self._db.execute(
                select(api_keys).where(api_keys.c.secret_hash == secret_hash(secret))
            )
        ).first()
        return _key(row) if row else None

    async def mark_used(self, key_id: str, now: datetime) -> None:
        await self._db.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now)
        )

    async def revoke(self, key_id: str, now: datetime) -> None:
        await self._db.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
