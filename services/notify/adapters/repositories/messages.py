"""The message centre on PostgreSQL (implements `ports.Messages`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.tables import messages
from services.notify.domain.messages import Category, Message, MessageDraft, UnreadCount
from services.notify.service_layer.ports import MessageQuery


class MessageRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def add(self, drafts: list[MessageDraft], *, event_id: str, now: datetime) -> int:
        if not drafts:
            return 0
        rows = [
            {
                "id": uuid.uuid4().hex,
                "user_id": d.user_id,
                "event_id": event_id,
                "category": d.category.value,
                "title": d.title,
                "body": d.body,
                "event_type": d.event_type,
                "ticket_id": d.ticket_id,
                "ticket_number": d.ticket_number,
                "created_at": now,
            }
            for d in drafts
        ]
        statement = (
            insert(messages)
            .values(rows)
            .on_conflict_do_nothing(constraint="messages_once_per_event")
            .returning(messages.c.id)
        )
        return len((await self._db.execute(statement)).all())

    async def find(self, query: MessageQuery) -> list[Message]:
        statement = select(messages).where(messages.c.user_id == query.user_id)
        if query.unread_only:
            statement = statement.where(messages.c.read_at.is_(None))
        if query.category is not None:
            statement = statement.where(messages.c.category == query.category.value)
        if query.before_seq is not None:
            statement = statement.where(messages.c.seq < query.before_seq)
        statement = statement.order_by(messages.c.seq.desc()).limit(query.limit)
        return [_message(row) for row in await self._db.execute(statement)]

    async def unread(self, user_id: str) -> UnreadCount:
        statement = (
            select(messages.c.category, func.count())
            .where(messages.c.user_id == user_id, messages.c.read_at.is_(None))
            .group_by(messages.c.category)
        )
        counts = {row[0]: row[1] for row in await self._db.execute(statement)}
        return UnreadCount(
            system=counts.get(Category.SYSTEM.value, 0), ticket=counts.get(Category.TICKET.value, 0)
        )

    async def mark_read(self, user_id: str, message_id: str, now: datetime) -> Message | None:
        mine = (messages.c.id == message_id) & (messages.c.user_id == user_id)
        await self._db.execute(
            update(messages).where(mine, messages.c.read_at.is_(None)).values(read_at=now)
        )
        row = (await self._db.execute(select(messages).where(mine))).first()
        return _message(row) if row else None

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        result = await self._db.execute(
            update(messages)
            .where(messages.c.user_id == user_id, messages.c.read_at.is_(None))
            .values(read_at=now)
        )
        return result.rowcount


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        seq=row.seq,
        draft=MessageDraft(
            user_id=row.user_id,
            category=Category(row.category),
            title=row.title,
            body=row.body,
            event_type=row.event_type,
            ticket_id=row.ticket_id,
            ticket_number=row.ticket_number,
        ),
        created_at=row.created_at,
        read_at=row.read_at,
    )
