"""`python -m services.tickets.entrypoints.directory_consumer`: keep tickets' copy of
identity's people and designations current from identity's events."""

from __future__ import annotations

import asyncio
import signal

from servicekit.logs import configure_logging
from services.tickets.bootstrap import build_deps, directory_consumer
from services.tickets.settings import TicketsSettings


async def main() -> None:
    settings = TicketsSettings()
    configure_logging(service="tickets-directory", level=settings.log_level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await directory_consumer(build_deps(settings)).run(stop)


if __name__ == "__main__":
    asyncio.run(main())
