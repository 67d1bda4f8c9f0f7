"""The plumbing under outages (part of the fault suite): the outbox relay through a paused
broker and a killed leader, topics it must not create, the consumer through a database cut
off, and gRPC health that follows the database."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka import AIOKafkaConsumer
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url
from ticketing.events.v1 import envelope_pb2

from devstack.broker import TansuBroker
from servicekit.consumer import ConsumerOptions, IdempotentConsumer
from servicekit.db import create_engine
from servicekit.health import database_check
from servicekit.kafka import DEAD_LETTER_SUFFIX, create_producer, ensure_topics
from servicekit.outbox.relay import OutboxRelay, RelayOptions
from servicekit.rpc.server import create_server, serve
from servicekit.settings import BaseServiceSettings
from tests.integration.servicekit.test_consumer import count_event, counters, event, publish
from tests.integration.servicekit.test_outbox import (
    RelayProcess,
    first_occurrence_order,
    write_many,
)
from tests.support.echo_service import echo_binding
from tests.support.kafka_reader import eventually, read_until
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture
def own_broker() -> Iterator[TansuBroker]:
    """A broker of this test's own, which it may pause without disturbing other tests."""
    broker = TansuBroker()
    broker.start()
    yield broker
    broker.process.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
    broker.stop()


@pytest.fixture
def db_proxy(sample_db) -> Iterator[tuple[TcpProxy, str]]:
    """The sample database behind a proxy that can cut it off; yields (proxy, its URL)."""
    url = make_url(sample_db)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy, url.set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)
    proxy.stop()


def _event_ids(records) -> set[str]:  # type: ignore[no-untyped-def]
    return {envelope_pb2.EventEnvelope.FromString(r.value).event_id for r in records}


async def test_relay_resumes_after_broker_pause_and_standby_takes_over_from_killed_leader(
    sample_db, engine, own_broker, unique_topic
):
    topic = unique_topic("ticketing.sample.widget")
    await ensure_topics(own_broker.bootstrap, [topic], partitions=3)
    leader, standby = RelayProcess(sample_db, own_broker.bootstrap), None
    leader.start()
    keys = [f"w{i}" for i in range(5)]
    try:
        before = await write_many(engine, topic, keys=keys, per_key=10)
        await _published(own_broker.bootstrap, topic, before, timeout=30)
        standby = RelayProcess(sample_db, own_broker.bootstrap)
        standby.start()
        own_broker.process.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
        during = await write_many(engine, topic, keys=keys, per_key=10)
        await asyncio.sleep(12)  # longer than the producer's request timeout: sends fail
        own_broker.process.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
        # The leader recovers on its own (the standby cannot have taken over: leader alive).
        await _published(own_broker.bootstrap, topic, during, timeout=30)
        leader.kill()
        after = await write_many(engine, topic, keys=keys, per_key=10)
        records = await _published(own_broker.bootstrap, topic, after, timeout=30)
    finally:
        leader.stop()
        if standby:
            standby.stop()
    written = {k: before[k] + during[k] + after[k] for k in keys}
    assert first_occurrence_order(records) == written


async def _published(bootstrap: str, topic: str, written: dict[str, list[str]], *, timeout: float):  # type: ignore[no-untyped-def]
    expected = {i for ids in written.values() for i in ids}
    records = await read_until(
        bootstrap, topic, done=lambda r: expected <= _event_ids(r), timeout=timeout
    )
    assert expected <= _event_ids(records), f"{len(expected - _event_ids(records))} unpublished"
    return records


async def test_relay_never_creates_a_topic_and_publishes_once_it_is_declared(
    engine, kafka_bootstrap, unique_topic
):
    topic = unique_topic("ticketing.sample.undeclared")
    ids = await write_many(engine, topic, keys=["k"], per_key=3)
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    relay = OutboxRelay(engine, producer, RelayOptions(idle_seconds=0.05, max_backoff_seconds=0.5))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(2)
        assert topic not in await _topics(kafka_bootstrap)
        assert not relay.healthy
        await ensure_topics(kafka_bootstrap, [topic], partitions=2)
        records = await _published(kafka_bootstrap, topic, ids, timeout=30)
    finally:
        stop.set()
        await task
        await producer.stop()
    assert {len(ids["k"])} == {len(_event_ids(records))}
    assert relay.healthy


