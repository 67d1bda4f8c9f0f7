"""`python -m services.identity.entrypoints.publish_snapshot`: re-publish identity's current
state as SNAPSHOT events, for consumers that joined late or a broker that lost its log
(docs/operations.md, "Re-sync")."""

from __future__ import annotations

import asyncio

from servicekit.logs import configure_logging
from services.identity.bootstrap import build_deps
from services.identity.service_layer.snapshot import publish_snapshot
from services.identity.settings import IdentitySettings


async def main() -> None:
    settings = IdentitySettings()
    configure_logging(service="identity-snapshot", level=settings.log_level)
    deps = build_deps(settings)
    try:
        await publish_snapshot(deps)
    finally:
        await deps.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
