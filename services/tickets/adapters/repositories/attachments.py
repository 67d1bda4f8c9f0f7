"""Attachment metadata (the bytes are in the store)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.tickets.adapters.tables import attachments
from services.tickets.domain.attachments import Attachment


class AttachmentRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, item: Attachment) -> Attachment:
        values = {k: v for k, v in item.__dict__.items() if k not in ("created_at", "deleted_at")}
        row = (
            await self._db.execute(insert(attachments).values(**values).returning(attachments))
        ).one()
        return Attachment(**row._mapping)

    async def get(self, ticket_id: str, attachment_id: str) -> Attachment | None:
        row = (
            await self._db.execute(
                select(attachments).where(
                    attachments.c.ticket_id == ticket_id,
                    attachments.c.id == attachment_id,
                    attachments.c.deleted_at.is_(None),
                )
            )
        ).first()
        return Attachment(**row._mapping) if row else None

    async def of_ticket(self, ticket_id: str) -> list[Attachment]:
        rows = await self._db.execute(
            select(attachments)
            .where(attachments.c.ticket_id == ticket_id, attachments.c.deleted_at.is_(None))
            .order_by(attachments.c.created_at, attachments.c.id)
        )
        return [Attachment(**r._mapping) for r in rows]

    async def remove(self, attachment_id: str, now: datetime) -> None:
        await self._db.execute(
            update(attachments).where(attachments.c.id == attachment_id).values(deleted_at=now)
        )
