"""`python -m services.identity.entrypoints.grpc_main`: serve identity's gRPC API."""

from __future__ import annotations

import asyncio

from servicekit.health import database_check
from servicekit.logs import configure_logging
from servicekit.rpc.server import serve
from services.identity.bootstrap import build_deps, build_server
from services.identity.service_layer.service_accounts import ensure_service_accounts
from services.identity.service_layer.snapshot import publish_built_in_roles
from services.identity.settings import IdentitySettings


async def main() -> None:
    settings = IdentitySettings()
    configure_logging(service="identity", level=settings.log_level)
    deps = build_deps(settings)
    await ensure_service_accounts(deps, settings.service_accounts)
    await publish_built_in_roles(deps)
    server = build_server(deps, listen=settings.grpc_listen)
    await serve(server, settings, checks=[database_check(deps.engine)])


if __name__ == "__main__":
    asyncio.run(main())
