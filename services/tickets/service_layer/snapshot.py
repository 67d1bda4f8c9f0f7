"""Re-publishing every ticket's current state (DESIGN.md §4: snapshots for late joiners).

Each ticket goes out as `TicketSnapshot` with its current version through the outbox, keyed
by ticket id, so on each key it follows every earlier event. Tickets are read in id order, a
page per transaction, so a million tickets never sit in one transaction.
"""

from __future__ import annotations

import logging

from services.tickets.service_layer.deps import Deps

log = logging.getLogger(__name__)


async def publish_snapshot(deps: Deps, *, page_size: int = 500) -> int:
    """Publishes every ticket's state; returns how many events were written."""
    published, after = 0, ""
    while True:
        async with deps.uow() as uow:
            page = await uow.tickets.page_by_id(after=after, limit=page_size)
            for ticket in page:
                await uow.publish_state(ticket)
            await uow.commit()
        published += len(page)
        if len(page) < page_size:
            log.info("tickets snapshot published", extra={"events": published})
            return published
        after = page[-1].id
