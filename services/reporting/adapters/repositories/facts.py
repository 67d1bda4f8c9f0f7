"""Ticket facts on PostgreSQL: one row per ticket, replaced by each fold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.adapters.tables import ticket_fact_history, ticket_facts
from services.reporting.domain.facts import TicketFact
from services.reporting.service_layer.ports import Versions

_H = ticket_fact_history
_upsert = insert(ticket_facts)
# Built once: one statement for a whole batch of facts (executemany), its SQL compiled once.
_PUT = _upsert.on_conflict_do_update(
    index_elements=[ticket_facts.c.ticket_id],
    set_={c.name: _upsert.excluded[c.name] for c in ticket_facts.columns if c.name != "ticket_id"},
)
_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('reporting-fact:' || k, 0)) "
    "FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS t(k, n) ORDER BY n"
)
_CUT = text(
    "DELETE FROM ticket_fact_history h "
    "USING unnest(CAST(:ids AS text[]), CAST(:sinces AS timestamptz[])) AS c(ticket_id, since) "
    "WHERE h.ticket_id = c.ticket_id AND h.valid_from >= c.since"
)
# The version before each cut lasts until the first new one (or is current again).
_REOPEN = text(
    "UPDATE ticket_fact_history h SET valid_to = c.valid_to "
    "FROM unnest(CAST(:ids AS text[]), CAST(:sinces AS timestamptz[]), "
    "CAST(:tos AS timestamptz[])) AS c(ticket_id, since, valid_to) "
    "WHERE h.ticket_id = c.ticket_id AND h.valid_from = ("
    "SELECT max(x.valid_from) FROM ticket_fact_history x "
    "WHERE x.ticket_id = c.ticket_id AND x.valid_from < c.since)"
)
_ADD_VERSIONS = insert(_H)


class FactsRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def lock(self, ticket_ids: list[str]) -> None:
        if ticket_ids:
            await self._db.execute(_LOCK, {"ids": list(ticket_ids)})

    async def put(self, facts: list[TicketFact]) -> None:
        if facts:
            await self._db.execute(_PUT, [row_of(fact) for fact in facts])

    async def put_versions(self, cuts: list[Versions]) -> None:
        if not cuts:
            return
        ids, sinces = [c.ticket_id for c in cuts], [c.since for c in cuts]
        await self._db.execute(_CUT, {"ids": ids, "sinces": sinces})
        tos = [c.found[0][0] if c.found else None for c in cuts]
        await self._db.execute(_REOPEN, {"ids": ids, "sinces": sinces, "tos": tos})
        if rows := [row for c in cuts for row in history_rows(c.found)]:
            await self._db.execute(_ADD_VERSIONS, rows)


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
