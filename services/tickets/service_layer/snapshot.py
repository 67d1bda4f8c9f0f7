"""Re-publishing every ticket's current state (DESIGN.md §4: snapshots for late joiners).

Each ticket goes out as `TicketSnapshot` with its current version through the outbox, keyed
by ticket id, so on each key it follows every earlier event. Tickets are read in id order, a
page per transaction, so a million tickets never sit in one transaction.
"""

from __future__ import annotations

import logging

from ticketing.events.v1 import ticket_events_pb2

from servicekit.events import new_envelope
from services.tickets import mapping
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.events import TOPIC

log = logging.getLogger(__name__)


async def publish_snapshot(deps: Deps, *, page_size: int = 500) -> int:
    """Publishes every ticket's state; returns how many events were written."""
    published, after = 0, ""
    while True:
        async with deps.uow() as uow:
            page = await uow.tickets.page_by_id(after=after, limit=page_size)
            for ticket in page:
                envelope = new_envelope(
                    payload=ticket_events_pb2.TicketSnapshot(ticket=mapping.ticket_pb(ticket)),
                    aggregate_type="ticket",
                    aggregate_id=ticket.id,
                    tenant_id=ticket.enterprise_id,
                    aggregate_version=ticket.version,
                )
                await uow.publish(TOPIC, envelope)
            await uow.commit()
        published += len(page)
        if len(page) < page_size:
            log.info("tickets snapshot published", extra={"events": published})
            return published
        after = page[-1].id
