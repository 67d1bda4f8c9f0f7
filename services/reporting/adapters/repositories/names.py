"""Display names of organisations and people, as of their latest event."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.adapters.tables import names


class NamesRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def put(self, kind: str, id: str, name: str) -> None:
        statement = insert(names).values(kind=kind, id=id, name=name)
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=[names.c.kind, names.c.id], set_={"name": statement.excluded.name}
            )
        )
