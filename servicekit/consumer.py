"""Idempotent event consumer loop.

For each record: the handler's effect and an inbox row (consumer name + event id) are written
in one transaction, so a redelivered event finds its inbox row and is skipped. Offsets are
committed manually, after the effect.

Failures are of two kinds (DESIGN.md §6). Transient ones (own database or broker unavailable,
timeouts; see `servicekit.transient`) are retried with growing back-off for as long as it
takes, without committing and without dead-lettering, and the consumer reports not-ready
meanwhile. Poison ones (cannot be decoded, the handler keeps refusing it) go to `<topic>.dlt`
with the error in its headers after `max_attempts`, and the partition moves on.

Metadata is refreshed every few seconds, so after a broker restart the group re-forms over
the topics' current partitions.

With `batch` set, a partition's records of one poll are applied in one transaction (each with
its inbox row, in order): one commit instead of one per event, which is what bounds a consumer
whose events are small. If anything in the batch fails, the transaction is rolled back and the
records are applied one by one as above, so a poison event is still dead-lettered alone and a
transient failure still waited out. Only for handlers whose locks belong to one partition's
aggregates (two batches that lock the same rows in different orders would deadlock; PostgreSQL
breaks that by failing one, which then goes one by one).

A `batch_handler` goes further: the batch's inbox rows are written in one statement and the
handler gets every event not seen before at once (in order), so it can write a statement per
batch rather than per event. Alone, one by one, it is called with one event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from google.protobuf.message import DecodeError
from sqlalchemy import MetaData, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from ticketing.events.v1 import envelope_pb2

from servicekit.health import sleep_or_stop
from servicekit.kafka import DEAD_LETTER_SUFFIX, create_producer
from servicekit.messaging_tables import define_messaging_tables
from servicekit.transient import is_transient

log = logging.getLogger(__name__)

_, _INBOX = define_messaging_tables(MetaData())


class _Stopping(Exception):
    """Asked to stop while waiting out a transient failure: leave the record uncommitted."""


Handler = Callable[[AsyncConnection, envelope_pb2.EventEnvelope], Awaitable[None]]
BatchHandler = Callable[[AsyncConnection, list[envelope_pb2.EventEnvelope]], Awaitable[None]]
# Every id of a batch in one statement; RETURNING names those not seen before.
_FIRST_SEEN = text(
    f"INSERT INTO {_INBOX.name} (consumer, event_id) "
    "SELECT :consumer, unnest(CAST(:ids AS text[])) ON CONFLICT DO NOTHING RETURNING event_id"
)


@dataclass
class ConsumerOptions:
    max_attempts: int = 3  # for poison: a handler that keeps failing on a non-transient error
    retry_backoff_seconds: float = 0.2
    max_backoff_seconds: float = 5.0
    poll_timeout_ms: int = 500
    # How long the broker may hold a fetch that finds nothing new. aiokafka's 500 ms default
    # is what an event waited on the dev broker (tansu answers a held fetch only at the end).
    fetch_max_wait_ms: int = 50
    max_records: int = 200
    metadata_max_age_ms: int = 5_000
    batch: bool = False  # a partition's records of one poll in one transaction


class IdempotentConsumer:
    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        bootstrap: str,
        engine: AsyncEngine,
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        options: ConsumerOptions | None = None,
    ):
        if (handler is None) == (batch_handler is None):
            raise ValueError("give a handler or a batch handler")
        self.name = name
        self._topics = list(topics)
        self._bootstrap = bootstrap
        self._engine = engine
        self._batch_handler = batch_handler
        if batch_handler is not None:
            handler = _one_by_one(batch_handler)
        assert handler is not None
        self._handler = handler
        self._options = options or ConsumerOptions()
        if batch_handler is not None:
            self._options = replace(self._options, batch=True)
        self.started = asyncio.Event()
        self.healthy = False  # False while a transient failure is being waited out
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; the record in hand is finished and committed first."""
        self._stop = stop
        consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._bootstrap,
            group_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=self._options.metadata_max_age_ms,
            fetch_max_wait_ms=self._options.fetch_max_wait_ms,
        )
        producer = create_producer(self._bootstrap, client_id=f"{self.name}-dlt")
        await self._until_started(consumer.start)
        await self._until_started(producer.start)
        self.started.set()
        self.healthy = True
        try:
            while not stop.is_set():
                await self._poll_once(consumer, producer)
        finally:
            await consumer.stop()
            await producer.stop()

    async def _until_started(self, start: Callable[[], Awaitable[None]]) -> None:
        attempt = 0
        while True:
            try:
                await start()
                return
            except Exception as error:
                if not is_transient(error) or self._stop.is_set():
                    raise
                attempt += 1
                await self._wait_out(error, attempt)

    async def _poll_once(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        try:
            batch = await consumer.getmany(
                timeout_ms=self._options.poll_timeout_ms,
                max_records=self._options.max_records,
            )
            # Partitions are independent (order matters only within one): they are applied
            # concurrently, each in order, and committed together once all are applied.
            outcomes = await asyncio.gather(
                *(self._process_records(producer, records) for records in batch.values()),
                return_exceptions=True,
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            if batch:
                # After the effects: a crash before this redelivers records the inbox skips.
                await consumer.commit({p: records[-1].offset + 1 for p, records in batch.items()})
        except _Stopping:
            return
        except KafkaError as error:
            # Commit refused after a rebalance, broker gone: the uncommitted records come again
            # and the inbox skips those already applied.
            self.healthy = False
            log.warning("consumer poll failed", extra={"consumer": self.name, "error": repr(error)})
            await sleep_or_stop(self._stop, self._options.retry_backoff_seconds)

    async def _process_records(
        self, producer: AIOKafkaProducer, records: list[ConsumerRecord]
    ) -> None:
        if self._options.batch and len(records) > 1 and await self._applied_as_batch(records):
            return
        for record in records:
            await self._process(producer, record)

    async def _applied_as_batch(self, records: list[ConsumerRecord]) -> bool:
        """Applies the records in one transaction; False (nothing applied) when one cannot be
        decoded or anything fails: the caller then goes one by one."""
        envelopes = []
        for record in records:
            try:
                envelope = envelope_pb2.EventEnvelope.FromString(record.value)
            except DecodeError:
                return False
            if not envelope.event_id:
                return False
            envelopes.append(envelope)
        try:
            async with self._engine.begin() as connection:
                if self._batch_handler is not None:
                    await self._apply_batch_in(connection, envelopes)
                else:
                    for envelope in envelopes:
                        await self._apply_in(connection, envelope)
        except Exception as error:
            log.info(
                "batch not applied; applying its events one by one",
                extra={"consumer": self.name, "error": repr(error), "events": len(envelopes)},
            )
            return False
        self.healthy = True
        return True

    async def _process(self, producer: AIOKafkaProducer, record: ConsumerRecord) -> None:
        try:
            envelope = envelope_pb2.EventEnvelope.FromString(record.value)
            if not envelope.event_id:
                raise DecodeError("event has no event_id")
        except DecodeError as error:
            await self._dead_letter(producer, record, error, attempts=1)
            return
        refusals = transient = 0
        while True:
            try:
                await self._apply_once(envelope)
                self.healthy = True
                return
            except Exception as error:
                if is_transient(error):
                    transient += 1
                    await self._wait_out(error, transient)
                    continue
                refusals += 1
                log.warning(
                    "event handler failed",
                    extra={
                        "consumer": self.name,
                        "event_id": envelope.event_id,
                        "attempt": refusals,
                    },
                )
                if refusals >= self._options.max_attempts:
                    await self._dead_letter(producer, record, error, attempts=refusals)
                    return
                await sleep_or_stop(self._stop, self._options.retry_backoff_seconds * refusals)

    async def _wait_out(self, error: BaseException, attempt: int) -> None:
        """Backs off after a transient failure; raises _Stopping when asked to stop meanwhile."""
        self.healthy = False
        delay = min(
            self._options.retry_backoff_seconds * 2 ** min(attempt, 10),
            self._options.max_backoff_seconds,
        )
        log.warning(
            "dependency unavailable; will retry",
            extra={"consumer": self.name, "error": repr(error), "attempt": attempt},
        )
        await sleep_or_stop(self._stop, delay)
        if self._stop.is_set():
            raise _Stopping

    async def _apply_once(self, envelope: envelope_pb2.EventEnvelope) -> None:
        async with self._engine.begin() as connection:
            await self._apply_in(connection, envelope)

    async def _apply_in(
        self, connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope
    ) -> None:
        first_time = await connection.scalar(
            insert(_INBOX)
            .values(consumer=self.name, event_id=envelope.event_id)
            .on_conflict_do_nothing()
            .returning(_INBOX.c.event_id)
        )
        if first_time is not None:
            await self._handler(connection, envelope)

    async def _apply_batch_in(
        self, connection: AsyncConnection, envelopes: list[envelope_pb2.EventEnvelope]
    ) -> None:
        assert self._batch_handler is not None
        ids = [envelope.event_id for envelope in envelopes]
        fresh = set(
            (await connection.execute(_FIRST_SEEN, {"consumer": self.name, "ids": ids})).scalars()
        )
        first: list[envelope_pb2.EventEnvelope] = []
        for envelope in envelopes:
            if envelope.event_id in fresh:
                fresh.discard(envelope.event_id)  # a repeat within the batch: once
                first.append(envelope)
        if first:
            await self._batch_handler(connection, first)

    async def _dead_letter(
        self,
        producer: AIOKafkaProducer,
        record: ConsumerRecord,
        error: BaseException,
        *,
        attempts: int,
    ) -> None:
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
        attempt = 0
        while True:
            try:
                await producer.send_and_wait(
                    record.topic + DEAD_LETTER_SUFFIX,
                    value=record.value,
                    key=record.key,
                    headers=headers,
                )
                break
            except KafkaError as publish_error:  # the broker is unavailable: transient
                attempt += 1
                await self._wait_out(publish_error, attempt)
        log.error("event dead-lettered", extra={"consumer": self.name, "error": detail.error})


def _one_by_one(batch_handler: BatchHandler) -> Handler:
    async def handle(connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope) -> None:
        await batch_handler(connection, [envelope])

    return handle
