"""`python -m services.tickets.entrypoints.publish_snapshot`: re-publish every ticket's
current state as TicketSnapshot events, for consumers that joined late or a broker that lost its log
(docs/operations.md, "Re-sync")."""

from __future__ import annotations

import asyncio

from servicekit.logs import configure_logging
from services.tickets.bootstrap import build_deps
from services.tickets.service_layer.snapshot import publish_snapshot
from services.tickets.settings import TicketsSettings


async def main() -> None:
    settings = TicketsSettings()
    configure_logging(service="tickets-snapshot", level=settings.log_level)
    deps = build_deps(settings)
    try:
        await publish_snapshot(deps)
    finally:
        await deps.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
