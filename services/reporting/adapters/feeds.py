"""Reporting's consumer: every event of every topic it reads goes into the ledger, and in the
same transaction (the consumer's, beside its inbox row) a ticket's event re-folds the ticket's
fact and an identity event keeps the names current."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.events.v1 import envelope_pb2

from servicekit.consumer import Handler
from services.reporting import mapping
from services.reporting.adapters.unit_of_work import ReportingUnitOfWork
from services.reporting.service_layer import recording


def recorder(clock: Callable[[], datetime]) -> Handler:
    async def handle(db: AsyncConnection, envelope: envelope_pb2.EventEnvelope) -> None:
        async with ReportingUnitOfWork(None, joining=db) as uow:
            entry = mapping.entry_of(envelope, envelope.SerializeToString(), clock())
            if not await recording.record(uow, entry, mapping.ticket_event_of):
                return
            named = mapping.name_of(envelope)
            if named is not None:
                await recording.name(uow, *named)

    return handle
