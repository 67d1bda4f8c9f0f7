"""`python -m services.identity.entrypoints.publish_snapshot`: re-publish identity's current
state as SNAPSHOT events, for consumers that joined
late or a broker that lost its log (docs/operations.md, "Re-sync")."""

from __future__ import annotations

import asyncio

from servicekit.oneshot import run_once
from services.identity.bootstrap import build_deps
from services.identity.service_layer.snapshot import publish_snapshot
from services.identity.settings import IdentitySettings

if __name__ == "__main__":
    asyncio.run(
        run_once(
            IdentitySettings(),
            service="identity-snapshot",
            build_deps=build_deps,
            command=publish_snapshot,
        )
    )
