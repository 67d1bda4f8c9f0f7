"""Reading a whole topic from the beginning, without a consumer group, for assertions."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


async def read_until(
    bootstrap: str, topic: str, *, done, timeout: float = 60.0
) -> list[ConsumerRecord]:
    """All records of `topic` in partition order, read until `done(records)` or timeout."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        while not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while not done(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for partition_records in batch.values():
                records.extend(partition_records)
        return records
    finally:
        await consumer.stop()


async def eventually(predicate, *, timeout: float = 60.0, interval: float = 0.2) -> None:
    """Waits until the async `predicate()` is true; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
