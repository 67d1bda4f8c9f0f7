"""Identity's changes reach Kafka through the outbox."""

from __future__ import annotations

import asyncio

from ticketing.events.v1 import envelope_pb2, identity_events_pb2

from devstack.topics import create_declared_topics
from servicekit.db import create_engine
from servicekit.kafka import create_producer
from servicekit.outbox.relay import OutboxRelay
from tests.e2e.identity.helpers import new_enterprise
from tests.support.kafka_reader import read_until

TOPIC = "ticketing.identity.enterprise.v1"


async def test_enterprise_changes_are_published_in_order(identity, kafka_bootstrap):
    await create_declared_topics(kafka_bootstrap)
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


async def test_snapshot_republishes_every_identity_resource_keyed_like_its_live_events(identity):
    from sqlalchemy import text

    from services.identity.service_layer.snapshot import publish_snapshot

    engine = identity.deps.engine
    async with engine.connect() as connection:
        before = await connection.scalar(text("SELECT max(id) FROM outbox")) or 0
    published = await publish_snapshot(identity.deps)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT topic, key, event_type FROM outbox WHERE id > :id"), {"id": before}
            )
        ).all()
        counts = {
            table: await connection.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in ("organizations", "departments", "designations", "users", "roles")
        }
    assert published == len(rows)
    by_type: dict[str, int] = {}
    for row in rows:
        by_type[row.event_type.rsplit(".", 1)[-1]] = (
            by_type.get(row.event_type.rsplit(".", 1)[-1], 0) + 1
        )
    assert by_type["EnterpriseChanged"] + by_type["ProviderChanged"] == counts["organizations"]
    assert by_type["DepartmentChanged"] == counts["departments"]
    assert by_type["DesignationChanged"] == counts["designations"]
    assert by_type["UserChanged"] + by_type.get("EngineerChanged", 0) == counts["users"]
    assert by_type["RoleChanged"] == counts["roles"]
    department_keys = {r.key for r in rows if r.event_type.endswith("DepartmentChanged")}
    assert len(department_keys) == counts["departments"]  # one key per department: compactable
