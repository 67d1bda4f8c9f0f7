"""Tickets' unit of work on PostgreSQL: one transaction with every repository on it, the
history and the outbox written in it (implements `service_layer.ports.TicketsUnit`)."""

from __future__ import annotations

from servicekit.uow import UnitOfWork
from services.tickets.adapters.events import (
    CATALOG_TOPIC,
    TOPIC,
    catalog_envelope,
    envelope_for,
    snapshot_envelope,
)
from services.tickets.adapters.repositories.attachments import AttachmentRepository
from services.tickets.adapters.repositories.catalog import CatalogRepository
from services.tickets.adapters.repositories.directory import DirectoryRepository
from services.tickets.adapters.repositories.knowledge import KnowledgeRepository
from services.tickets.adapters.repositories.tickets import TicketRepository
from services.tickets.adapters.repositories.trail import TrailRepository
from services.tickets.domain.catalog import ServiceLevel, ServiceType
from services.tickets.domain.events import TicketEvent
from services.tickets.domain.tickets import Ticket


class TicketsUnitOfWork(UnitOfWork):
    catalog: CatalogRepository
    tickets: TicketRepository
    trail: TrailRepository
    directory: DirectoryRepository
    attachments: AttachmentRepository
    knowledge: KnowledgeRepository

    async def __aenter__(self) -> TicketsUnitOfWork:
        await super().__aenter__()
        self.catalog = CatalogRepository(self.connection)
        self.tickets = TicketRepository(self.connection)
        self.trail = TrailRepository(self.connection)
        self.directory = DirectoryRepository(self.connection)
        self.attachments = AttachmentRepository(self.connection)
        self.knowledge = KnowledgeRepository(self.connection)
        return self

    async def record(self, ticket: Ticket, event: TicketEvent) -> None:
        await self.trail.record(ticket.id, event)
        await self.publish(TOPIC, envelope_for(ticket, event))

    async def publish_state(self, ticket: Ticket) -> None:
        await self.publish(TOPIC, snapshot_envelope(ticket))

    async def publish_catalog(self, change: str, item: ServiceType | ServiceLevel) -> None:
        await self.publish(CATALOG_TOPIC, catalog_envelope(change, item))
