"""`python -m servicekit.outbox`: run the outbox relay of the service whose database is
TICKETING_DATABASE_URL, publishing to TICKETING_KAFKA_BOOTSTRAP. One image, many entrypoints:
each service's relay runs as its own process (or Deployment)."""

from __future__ import annotations

import asyncio

from servicekit.db import create_engine
from servicekit.health import flag_check, run_worker
from servicekit.kafka import create_producer
from servicekit.logs import configure_logging
from servicekit.outbox.relay import OutboxRelay, RelayOptions
from servicekit.settings import BaseServiceSettings


class RelaySettings(BaseServiceSettings):
    # Sent outbox rows are removed after this many hours (the relay prunes every minute).
    outbox_retention_hours: float = 168.0


async def main() -> None:
    settings = RelaySettings()
    configure_logging(service="outbox-relay", level=settings.log_level)
    engine = create_engine(settings.database_url, pool_size=2)
    producer = create_producer(settings.kafka_bootstrap, client_id="outbox-relay")
    options = RelayOptions(retention_seconds=settings.outbox_retention_hours * 3600)
    relay = OutboxRelay(engine, producer, options, start_producer=True)
    try:
        await run_worker(
            relay.run, listen=settings.grpc_listen, checks=[flag_check(lambda: relay.healthy)]
        )
    finally:
        await producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
