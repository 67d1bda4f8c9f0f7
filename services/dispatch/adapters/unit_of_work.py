"""Dispatch's unit of work on PostgreSQL (implements `service_layer.ports.DispatchUnit`)."""

from __future__ import annotations

from sqlalchemy import func, select

from servicekit.uow import UnitOfWork
from services.dispatch.adapters.events import envelope_of, topic_of
from services.dispatch.adapters.repositories.decisions import (
    DecisionRepository,
    TicketsSeenRepository,
)
from services.dispatch.adapters.repositories.directory import DirectoryRepository
from services.dispatch.adapters.repositories.rules import RuleRepository
from services.dispatch.adapters.repositories.sla import SlaRepository
from services.dispatch.domain.events import DispatchEvent


class DispatchUnitOfWork(UnitOfWork):
    rules: RuleRepository
    directory: DirectoryRepository
    tickets: TicketsSeenRepository
    decisions: DecisionRepository
    sla: SlaRepository

    async def __aenter__(self) -> DispatchUnitOfWork:
        await super().__aenter__()
        self.opened()
        return self

    def opened(self) -> None:
        self.rules = RuleRepository(self.connection)
        self.directory = DirectoryRepository(self.connection)
        self.tickets = TicketsSeenRepository(self.connection)
        self.decisions = DecisionRepository(self.connection)
        self.sla = SlaRepository(self.connection)

    async def lock_tickets(self, ticket_ids: list[str]) -> None:
        for ticket_id in sorted(ticket_ids):
            key = func.hashtextextended(f"dispatch-ticket:{ticket_id}", 0)
            await self.connection.execute(select(func.pg_advisory_xact_lock(key)))

    async def lock_provider(self, provider_id: str) -> None:
        key = func.hashtextextended(f"dispatch-provider:{provider_id}", 0)
        await self.connection.execute(select(func.pg_advisory_xact_lock(key)))

    async def emit(self, event: DispatchEvent) -> None:
        await self.publish(topic_of(event), envelope_of(event))
