"""Decisions (with their candidates, scores and exclusions) and the tickets they are about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.adapters.tables import decisions, tickets
from services.dispatch.domain.events import DecisionKind, DecisionState, RecordedDecision
from services.dispatch.domain.routing import (
    Candidate,
    Decision,
    Excluded,
    Exclusion,
    Strategy,
    TicketFacts,
)
from services.dispatch.service_layer.ports import TicketState

ROUTING = (DecisionKind.PROVIDER_CHOSEN.value, DecisionKind.ENGINEER_CHOSEN.value,
           DecisionKind.NO_MATCH.value)  # fmt: skip


def _decision(row: Row[Any]) -> RecordedDecision:
    return RecordedDecision(
        id=row.id,
        kind=DecisionKind(row.kind),
        state=DecisionState(row.state),
        decision=Decision(
            ticket_id=row.ticket_id,
            rule_id=row.rule_id,
            rule_version=row.rule_version,
            provider_id=row.provider_id,
            engineer_id=row.engineer_id,
            strategy=Strategy(row.strategy) if row.strategy else None,
            claim_until=row.claim_until,
            candidates=tuple(Candidate(c["engineer_id"], c["scores"]) for c in row.candidates),
            excluded=tuple(Excluded(e["subject_id"], Exclusion[e["reason"]]) for e in row.excluded),
            explanation=row.explanation,
            provider_rule_id=row.provider_rule_id,
            provider_rule_version=row.provider_rule_version,
            priority=row.priority,
        ),
        created_at=row.created_at,
        attempts=row.attempts,
        last_error=row.last_error,
        recheck_at=row.recheck_at,
        replaces=row.replaces_engineer_id,
    )


class DecisionRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, recorded: RecordedDecision) -> None:
        d = recorded.decision
        await self._db.execute(
            insert(decisions).values(
                id=recorded.id,
                ticket_id=d.ticket_id,
                kind=recorded.kind.value,
                rule_id=d.rule_id,
                rule_version=d.rule_version,
                provider_id=d.provider_id,
                engineer_id=d.engineer_id,
                strategy=d.strategy.value if d.strategy else "",
                claim_until=d.claim_until,
                candidates=[
                    {"engineer_id": c.engineer_id, "scores": dict(c.scores)} for c in d.candidates
                ],
                excluded=[
                    {"subject_id": e.subject_id, "reason": e.reason.name} for e in d.excluded
                ],
                explanation=d.explanation,
                state=recorded.state.value,
                created_at=recorded.created_at,
                recheck_at=recorded.recheck_at,
                replaces_engineer_id=recorded.replaces,
                provider_rule_id=d.provider_rule_id,
                provider_rule_version=d.provider_rule_version,
                priority=d.priority,
            )
        )

    async def of_ticket(self, ticket_id: str) -> list[RecordedDecision]:
        rows = await self._db.execute(
            select(decisions)
            .where(decisions.c.ticket_id == ticket_id)
            .order_by(decisions.c.created_at, decisions.c.id)
        )
        return [_decision(r) for r in rows]

    async def routed(self, ticket_id: str) -> bool:
        found = await self._db.scalar(
            select(decisions.c.id)
            .where(decisions.c.ticket_id == ticket_id, decisions.c.kind.in_(ROUTING))
            .limit(1)
        )
        return found is not None

    async def pending(self, limit: int) -> list[RecordedDecision]:
        rows = await self._db.execute(
            select(decisions)
            .where(decisions.c.state == DecisionState.PENDING.value)
            .order_by(decisions.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_decision(r) for r in rows]

    async def awaiting_engineer(self, now: datetime, limit: int) -> list[RecordedDecision]:
        waiting = decisions.join(tickets, tickets.c.id == decisions.c.ticket_id)
        rows = await self._db.execute(
            select(decisions)
            .select_from(waiting)
            .where(
                decisions.c.recheck_at <= now,
                decisions.c.state == DecisionState.APPLIED.value,
                tickets.c.status == "pending_assignment",
                tickets.c.engineer_id == "",
                tickets.c.provider_id == decisions.c.provider_id,
            )
            .order_by(decisions.c.recheck_at)
            .limit(limit)
            .with_for_update(of=decisions, skip_locked=True)
        )
        return [_decision(r) for r in rows]

    async def awaiting_start(self, now: datetime, limit: int) -> list[RecordedDecision]:
        held = decisions.join(tickets, tickets.c.id == decisions.c.ticket_id)
        rows = await self._db.execute(
            select(decisions)
            .select_from(held)
            .where(
                decisions.c.recheck_at <= now,
                decisions.c.state == DecisionState.APPLIED.value,
                decisions.c.engineer_id != "",
                tickets.c.status == "assigned",
                tickets.c.engineer_id == decisions.c.engineer_id,
            )
            .order_by(decisions.c.recheck_at)
            .limit(limit)
            .with_for_update(of=decisions, skip_locked=True)
        )
        return [_decision(r) for r in rows]

    async def redispatch_now(self, engineer_id: str, now: datetime) -> int:
        unstarted = select(tickets.c.id).where(
            tickets.c.engineer_id == engineer_id, tickets.c.status == "assigned"
        )
        result = await self._db.execute(
            update(decisions)
            .where(
                decisions.c.engineer_id == engineer_id,
                decisions.c.state == DecisionState.APPLIED.value,
                decisions.c.ticket_id.in_(unstarted),
            )
            .values(recheck_at=now)
        )
        return result.rowcount or 0

    async def redispatch_ticket(self, ticket_id: str, now: datetime) -> int:
        holder = select(tickets.c.engineer_id).where(
            tickets.c.id == ticket_id, tickets.c.status == "assigned"
        )
        result = await self._db.execute(
            update(decisions)
            .where(
                decisions.c.ticket_id == ticket_id,
                decisions.c.state == DecisionState.APPLIED.value,
                decisions.c.engineer_id != "",
                decisions.c.engineer_id == holder.scalar_subquery(),
            )
            .values(recheck_at=now)
        )
        return result.rowcount or 0

    async def recheck(self, decision_id: str, at: datetime | None) -> None:
        await self._db.execute(
            update(decisions).where(decisions.c.id == decision_id).values(recheck_at=at)
        )

    async def settle(self, decision_id: str, state: DecisionState, error: str) -> None:
        await self._db.execute(
            update(decisions)
            .where(decisions.c.id == decision_id)
            .values(
                state=state.value,
                last_error=error,
                attempts=decisions.c.attempts + 1,
                applied_at=func.now() if state is DecisionState.APPLIED else None,
            )
        )


class TicketsSeenRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def get(self, ticket_id: str) -> TicketState | None:
        row = (await self._db.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
        return _state(row) if row is not None else None

    async def raised_between(self, start: datetime, end: datetime, limit: int) -> list[TicketState]:
        rows = await self._db.execute(
            select(tickets)
            .where(tickets.c.raised_at >= start, tickets.c.raised_at < end)
            .order_by(tickets.c.raised_at, tickets.c.id)
            .limit(limit)
        )
        return [_state(r) for r in rows]

    async def pool(self, provider_id: str, limit: int) -> list[tuple[str, str]]:
        sent_by = (
            select(decisions.c.rule_id)
            .where(
                decisions.c.ticket_id == tickets.c.id,
                decisions.c.kind == DecisionKind.PROVIDER_CHOSEN.value,
                decisions.c.provider_id == provider_id,
            )
            .order_by(decisions.c.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        rows = await self._db.execute(
            select(tickets.c.id, func.coalesce(sent_by, ""))
            .where(
                tickets.c.status == "pending_assignment",
                tickets.c.provider_id == provider_id,
                tickets.c.engineer_id == "",
            )
            .order_by(tickets.c.raised_at, tickets.c.id)
            .limit(limit)
        )
        return [(ticket_id, rule_id) for ticket_id, rule_id in rows]

    async def unrouted(self, limit: int) -> list[str]:
        routed = (
            select(decisions.c.id)
            .where(decisions.c.ticket_id == tickets.c.id, decisions.c.kind.in_(ROUTING))
            .exists()
        )
        rows = await self._db.scalars(
            select(tickets.c.id)
            .where(tickets.c.status == "pending_assignment", tickets.c.provider_id == "", ~routed)
            .order_by(tickets.c.raised_at)
            .limit(limit)
        )
        return list(rows)

    async def upsert(self, state: TicketState) -> bool:
        """Writes the ticket unless a newer version is stored; False when it was older."""
        f = state.facts
        values = {
            "id": f.ticket_id,
            "enterprise_id": f.enterprise_id,
            "service_type_path": list(f.service_type_path),
            "service_level_id": f.service_level_id,
            "priority": f.priority,
            "channel": f.channel,
            "custom_fields": dict(f.custom_fields),
            "status": state.status,
            "provider_id": state.provider_id,
            "engineer_id": state.engineer_id,
            "version": state.version,
            "raised_at": f.created_at,
        }
        statement = pg_insert(tickets).values(**values)
        written = await self._db.scalar(
            statement.on_conflict_do_update(
                index_elements=["id"],
                set_={k: statement.excluded[k] for k in values if k != "id"},
                where=tickets.c.version <= statement.excluded.version,
            ).returning(tickets.c.id)
        )
        return written is not None


def _state(row: Row[Any]) -> TicketState:
    facts = TicketFacts(
        ticket_id=row.id,
        enterprise_id=row.enterprise_id,
        service_type_path=tuple(row.service_type_path),
        service_level_id=row.service_level_id,
        priority=row.priority,
        channel=row.channel,
        custom_fields=row.custom_fields,
        created_at=row.raised_at,
    )
    return TicketState(facts, row.status, row.provider_id, row.engineer_id, row.version)