async def _topics(bootstrap: str) -> set[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return set(await consumer.topics())
    finally:
        await consumer.stop()


async def test_consumer_waits_out_a_database_outage_without_dead_lettering(
    engine, db_proxy, kafka_bootstrap, unique_topic
):
    proxy, proxied_url = db_proxy
    topic = unique_topic("ticketing.sample.widget")
    await ensure_topics(kafka_bootstrap, [topic, topic + DEAD_LETTER_SUFFIX], partitions=2)
    events = [event(f"k{k}", v) for k in range(4) for v in range(1, 51)]
    await publish(
        kafka_bootstrap, topic, [(e.aggregate_id.encode(), e.SerializeToString()) for e in events]
    )
    proxied = create_engine(proxied_url, pool_size=2)
    consumer = IdempotentConsumer(
        name=f"outage-{topic}",
        topics=[topic],
        bootstrap=kafka_bootstrap,
        engine=proxied,
        handler=_slowly(count_event),
        options=ConsumerOptions(max_attempts=2, retry_backoff_seconds=0.05, max_records=20),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    expected = {f"k{k}": (50, 50) for k in range(4)}
    try:
        await eventually(lambda: _some_applied(engine), timeout=60)
        proxy.cut()
        cut_at = time.monotonic()
        await eventually(_flag_is(consumer, False), timeout=10)
        await asyncio.sleep(max(0.0, 8 - (time.monotonic() - cut_at)))
        assert not consumer.healthy
        proxy.restore()
        await eventually(lambda: _equals(counters(engine), expected), timeout=60)
        assert consumer.healthy
    finally:
        stop.set()
        await task
        await proxied.dispose()
    dead = await read_until(kafka_bootstrap, topic + DEAD_LETTER_SUFFIX, done=bool, timeout=3)
    assert dead == []
    assert await counters(engine) == expected  # each applied exactly once


def _slowly(handler):  # type: ignore[no-untyped-def]
    """The handler with a little work time, so the outage falls in the middle of the stream."""

    async def handle(connection, envelope) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)
        await handler(connection, envelope)

    return handle


async def _some_applied(engine) -> bool:  # type: ignore[no-untyped-def]
    return sum(applied for applied, _ in (await counters(engine)).values()) >= 20


def _flag_is(consumer: IdempotentConsumer, value: bool):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return consumer.healthy is value

    return check


async def _equals(awaitable, expected) -> bool:  # type: ignore[no-untyped-def]
    return await awaitable == expected


@pytest.fixture
async def served_echo(db_proxy, signer) -> AsyncIterator[tuple[TcpProxy, int]]:
    proxy, proxied_url = db_proxy
    engine = create_engine(proxied_url, pool_size=1)
    server = create_server(
        bindings=[echo_binding_for_health()], listen="127.0.0.1:0", verifier=signer.verifier()
    )
    stop = asyncio.Event()
    settings = BaseServiceSettings(environment="test", shutdown_grace_seconds=0)
    task = asyncio.create_task(serve(server, settings, checks=[database_check(engine)], stop=stop))
    yield proxy, server.port
    stop.set()
    await task
    await engine.dispose()


def echo_binding_for_health():  # type: ignore[no-untyped-def]
    from tests.support.echo_service import EchoServicer

    return echo_binding(EchoServicer())


async def test_grpc_health_follows_the_database(served_echo):
    proxy, port = served_echo
    async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)

        def status_is(expected: int):  # type: ignore[no-untyped-def]
            async def check() -> bool:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                return reply.status == expected

            return check

        await eventually(status_is(health_pb2.HealthCheckResponse.SERVING), timeout=10)
        proxy.cut()
        await eventually(status_is(health_pb2.HealthCheckResponse.NOT_SERVING), timeout=10)
        proxy.restore()
        await eventually(status_is(health_pb2.HealthCheckResponse.SERVING), timeout=10)
