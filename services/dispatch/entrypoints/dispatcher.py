"""`python -m services.dispatch.entrypoints.dispatcher`: keep dispatch's read model and SLA
clocks current from identity's and tickets' events, route tickets that wait for a provider,
apply the decisions through tickets' API, and raise SLA alerts as they come due (one process;
run several for more throughput)."""

from __future__ import annotations

import asyncio

from servicekit.health import flag_check, run_worker
from servicekit.logs import configure_logging
from services.dispatch.bootstrap import build_deps, feed_consumer, run_applier, run_sla_timer
from services.dispatch.settings import DispatchSettings


async def main() -> None:
    settings = DispatchSettings()
    configure_logging(service="dispatch-dispatcher", level=settings.log_level)
    deps = build_deps(settings)
    consumer = feed_consumer(deps)

    async def work(stop: asyncio.Event) -> None:
        workers = [
            asyncio.create_task(run_applier(deps, stop)),
            asyncio.create_task(run_sla_timer(deps, stop)),
        ]
        try:
            await consumer.run(stop)
        finally:
            stop.set()
            await asyncio.gather(*workers)

    await run_worker(
        work, listen=settings.grpc_listen, checks=[flag_check(lambda: consumer.healthy)]
    )


if __name__ == "__main__":
    asyncio.run(main())
