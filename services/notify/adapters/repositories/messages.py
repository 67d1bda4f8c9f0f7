"""The message centre on PostgreSQL (implements `ports.Messages`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.tables import WAKE_CHANNEL, messages
from services.notify.domain.messages import Category, Message, MessageDraft, UnreadCount
from services.notify.service_layer.ports import MessageQuery


class MessageRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def add(self, drafts: list[MessageDraft], *, event_id: str, now: datetime) -> int:
        if not drafts:
            return 0
        users = sorted({d.user_id for d in drafts})
        for user_id in users:  # in one order everywhere: no deadlock between consumers
            await self._db.execute(select(func.pg_advisory_xact_lock(_user_key(user_id))))
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
            .returning(messages.c.user_id)
        )
        added = (await self._db.execute(statement)).scalars().all()
        await self._wake(set(added))
        return len(added)

    async def _wake(self, user_ids: set[str]) -> None:
        """Streams of these users look again once this transaction commits (NOTIFY is
        delivered at commit, to every listening notify process)."""
        for user_id in sorted(user_ids):
            await self._db.execute(select(func.pg_notify(WAKE_CHANNEL, user_id)))

    async def after(self, user_id: str, seq: int, limit: int) -> list[Message]:
        statement = (
            select(messages)
            .where(messages.c.user_id == user_id, messages.c.seq > seq)
            .order_by(messages.c.seq)
            .limit(limit)
        )
        return [_message(row) for row in await self._db.execute(statement)]

    async def latest_seq(self, user_id: str) -> int:
        found = await self._db.scalar(
            select(func.max(messages.c.seq)).where(messages.c.user_id == user_id)
        )
        return int(found or 0)

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
        marked = await self._db.execute(
            update(messages).where(mine, messages.c.read_at.is_(None)).values(read_at=now)
        )
        if marked.rowcount:
            await self._wake({user_id})
        row = (await self._db.execute(select(messages).where(mine))).first()
        return _message(row) if row else None

    async def mark_all_read(self, user_id: str, now: datetime) -> int:
        result = await self._db.execute(
            update(messages)
            .where(messages.c.user_id == user_id, messages.c.read_at.is_(None))
            .values(read_at=now)
        )
        if result.rowcount:
            await self._wake({user_id})
        return result.rowcount


def _user_key(user_id: str) -> Any:
    """Serialises message inserts per user, so one user's positions commit in order and a
    stream that saw position n has seen everything before it."""
    return func.hashtextextended(f"notify-user:{user_id}", 0)


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
