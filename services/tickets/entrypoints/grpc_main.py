"""`python -m services.tickets.entrypoints.grpc_main`: serve tickets' gRPC API and run the
auto-close timer beside it."""

from __future__ import annotations

import asyncio

from servicekit.auth.tokens import JwksKeySource
from servicekit.health import database_check
from servicekit.logs import configure_logging
from servicekit.rpc.server import serve
from services.tickets.bootstrap import build_deps, build_server, run_timer
from services.tickets.settings import TicketsSettings


async def main() -> None:
    settings = TicketsSettings()
    configure_logging(service="tickets", level=settings.log_level)
    deps = build_deps(settings)
    server = build_server(deps, listen=settings.grpc_listen, keys=JwksKeySource(settings.jwks_url))
    stop = asyncio.Event()
    timer = asyncio.create_task(run_timer(deps, stop))
    try:
        await serve(server, settings, checks=[database_check(deps.engine)])
    finally:
        stop.set()
        await timer


if __name__ == "__main__":
    asyncio.run(main())
