"""`python -m services.identity.entrypoints.rotate_signing_key`: start signing with a new
key. The old key stays in the JWKS for one access-token lifetime, so nobody is signed out."""

from __future__ import annotations

import asyncio
import logging

from servicekit.logs import configure_logging
from services.identity.bootstrap import build_deps
from services.identity.settings import IdentitySettings

log = logging.getLogger(__name__)


async def main() -> None:
    settings = IdentitySettings()
    configure_logging(service="identity-keys", level=settings.log_level)
    deps = build_deps(settings)
    kid = await deps.key_ring.rotate(deps.clock())
    log.info("signing with a new key", extra={"kid": kid})


if __name__ == "__main__":
    asyncio.run(main())
