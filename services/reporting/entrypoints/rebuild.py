"""`python -m services.reporting.entrypoints.rebuild`: rebuild the ticket facts from the ledger
into a new table and swap it in, while the reports keep answering and the recorder keeps
recording (adapters/rebuild.py). Prints what it folded."""

from __future__ import annotations

import asyncio

from servicekit.db import create_engine
from servicekit.logs import configure_logging
from services.reporting import mapping
from services.reporting.adapters.rebuild import rebuild
from services.reporting.settings import ReportingSettings


async def main() -> None:
    settings = ReportingSettings()
    configure_logging(service="reporting-rebuild", level=settings.log_level)
    engine = create_engine(settings.database_url)
    try:
        done = await rebuild(engine, mapping.ticket_event_of)
    finally:
        await engine.dispose()
    rate = done.events / done.seconds if done.seconds else 0.0
    print(
        f"rebuilt {done.tickets} ticket facts from {done.events} ledger events "
        f"in {done.seconds:.1f} s ({rate:,.0f} events/s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
