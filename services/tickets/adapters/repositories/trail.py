"""Comments and the append-only history."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.tickets.adapters.tables import comments, history
from services.tickets.domain.events import Comment, HistoryEntry, TicketEvent
from services.tickets.domain.status import Status


def history_row(ticket_id: str, step: TicketEvent) -> dict[str, object]:
    actor = step.actor
    return {
        "ticket_id": ticket_id,
        "action": step.action,
        "actor_id": actor.user_id if actor else "",
        "actor_kind": actor.kind if actor else "system",
        "actor_organization_id": actor.organization_id if actor else "",
        "from_status": step.from_status.value,
        "to_status": step.to_status.value,
        "changes": {k: v for k, v in step.changes.items() if v},
        "note": step.note,
        "internal": step.internal,
    }


class TrailRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def record(self, ticket_id: str, step: TicketEvent) -> None:
        await self._db.execute(insert(history), history_row(ticket_id, step))

    async def history(
        self, ticket_id: str, *, include_internal: bool, offset: int, limit: int
    ) -> list[HistoryEntry]:
        query = select(history).where(history.c.ticket_id == ticket_id)
        if not include_internal:
            query = query.where(~history.c.internal)
        rows = await self._db.execute(query.order_by(history.c.id).offset(offset).limit(limit))
        return [
            HistoryEntry(
                **{
                    **r._mapping,
                    "from_status": Status(r.from_status),
                    "to_status": Status(r.to_status),
                }
            )
            for r in rows
        ]

    async def add_comment(self, comment: Comment) -> Comment:
        values = {k: v for k, v in comment.__dict__.items() if k != "created_at"}
        values["attachment_ids"] = comment.attachment_ids or []
        row = (await self._db.execute(insert(comments).values(**values).returning(comments))).one()
        return Comment(**row._mapping)

    async def comments(
        self, ticket_id: str, *, include_internal: bool, offset: int, limit: int
    ) -> list[Comment]:
        query = select(comments).where(comments.c.ticket_id == ticket_id)
        if not include_internal:
            query = query.where(~comments.c.internal)
        rows = await self._db.execute(
            query.order_by(comments.c.created_at, comments.c.id).offset(offset).limit(limit)
        )
        return [Comment(**r._mapping) for r in rows]
