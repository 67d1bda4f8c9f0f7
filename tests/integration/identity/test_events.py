"""Identity's changes reach Kafka through the outbox."""

from __future__ import annotations

import asyncio

from ticketing.events.v1 import envelope_pb2, identity_events_pb2

from servicekit.db import create_engine
from servicekit.kafka import create_producer, ensure_topics
from servicekit.outbox.relay import OutboxRelay
from tests.e2e.identity.helpers import new_enterprise
from tests.support.kafka_reader import read_until

TOPIC = "ticketing.identity.enterprise.v1"


async def test_enterprise_changes_are_published_in_order(identity, kafka_bootstrap):
    await ensure_topics(kafka_bootstrap, [TOPIC])
    enterprise = await new_enterprise(identity)
    headers = await identity.as_user("admin", "admin-demo-2026")
    await identity.client.post(
        f"/v1/enterprises/{enterprise['enterpriseId']}:disable", json={}, headers=headers
    )
    engine = create_engine(identity.deps.settings.database_url)
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    stop = asyncio.Event()
    relay = asyncio.create_task(OutboxRelay(engine, producer).run(stop))
    try:

        def changes(records) -> list[int]:
            found = []
            for record in records:
                envelope = envelope_pb2.EventEnvelope.FromString(record.value)
                if envelope.aggregate_id == enterprise["enterpriseId"]:
                    event = identity_events_pb2.EnterpriseChanged()
                    envelope.payload.Unpack(event)
                    found.append(event.change)
            return found

        records = await read_until(
            kafka_bootstrap, TOPIC, done=lambda r: len(changes(r)) >= 2, timeout=60
        )
    finally:
        stop.set()
        await relay
        await producer.stop()
        await engine.dispose()
    assert changes(records)[:2] == [
        identity_events_pb2.CHANGE_KIND_CREATED,
        identity_events_pb2.CHANGE_KIND_DISABLED,
    ]
