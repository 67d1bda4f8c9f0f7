"""The outbox relay: publishes unsent outbox rows to Kafka in id order and marks them sent.

Guarantees: at least once, and per key in the order the rows were written. Only one relay per
database works at a time (a PostgreSQL advisory lock held on a dedicated connection); others
wait as hot standbys. Killed at any point, the next relay re-sends from the first row not
marked sent, so nothing is lost and a key's events are never overtaken by later ones; a
re-sent prefix shows up as duplicates, which consumers drop by event id.

After any failure (broker, database, a topic missing) the lock connection is closed, not
returned to the pool: the session ends and PostgreSQL frees the lock, so this relay after its
back-off, or a standby, takes over. The relay never creates topics: a batch for a topic the
broker does not have is not sent (a producer's first send would auto-create it with the
broker's default partition count); it is retried until the topic is declared.

Retention: the leader removes rows sent more than `retention_seconds` ago, at most every
`prune_interval_seconds` and `prune_batch` rows per statement (oldest first, by id), so the
table holds what is unsent plus a recent window (for re-publishing by hand after a broker
loss and for audits).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import MetaData, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicekit.health import sleep_or_stop
from servicekit.messaging_tables import define_messaging_tables

log = logging.getLogger(__name__)

_OUTBOX, _ = define_messaging_tables(MetaData())
RELAY_LOCK_ID = 0x7469636B  # "tick": one relay per service database


class PartialPublish(Exception):
    """Some rows of a batch were not acknowledged by the broker."""


class MissingTopics(Exception):
    """The broker does not have topics the outbox publishes to; they must be declared."""


@dataclass
class RelayOptions:
    batch_size: int = 500
    idle_seconds: float = 0.1
    max_backoff_seconds: float = 5.0
    lock_poll_seconds: float = 1.0
    retention_seconds: float = 7 * 24 * 3600.0  # sent rows older than this are removed
    prune_interval_seconds: float = 60.0
    prune_batch: int = 5000


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        producer: AIOKafkaProducer,
        options: RelayOptions | None = None,
        *,
        start_producer: bool = False,  # the relay owns the producer: start it, retrying
    ):
        self._engine = engine
        self._producer = producer
        self._producer_pending = start_producer
        self._options = options or RelayOptions()
        self.healthy = False  # leader or standby with database and broker reachable
        self._failures = 0
        self._pruned_at = 0.0  # monotonic time of the last prune

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; failures close the lock connection, back off and retry."""
        while not stop.is_set():
            started = await self._producer_started()
            lock_connection = await self._connect_or_none() if started else None
            if lock_connection is None:
                await self._back_off(stop)
                continue
            try:
                await self._take_lock(lock_connection, stop)
                await self._relay_while_leader(lock_connection, stop)
                await lock_connection.execute(text("SELECT pg_advisory_unlock_all()"))
                await lock_connection.close()
            except Exception as error:
                self.healthy = False
                log.warning("outbox relay failed; retrying", extra={"error": repr(error)})
                await _discard(lock_connection)
                await self._back_off(stop)

    async def _back_off(self, stop: asyncio.Event) -> None:
        """Waits longer after each failure in a row (reset by a batch that goes out)."""
        self._failures += 1
        delay = self._options.idle_seconds * 2 ** min(self._failures, 10)
        await sleep_or_stop(stop, min(delay, self._options.max_backoff_seconds))

    async def _producer_started(self) -> bool:
        if self._producer_pending:
            try:
                await self._producer.start()
                self._producer_pending = False
            except Exception as error:
                self.healthy = False
                log.warning("outbox relay cannot reach the broker", extra={"error": repr(error)})
        return not self._producer_pending

    async def _connect_or_none(self) -> AsyncConnection | None:
        try:
            return await self._engine.connect()
        except Exception as error:
            self.healthy = False
            log.warning("outbox relay cannot reach its database", extra={"error": repr(error)})
            return None

    async def _take_lock(self, connection: AsyncConnection, stop: asyncio.Event) -> None:
        while not stop.is_set():
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": RELAY_LOCK_ID}
            )
            await connection.commit()
            self.healthy = True
            if taken:
                log.info("outbox relay is the leader")
                return
            await sleep_or_stop(stop, self._options.lock_poll_seconds)

    async def _relay_while_leader(
        self, lock_connection: AsyncConnection, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            sent = await self.relay_batch()
            self.healthy, self._failures = True, 0
            if sent < self._options.batch_size:
                if time.monotonic() - self._pruned_at >= self._options.prune_interval_seconds:
                    await self.prune()
                # Also proves the lock's session is alive: if it died, so did the leadership.
                await lock_connection.execute(text("SELECT 1"))
                await lock_connection.commit()
                await sleep_or_stop(stop, self._options.idle_seconds)

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
        await self._require_topics({row.topic for row in rows})
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

    async def prune(self) -> int:
        """Removes rows sent longer than the retention ago; returns how many."""
        self._pruned_at = time.monotonic()
        removed = 0
        while True:
            async with self._engine.begin() as connection:
                oldest = (
                    select(_OUTBOX.c.id)
                    .where(
                        _OUTBOX.c.sent_at.is_not(None),
                        _OUTBOX.c.sent_at
                        < text("now() - make_interval(secs => :retention)").bindparams(
                            retention=self._options.retention_seconds
                        ),
                    )
                    .order_by(_OUTBOX.c.id)
                    .limit(self._options.prune_batch)
                )
                result = await connection.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(oldest)))
            count = result.rowcount or 0
            removed += count
            if count < self._options.prune_batch:
                break
        if removed:
            log.info("outbox pruned", extra={"rows": removed})
        return removed

    async def _require_topics(self, topics: set[str]) -> None:
        """Fails unless every topic exists (an all-topics metadata request creates none)."""
        metadata = await self._producer.client.fetch_all_metadata()
        missing = topics - set(metadata.topics())
        if missing:
            log.error("outbox topics are not declared", extra={"topics": sorted(missing)})
            raise MissingTopics(", ".join(sorted(missing)))

    async def _publish(self, rows: Sequence[Any]) -> list[int]:
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


async def _discard(connection: AsyncConnection) -> None:
    """Closes the connection for good, so its session (and advisory lock) ends."""
    try:
        await connection.invalidate()
        await connection.close()
    except Exception as error:
        log.debug("closing a broken connection failed", extra={"error": repr(error)})
