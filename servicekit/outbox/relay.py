"""The outbox relay: publishes unsent outbox rows to Kafka in id order and marks them sent.

Guarantees: at least once, and per key in the order the rows were written. Only one relay per
database works at a time (a PostgreSQL advisory lock held on a dedicated connection); others
wait as hot standbys. Killed at any point, the next relay re-sends from the first row not
marked sent, so nothing is lost and a key's events are never overtaken by later ones; a
re-sent prefix shows up as duplicates, which consumers drop by event id.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from sqlalchemy import MetaData, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicekit.messaging_tables import define_messaging_tables

log = logging.getLogger(__name__)

_OUTBOX, _ = define_messaging_tables(MetaData())
RELAY_LOCK_ID = 0x7469636B  # "tick": one relay per service database


class PartialPublish(Exception):
    """Some rows of a batch were not acknowledged by the broker."""


@dataclass
class RelayOptions:
    batch_size: int = 500
    idle_seconds: float = 0.1
    max_backoff_seconds: float = 5.0


class OutboxRelay:
    def __init__(
        self, engine: AsyncEngine, producer: AIOKafkaProducer, options: RelayOptions | None = None
    ):
        self._engine = engine
        self._producer = producer
        self._options = options or RelayOptions()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; transient failures back off and retry."""
        backoff = self._options.idle_seconds
        while not stop.is_set():
            try:
                async with self._engine.connect() as lock_connection:
                    await self._take_lock(lock_connection, stop)
                    await self._relay_while_leader(stop)
            except Exception as error:
                log.warning("outbox relay failed; retrying", extra={"error": repr(error)})
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self._options.max_backoff_seconds)

    async def _take_lock(self, connection: AsyncConnection, stop: asyncio.Event) -> None:
        while not stop.is_set():
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": RELAY_LOCK_ID}
            )
            await connection.commit()
            if taken:
                log.info("outbox relay is the leader")
                return
            await _sleep_or_stop(stop, 1.0)

    async def _relay_while_leader(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            sent = await self.relay_batch()
            if sent < self._options.batch_size:
                await _sleep_or_stop(stop, self._options.idle_seconds)

    async def relay_batch(self) -> int:
        """Publishes one batch of unsent rows; returns how many were marked sent."""
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(_OUTBOX.c.id, _OUTBOX.c.topic, _OUTBOX.c.key, _OUTBOX.c.payload)
                    .where(_OUTBOX.c.sent_at.is_(None))
                    .order_by(_OUTBOX.c.id)
                    .limit(self._options.batch_size)
                )
            ).all()
            await connection.commit()
        if not rows:
            return 0
        acknowledged = await self._publish(rows)
        if acknowledged:
            async with self._engine.begin() as connection:
                await connection.execute(
                    update(_OUTBOX)
                    .where(_OUTBOX.c.id.in_(acknowledged))
                    .values(sent_at=text("now()"))
                )
        if len(acknowledged) < len(rows):
            raise PartialPublish(f"{len(rows) - len(acknowledged)} of {len(rows)} not acknowledged")
        return len(acknowledged)

    async def _publish(self, rows: list) -> list[int]:  # type: ignore[type-arg]
        """Sends in id order; returns the ids of the acknowledged prefix."""
        futures = []
        try:
            for row in rows:
                futures.append(
                    await self._producer.send(row.topic, value=row.payload, key=row.key.encode())
                )
        finally:
            results = await asyncio.gather(*futures, return_exceptions=True)
        acknowledged = []
        for row, result in zip(rows, results, strict=False):
            if isinstance(result, BaseException):
                break
            acknowledged.append(row.id)
        return acknowledged


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
