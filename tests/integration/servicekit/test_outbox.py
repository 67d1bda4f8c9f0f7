"""Transactional outbox: the relay survives being killed without losing or reordering a key's
events."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from google.protobuf import wrappers_pb2
from sqlalchemy import func, inspect, select, text
from sqlalchemy.dialects.postgresql import insert
from ticketing.events.v1 import envelope_pb2

from servicekit.events import new_envelope
from servicekit.kafka import create_producer, ensure_topics
from servicekit.outbox.relay import OutboxRelay, RelayOptions
from servicekit.uow import UnitOfWork
from tests.support.kafka_reader import eventually, read_until
from tests.support.sample_service import tables

ROOT = Path(__file__).resolve().parents[3]


class RelayProcess:
    """The real relay entrypoint, as a child process we can kill -9."""

    def __init__(self, database_url: str, bootstrap: str):
        self.env = os.environ | {
            "TICKETING_DATABASE_URL": database_url,
            "TICKETING_KAFKA_BOOTSTRAP": bootstrap,
            "TICKETING_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "servicekit.outbox"], env=self.env, cwd=ROOT
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


async def write_event(engine, topic: str, key: str) -> str:
    """One transaction: bump the widget's version and publish the matching event."""
    async with UnitOfWork(engine) as uow:
        version = await uow.connection.scalar(
            insert(tables.widgets)
            .values(key=key, version=1)
            .on_conflict_do_update(
                index_elements=["key"], set_={"version": tables.widgets.c.version + 1}
            )
            .returning(tables.widgets.c.version)
        )
        envelope = new_envelope(
            payload=wrappers_pb2.StringValue(value=key),
            aggregate_type="widget",
            aggregate_id=key,
            aggregate_version=version,
        )
        await uow.publish(topic, envelope)
        await uow.commit()
    return envelope.event_id


async def write_many(engine, topic: str, *, keys: list[str], per_key: int) -> dict[str, list[str]]:
    written: dict[str, list[str]] = defaultdict(list)

    async def writer(key: str) -> None:
        for _ in range(per_key):
            written[key].append(await write_event(engine, topic, key))
            await asyncio.sleep(0.01)  # spread the writes over the relay's kills

    await asyncio.gather(*(writer(k) for k in keys))
    return written


def first_occurrence_order(records) -> dict[str, list[str]]:
    seen: set[str] = set()
    order: dict[str, list[str]] = defaultdict(list)
    for record in records:
        envelope = envelope_pb2.EventEnvelope.FromString(record.value)
        assert record.key.decode() == envelope.aggregate_id
        if envelope.event_id not in seen:
            seen.add(envelope.event_id)
            order[envelope.aggregate_id].append(envelope.event_id)
    return order


async def test_migrations_create_the_messaging_tables(sample_db, engine):
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert {"outbox", "processed_events", "widgets", "counters", "alembic_version"} <= set(names)


async def test_rolled_back_change_leaves_no_event(engine):
    async with UnitOfWork(engine) as uow:
        envelope = new_envelope(
            payload=wrappers_pb2.StringValue(value="x"), aggregate_type="w", aggregate_id="x"
        )
        await uow.publish("ticketing.sample.widget.v1", envelope)
        # leaving without commit: the change and its event are both discarded
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(tables.outbox)) == 0


@pytest.mark.slow
async def test_relay_killed_repeatedly_loses_nothing_and_keeps_key_order(
    sample_db, engine, kafka_bootstrap, unique_topic
):
    topic = unique_topic("ticketing.sample.widget")
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    relay = RelayProcess(sample_db, kafka_bootstrap)
    relay.start()

    async def kill_and_restart() -> int:
        kills = 0
        while not writing.done() or kills < 4:
            await asyncio.sleep(0.4)
            relay.kill()
            kills += 1
            relay.start()
        return kills

    keys = [f"widget-{i}" for i in range(10)]
    writing = asyncio.create_task(write_many(engine, topic, keys=keys, per_key=100))
    kills = await kill_and_restart()
    written = await writing
    all_ids = {i for ids in written.values() for i in ids}
    assert len(all_ids) == 1000

    def complete(records) -> bool:
        return all_ids <= {envelope_pb2.EventEnvelope.FromString(r.value).event_id for r in records}

    async def all_marked_sent() -> bool:
        # Rows a killed relay published but never marked are sent again by the next one.
        async with engine.connect() as connection:
            unsent = select(func.count()).where(tables.outbox.c.sent_at.is_(None))
            return await connection.scalar(unsent) == 0

    try:
        records = await read_until(kafka_bootstrap, topic, done=complete, timeout=90)
        await eventually(all_marked_sent, timeout=60)
    finally:
        relay.stop()
    assert kills >= 4
    assert first_occurrence_order(records) == written


async def test_the_relay_removes_rows_sent_longer_ago_than_the_retention(
    engine, kafka_bootstrap, unique_topic
):
    """Old sent rows go, in batches; recent sent rows and unsent rows stay."""
    topic = unique_topic("ticketing.sample.widget")
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    ids = [await write_event(engine, topic, f"w-{i}") for i in range(7)]
    async with engine.begin() as connection:
        rows = tables.outbox.c
        found = await connection.execute(
            select(rows.id).where(rows.event_id.in_(ids)).order_by(rows.id)
        )
        ordered = [r.id for r in found.all()]
        old, recent, unsent = ordered[:5], ordered[5:6], ordered[6:]
        two_hours_ago = func.now() - text("interval '2 hours'")
        await connection.execute(
            tables.outbox.update().where(rows.id.in_(old)).values(sent_at=two_hours_ago)
        )
        await connection.execute(
            tables.outbox.update().where(rows.id.in_(recent)).values(sent_at=func.now())
        )
    producer = create_producer(kafka_bootstrap)
    relay = OutboxRelay(engine, producer, RelayOptions(retention_seconds=3600, prune_batch=2))
    assert await relay.prune() == 5
    async with engine.connect() as connection:
        left = set((await connection.scalars(select(rows.id).where(rows.id.in_(ordered)))).all())
    assert left == set(recent + unsent)
