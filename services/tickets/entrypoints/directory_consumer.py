"""`python -m services.tickets.entrypoints.directory_consumer`: keep tickets' copy of
identity's people and designations current from identity's events."""

from __future__ import annotations

import asyncio

from servicekit.health import flag_check, run_worker
from servicekit.logs import configure_logging
from services.tickets.bootstrap import build_deps, directory_consumer
from services.tickets.settings import TicketsSettings


async def main() -> None:
    settings = TicketsSettings()
    configure_logging(service="tickets-directory", level=settings.log_level)
    consumer = directory_consumer(build_deps(settings))
    checks = [flag_check(lambda: consumer.healthy)]
    await run_worker(consumer.run, listen=settings.grpc_listen, checks=checks)


if __name__ == "__main__":
    asyncio.run(main())
