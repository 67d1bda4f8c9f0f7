"""Failed sign-in counts per throttle key (domain/throttle.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.db import upsert
from services.identity.adapters.tables import sign_in_attempts
from services.identity.domain.throttle import Attempts


class AttemptsRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def of(self, keys: Iterable[str]) -> dict[str, Attempts]:
        rows = await self._db.execute(
            select(sign_in_attempts).where(sign_in_attempts.c.key.in_(sorted(keys)))
        )
        return {r.key: Attempts(r.key, r.failures, r.last_failure_at) for r in rows}

    async def save(self, attempts: Attempts) -> None:
        values = {
            "key": attempts.key,
            "failures": attempts.failures,
            "last_failure_at": attempts.last_failure_at,
        }
        await self._db.execute(upsert(sign_in_attempts, values, key=["key"]))

    async def forget(self, key: str) -> None:
        await self._db.execute(delete(sign_in_attempts).where(sign_in_attempts.c.key == key))
