"""Kafka clients configured the way this suite needs them, and topic creation for dev/test."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

DEAD_LETTER_SUFFIX = ".dlt"


def create_producer(bootstrap: str, *, client_id: str = "ticketing") -> AIOKafkaProducer:
    # Idempotent producers are off because the dev/test broker (tansu, memory engine) does not
    # support them; the outbox (at-least-once, ordered per key) and idempotent consumers give
    # the delivery guarantees instead. acks=all keeps writes durable on Apache Kafka.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=False,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


async def ensure_topics(bootstrap: str, topics: Iterable[str], *, partitions: int = 3) -> list[str]:
    """Creates topics that do not exist yet; returns those it created. For the dev stack and
    tests only: production declares topics as KafkaTopic resources (deploy/base/topics.yaml)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
            except TopicAlreadyExistsError:
                log.info("topics created concurrently", extra={"topics": missing})
        return missing
    finally:
        await admin.close()
