"""`python -m services.reporting.entrypoints.recorder`: append every event to reporting's
ledger and keep the ticket facts and names current (run several for more throughput: they
share the consumer group's partitions). It also makes the ledger's monthly partitions ahead
of time; an event of a month without one waits in the default partition, so a database that
is away when a partition is due loses nothing."""

from __future__ import annotations

import asyncio
import logging

from servicekit.health import flag_check, run_worker
from servicekit.logs import configure_logging
from services.reporting.adapters.repositories.ledger import ensure_partitions
from services.reporting.bootstrap import Runtime, build_deps, recorder
from services.reporting.settings import ReportingSettings

log = logging.getLogger(__name__)
PARTITION_CHECK_SECONDS = 3600.0


async def keep_partitions(deps: Runtime, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            made = await ensure_partitions(deps.engine, deps.clock())
            if made:
                log.info("ledger partitions made", extra={"partitions": made})
            delay = PARTITION_CHECK_SECONDS
        except Exception as error:  # the database away: events wait in the default partition
            log.warning("ledger partitions not checked", extra={"error": repr(error)})
            delay = 60.0
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            continue


async def main() -> None:
    settings = ReportingSettings()
    configure_logging(service="reporting-recorder", level=settings.log_level)
    deps = build_deps(settings)
    consumer = recorder(deps)

    async def work(stop: asyncio.Event) -> None:
        await asyncio.gather(consumer.run(stop), keep_partitions(deps, stop))

    await run_worker(
        work, listen=settings.grpc_listen, checks=[flag_check(lambda: consumer.healthy)]
    )


if __name__ == "__main__":
    asyncio.run(main())
