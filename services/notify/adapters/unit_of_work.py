"""Notify's unit of work on PostgreSQL (implements `service_layer.ports.NotifyUnit`)."""

from __future__ import annotations

from servicekit.uow import UnitOfWork
from services.notify.adapters.events import DeliveryEventWriter
from services.notify.adapters.repositories.deliveries import DeliveryRepository
from services.notify.adapters.repositories.directory import DirectoryRepository
from services.notify.adapters.repositories.messages import MessageRepository
from services.notify.adapters.repositories.preferences import PreferenceRepository
from services.notify.adapters.repositories.templates import TemplateRepository
from services.notify.adapters.repositories.tickets import TicketsSeenRepository
from services.notify.adapters.repositories.webhooks import WebhookRepository


class NotifyUnitOfWork(UnitOfWork):
    directory: DirectoryRepository
    messages: MessageRepository
    tickets: TicketsSeenRepository
    templates: TemplateRepository
    preferences: PreferenceRepository
    deliveries: DeliveryRepository
    delivery_events: DeliveryEventWriter
    webhooks: WebhookRepository

    async def __aenter__(self) -> NotifyUnitOfWork:
        await super().__aenter__()
        self.directory = DirectoryRepository(self.connection)
        self.messages = MessageRepository(self.connection)
        self.tickets = TicketsSeenRepository(self.connection)
        self.templates = TemplateRepository(self.connection)
        self.preferences = PreferenceRepository(self.connection)
        self.deliveries = DeliveryRepository(self.connection)
        self.delivery_events = DeliveryEventWriter(self)
        self.webhooks = WebhookRepository(self.connection)
        return self
