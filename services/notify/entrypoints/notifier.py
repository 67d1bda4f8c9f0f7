"""`python -m services.notify.entrypoints.notifier`: keep notify's directory current from
identity's events and turn tickets' events into messages (run several for more throughput:
they share the consumer group's partitions)."""

from __future__ import annotations

import asyncio

from servicekit.health import flag_check, run_worker
from servicekit.logs import configure_logging
from services.notify.bootstrap import build_deps, notifier
from services.notify.settings import NotifySettings


async def main() -> None:
    settings = NotifySettings()
    configure_logging(service="notify-notifier", level=settings.log_level)
    consumer = notifier(build_deps(settings))
    await run_worker(
        consumer.run, listen=settings.grpc_listen, checks=[flag_check(lambda: consumer.healthy)]
    )


if __name__ == "__main__":
    asyncio.run(main())
