"""`python -m services.reporting.entrypoints.grpc_main`: serve reporting's gRPC API."""

from __future__ import annotations

import asyncio

from servicekit.auth.tokens import JwksKeySource
from servicekit.health import database_check
from servicekit.logs import configure_logging
from servicekit.rpc.server import serve
from services.reporting.bootstrap import build_deps, build_server
from services.reporting.settings import ReportingSettings


async def main() -> None:
    settings = ReportingSettings()
    configure_logging(service="reporting", level=settings.log_level)
    deps = build_deps(settings)
    server = build_server(deps, listen=settings.grpc_listen, keys=JwksKeySource(settings.jwks_url))
    await serve(server, settings, checks=[database_check(deps.engine)])


if __name__ == "__main__":
    asyncio.run(main())
