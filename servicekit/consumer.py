"""Idempotent event consumer loop.

For each record: the handler's effect and an inbox row (consumer name + event id) are written
in one transaction, so a redelivered event finds its inbox row and is skipped. Offsets are
committed manually, after the effect. A record that cannot be decoded, or whose handler fails
`max_attempts` times, goes to `<topic>.dlt` with the error in its headers, and the partition
moves on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from google.protobuf.message import DecodeError
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from ticketing.events.v1 import envelope_pb2

from servicekit.kafka import DEAD_LETTER_SUFFIX, create_producer, ensure_topics
from servicekit.messaging_tables import define_messaging_tables

log = logging.getLogger(__name__)

_, _INBOX = define_messaging_tables(MetaData())

Handler = Callable[[AsyncConnection, envelope_pb2.EventEnvelope], Awaitable[None]]


@dataclass
class ConsumerOptions:
    max_attempts: int = 3
    retry_backoff_seconds: float = 0.2
    poll_timeout_ms: int = 500
    max_records: int = 200


class IdempotentConsumer:
    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        bootstrap: str,
        engine: AsyncEngine,
        handler: Handler,
        options: ConsumerOptions | None = None,
    ):
        self.name = name
        self._topics = list(topics)
        self._bootstrap = bootstrap
        self._engine = engine
        self._handler = handler
        self._options = options or ConsumerOptions()
        self.started = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; the record in hand is finished and committed first."""
        await ensure_topics(self._bootstrap, [t + DEAD_LETTER_SUFFIX for t in self._topics])
        consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._bootstrap,
            group_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        producer = create_producer(self._bootstrap, client_id=f"{self.name}-dlt")
        await consumer.start()
        await producer.start()
        self.started.set()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(
                    timeout_ms=self._options.poll_timeout_ms,
                    max_records=self._options.max_records,
                )
                for partition, records in batch.items():
                    await self._process_partition(consumer, producer, partition, records)
        finally:
            await consumer.stop()
            await producer.stop()

    async def _process_partition(
        self,
        consumer: AIOKafkaConsumer,
        producer,  # type: ignore[no-untyped-def]
        partition: TopicPartition,
        records: list[ConsumerRecord],
    ) -> None:
        for record in records:
            await self._process(producer, record)
        # After the effects: a crash before this line redelivers records the inbox then skips.
        await consumer.commit({partition: records[-1].offset + 1})

    async def _process(self, producer, record: ConsumerRecord) -> None:  # type: ignore[no-untyped-def]
        try:
            envelope = envelope_pb2.EventEnvelope.FromString(record.value)
            if not envelope.event_id:
                raise DecodeError("event has no event_id")
        except DecodeError as error:
            await self._dead_letter(producer, record, error, attempts=1)
            return
        for attempt in range(1, self._options.max_attempts + 1):
            try:
                await self._apply_once(envelope)
                return
            except Exception as error:
                log.warning(
                    "event handler failed",
                    extra={
                        "consumer": self.name,
                        "event_id": envelope.event_id,
                        "attempt": attempt,
                    },
                )
                if attempt == self._options.max_attempts:
                    await self._dead_letter(producer, record, error, attempts=attempt)
                    return
                await asyncio.sleep(self._options.retry_backoff_seconds * attempt)

    async def _apply_once(self, envelope: envelope_pb2.EventEnvelope) -> None:
        async with self._engine.begin() as connection:
            first_time = await connection.scalar(
                insert(_INBOX)
                .values(consumer=self.name, event_id=envelope.event_id)
                .on_conflict_do_nothing()
                .returning(_INBOX.c.event_id)
            )
            if first_time is not None:
                await self._handler(connection, envelope)

    async def _dead_letter(
        self, producer, record: ConsumerRecord, error: BaseException, *, attempts: int
    ) -> None:  # type: ignore[no-untyped-def]
        detail = envelope_pb2.DeadLetter(
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            consumer_group=self.name,
            attempts=attempts,
            error=f"{type(error).__name__}: {error}",
        )
        detail.dead_letter_time.FromDatetime(datetime.now(UTC))
        headers = [
            ("dead-letter", detail.SerializeToString()),
            ("error", detail.error.encode()),
        ]
        await producer.send_and_wait(
            record.topic + DEAD_LETTER_SUFFIX, value=record.value, key=record.key, headers=headers
        )
        log.error("event dead-lettered", extra={"consumer": self.name, "error": detail.error})
