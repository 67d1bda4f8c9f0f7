"""Ticket facts on PostgreSQL: one row per ticket, replaced by each fold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.adapters.tables import ticket_fact_history, ticket_facts
from services.reporting.domain.facts import TicketFact


class FactsRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def lock(self, ticket_id: str) -> None:
        await self._db.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"reporting-fact:{ticket_id}"},
        )

    async def put(self, fact: TicketFact) -> None:
        values = row_of(fact)
        statement = insert(ticket_facts).values(values)
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=[ticket_facts.c.ticket_id],
                set_={k: statement.excluded[k] for k in values if k != "ticket_id"},
            )
        )

    async def put_versions(
        self, ticket_id: str, since: datetime, found: list[tuple[datetime, TicketFact | None]]
    ) -> None:
        H = ticket_fact_history
        mine = H.c.ticket_id == ticket_id
        await self._db.execute(delete(H).where(mine, H.c.valid_from >= since))
        before = select(func.max(H.c.valid_from)).where(mine, H.c.valid_from < since)
        await self._db.execute(
            update(H)
            .where(mine, H.c.valid_from == before.scalar_subquery())
            .values(valid_to=found[0][0] if found else None)
        )
        if rows := history_rows(found):
            await self._db.execute(insert(H), rows)


def history_rows(found: list[tuple[datetime, TicketFact | None]]) -> list[dict[str, Any]]:
    """History rows of versions, each valid until the next."""
    rows: list[dict[str, Any]] = []
    for i, (moment, fact) in enumerate(found):
        if fact is not None:
            until = found[i + 1][0] if i + 1 < len(found) else None
            rows.append({**row_of(fact), "valid_from": moment, "valid_to": until})
    return rows


def row_of(fact: TicketFact) -> dict[str, Any]:
    t = fact.ticket
    return {
        "ticket_id": t.ticket_id,
        "version": fact.version,
        "number": t.number,
        "title": t.title,
        "enterprise_id": t.enterprise_id,
        "requester_id": t.requester_id,
        "provider_id": t.provider_id,
        "engineer_id": t.engineer_id,
        "service_type_id": t.service_type_id,
        "service_type_path": list(t.service_type_path),
        "service_level_id": t.service_level_id,
        "priority": t.priority,
        "channel": t.channel,
        "status": t.status.value,
        "created_at": t.created_at,
        "approved_at": fact.approved_at,
        "assigned_at": fact.assigned_at,
        "first_response_at": fact.first_response_at,
        "resolved_at": fact.resolved_at,
        "closed_at": fact.closed_at,
        "cancelled_at": fact.cancelled_at,
        "ended_at": fact.ended_at,
        "finished_at": fact.finished_at,
        "reopen_count": fact.reopen_count,
        "rating_score": t.rating_score,
        "rating_comment": t.rating_comment,
        "response_due_at": t.response_due_at,
        "resolution_due_at": t.resolution_due_at,
        "response_breached": fact.response_breached,
        "resolution_breached": fact.resolution_breached,
    }
