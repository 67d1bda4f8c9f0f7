"""Tickets' unit of work: one transaction with every repository on it."""

from __future__ import annotations

from servicekit.uow import UnitOfWork
from services.tickets.adapters.repositories.attachments import AttachmentRepository
from services.tickets.adapters.repositories.catalog import CatalogRepository
from services.tickets.adapters.repositories.directory import DirectoryRepository
from services.tickets.adapters.repositories.knowledge import KnowledgeRepository
from services.tickets.adapters.repositories.tickets import TicketRepository
from services.tickets.adapters.repositories.trail import TrailRepository


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
