"""Idempotent consumer: redelivered events apply once; poison events go to the dead-letter
topic with their error and the partition keeps flowing — one transaction per event, and with
`batch` one per partition's poll (falling back to one by one when anything in it fails), and
with a batch handler the poll's new events handed over at once."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from google.protobuf import wrappers_pb2
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from ticketing.events.v1 import envelope_pb2

from servicekit.consumer import ConsumerOptions, IdempotentConsumer
from servicekit.events import new_envelope
from servicekit.kafka import DEAD_LETTER_SUFFIX, create_producer, ensure_topics
from tests.support.kafka_reader import eventually, read_until
from tests.support.sample_service import tables


async def count_event(connection, envelope: envelope_pb2.EventEnvelope) -> None:
    """The effect: one more applied event for the key; refuses payloads marked poison."""
    value = wrappers_pb2.StringValue()
    envelope.payload.Unpack(value)
    if value.value == "poison":
        raise ValueError("this event can never be applied")
    await connection.execute(
        insert(tables.counters)
        .values(key=envelope.aggregate_id, applied=1, last_version=envelope.aggregate_version)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "applied": tables.counters.c.applied + 1,
                "last_version": envelope.aggregate_version,
            },
        )
    )


def consumer_of(mode: str, sizes: list[int] | None = None, **fields) -> IdempotentConsumer:
    """ "one": an event a transaction; "batch": a poll a transaction; "batch_handler": a poll
    a transaction and a handler call (each call's size appended to `sizes`)."""
    if mode != "batch_handler":
        options = fields.pop("options", ConsumerOptions())
        options.batch = mode == "batch"
        return IdempotentConsumer(handler=count_event, options=options, **fields)

    async def count_events(connection, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
        if sizes is not None:
            sizes.append(len(envelopes))
        for envelope in envelopes:
            await count_event(connection, envelope)

    return IdempotentConsumer(batch_handler=count_events, **fields)


def event(key: str, version: int, text: str = "") -> envelope_pb2.EventEnvelope:
    return new_envelope(
        payload=wrappers_pb2.StringValue(value=text or key),
        aggregate_type="widget",
        aggregate_id=key,
        aggregate_version=version,
    )


@contextlib.asynccontextmanager
async def running(consumer: IdempotentConsumer):
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def publish(bootstrap: str, topic: str, payloads: list[tuple[bytes, bytes]]) -> None:
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        for key, value in payloads:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def counters(engine) -> dict[str, tuple[int, int]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(tables.counters))).all()
    return {r.key: (r.applied, r.last_version) for r in rows}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["one", "batch", "batch_handler"])
async def test_events_delivered_twice_are_applied_once(engine, kafka_bootstrap, unique_topic, mode):
    topic = unique_topic("ticketing.sample.widget")
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    events = [event(f"k{k}", v) for k in range(5) for v in range(1, 21)]
    records = [(e.aggregate_id.encode(), e.SerializeToString()) for e in events]
    await publish(kafka_bootstrap, topic, records)
    await publish(kafka_bootstrap, topic, records)  # the same events again
    sizes: list[int] = []
    consumer = consumer_of(
        mode, sizes, name=f"counter-{topic}", topics=[topic], bootstrap=kafka_bootstrap,
        engine=engine,
    )  # fmt: skip
    expected = {f"k{k}": (20, 20) for k in range(5)}

    async def all_applied() -> bool:
        return await counters(engine) == expected

    async with running(consumer):
        await eventually(all_applied, timeout=90)
        await asyncio.sleep(1.0)  # the duplicates, read after the originals, change nothing
    assert await counters(engine) == expected
    if mode == "batch_handler":
        assert max(sizes) > 1 and sum(sizes) == len(events)  # the repeats never reached it


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["one", "batch", "batch_handler"])
async def test_poison_events_go_to_dead_letter_and_partition_keeps_flowing(
    engine, kafka_bootstrap, unique_topic, mode
):
    topic = unique_topic("ticketing.sample.widget")
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    good_before, poison, good_after = event("k", 1), event("k", 2, "poison"), event("k", 3)
    await publish(
        kafka_bootstrap,
        topic,
        [
            (b"k", good_before.SerializeToString()),
            (b"k", b"\xff\xff not a protobuf"),
            (b"k", poison.SerializeToString()),
            (b"k", good_after.SerializeToString()),
        ],
    )
    consumer = consumer_of(
        mode, name=f"poison-{topic}", topics=[topic], bootstrap=kafka_bootstrap, engine=engine,
        options=ConsumerOptions(max_attempts=2, retry_backoff_seconds=0.05),
    )  # fmt: skip

    async def flowed_past_poison() -> bool:
        return (await counters(engine)).get("k") == (2, 3)

    async with running(consumer):
        await eventually(flowed_past_poison, timeout=90)
    dead = await read_until(
        kafka_bootstrap, topic + DEAD_LETTER_SUFFIX, done=lambda r: len(r) >= 2, timeout=30
    )
    assert len(dead) == 2
    details = [envelope_pb2.DeadLetter.FromString(dict(r.headers)["dead-letter"]) for r in dead]
    assert details[0].error.startswith("DecodeError")
    assert details[1].error == "ValueError: this event can never be applied"
    assert details[1].attempts == 2
    assert {d.source_topic for d in details} == {topic}
    assert dead[1].value == poison.SerializeToString()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["batch", "batch_handler"])
async def test_a_batch_that_fails_is_rolled_back_and_applied_one_by_one(
    engine, kafka_bootstrap, unique_topic, mode
):
    topic = unique_topic("ticketing.sample.widget")
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    events = [event("b", v, "poison" if v == 5 else "") for v in range(1, 11)]
    await publish(kafka_bootstrap, topic, [(b"b", e.SerializeToString()) for e in events])
    consumer = consumer_of(
        mode, name=f"batch-{topic}", topics=[topic], bootstrap=kafka_bootstrap, engine=engine,
        options=ConsumerOptions(max_attempts=2, retry_backoff_seconds=0.05),
    )  # fmt: skip

    async def all_but_the_poison() -> bool:
        return (await counters(engine)).get("b") == (9, 10)

    async with running(consumer):
        await eventually(all_but_the_poison, timeout=90)
        await asyncio.sleep(0.5)
    assert (await counters(engine))["b"] == (9, 10)  # each good event once, none twice
    dead = await read_until(
        kafka_bootstrap, topic + DEAD_LETTER_SUFFIX, done=lambda r: len(r) >= 1, timeout=30
    )
    assert [r.value for r in dead] == [events[4].SerializeToString()]
