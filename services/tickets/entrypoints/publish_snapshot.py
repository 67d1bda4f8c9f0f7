"""`python -m services.tickets.entrypoints.publish_snapshot`: re-publish every ticket's
current state as TicketSnapshot events, for consumers that joined
late or a broker that lost its log (docs/operations.md, "Re-sync")."""

from __future__ import annotations

import asyncio

from servicekit.oneshot import run_once
from services.tickets.bootstrap import build_deps
from services.tickets.service_layer.snapshot import publish_snapshot
from services.tickets.settings import TicketsSettings

if __name__ == "__main__":
    asyncio.run(
        run_once(
            TicketsSettings(),
            service="tickets-snapshot",
            build_deps=build_deps,
            command=publish_snapshot,
        )
    )
