"""Re-publishing every ticket's current state (DESIGN.md §4: snapshots for late joiners).

Each ticket goes out as `TicketSnapshot` with its current version through the outbox, keyed
by ticket id, so on each key it follows every earlier event. Tickets are read in id order, a
page per transaction, so a million tickets never sit in one transaction.
"""

from __future__ import annotations

import logging

from services.tickets.domain.catalog import ServiceLevel, ServiceType
from services.tickets.service_layer.deps import Deps

log = logging.getLogger(__name__)


async def publish_snapshot(deps: Deps, *, page_size: int = 500) -> int:
    """Publishes the catalogue (every service type and level) and every ticket's state;
    returns how many events were written."""
    async with deps.uow() as uow:
        types = await uow.catalog.list_types(parent_id="", show_disabled=True)
        levels = await uow.catalog.list_levels()
        items: list[ServiceType | ServiceLevel] = [*types, *levels]
        for item in items:
            await uow.publish_catalog("snapshot", item)
        await uow.commit()
    published, after = len(types) + len(levels), ""
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
