"""`python -m servicekit.outbox`: run the outbox relay of the service whose database is
TICKETING_DATABASE_URL, publishing to TICKETING_KAFKA_BOOTSTRAP. One image, many entrypoints:
each service's relay runs as its own process (or Deployment)."""

from __future__ import annotations

import asyncio
import signal

from servicekit.db import create_engine
from servicekit.kafka import create_producer
from servicekit.logs import configure_logging
from servicekit.outbox.relay import OutboxRelay
from servicekit.settings import BaseServiceSettings


async def main() -> None:
    settings = BaseServiceSettings()
    configure_logging(service="outbox-relay", level=settings.log_level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url, pool_size=2)
    producer = create_producer(settings.kafka_bootstrap, client_id="outbox-relay")
    await producer.start()
    try:
        await OutboxRelay(engine, producer).run(stop)
    finally:
        await producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
