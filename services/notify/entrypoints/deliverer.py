"""`python -m services.notify.entrypoints.deliverer`: send the deliveries the notifier made
(email over SMTP), retrying failures with backoff, and publish an event per attempt through
the outbox (run several: each delivery is claimed by one of them)."""

from __future__ import annotations

import asyncio

from servicekit.health import database_check, run_worker
from servicekit.logs import configure_logging
from services.notify.bootstrap import build_deps, run_deliverer
from services.notify.settings import NotifySettings


async def main() -> None:
    settings = NotifySettings()
    configure_logging(service="notify-deliverer", level=settings.log_level)
    deps = build_deps(settings)
    try:
        await run_worker(
            lambda stop: run_deliverer(deps, stop),
            listen=settings.grpc_listen,
            checks=[database_check(deps.engine)],
        )
    finally:
        await deps.close()


if __name__ == "__main__":
    asyncio.run(main())
