"""Which tickets notify has heard of, at which version (implements `ports.TicketsSeen`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.tables import tickets


class TicketsSeenRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def saw(self, ticket_id: str, version: int, *, creation: bool) -> bool:
        before = await self._db.scalar(
            select(tickets.c.creation_seen).where(tickets.c.id == ticket_id)
        )
        statement = insert(tickets).values(id=ticket_id, version=version, creation_seen=creation)
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=["id"],
                set_={
                    "version": func.greatest(tickets.c.version, statement.excluded.version),
                    "creation_seen": tickets.c.creation_seen | statement.excluded.creation_seen,
                },
            )
        )
        return bool(before)
