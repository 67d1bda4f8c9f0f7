"""Reporting's consumer: every event of every topic it reads goes into the ledger, and in the
same transaction (the consumer's, beside its inbox rows) the tickets' events re-fold their
tickets' facts and identity events keep the names current. It takes a partition's poll at once
(the consumer's batch handler): one ledger insert, one read of the touched tickets' events,
one write of their facts and histories per poll."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.events.v1 import envelope_pb2

from servicekit.consumer import BatchHandler
from services.reporting import mapping
from services.reporting.adapters.unit_of_work import ReportingUnitOfWork
from services.reporting.service_layer import recording


def recorder(clock: Callable[[], datetime]) -> BatchHandler:
    async def handle(db: AsyncConnection, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
        async with ReportingUnitOfWork(None, joining=db) as uow:
            now = clock()
            entries = [mapping.entry_of(e, e.SerializeToString(), now) for e in envelopes]
            added = await recording.record(uow, entries, mapping.ticket_event_of)
            for envelope in envelopes:
                named = mapping.name_of(envelope) if envelope.event_id in added else None
                if named is not None:
                    await recording.name(uow, *named)

    return handle
