"""Tickets for the whole test session, beside identity: identity's outbox relay feeds Kafka,
tickets' directory consumer reads it, the auto-close timer runs with a short interval, and
one gateway fronts both services."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from devstack.topics import create_declared_topics
from servicekit.db import create_engine
from servicekit.kafka import create_producer
from servicekit.migrations import upgrade
from servicekit.outbox.relay import OutboxRelay, RelayOptions
from servicekit.rpc.server import GrpcServer
from services.identity.bootstrap import SERVICE_NAMES as IDENTITY_SERVICES
from services.tickets.adapters.repositories.directory import DirectoryRepository
from services.tickets.adapters.tables import directory_departments
from services.tickets.bootstrap import (
    SERVICE_NAMES,
    build_deps,
    build_server,
    directory_consumer,
    run_timer,
)
from services.tickets.service_layer.deps import Deps
from services.tickets.settings import TicketsSettings
from tests.support.gateways import gateway_client
from tests.support.identity_stack import IdentityStack

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "tickets" / "migrations"
IDENTITY_TOPICS = [
    f"ticketing.identity.{a}.v1" for a in ("enterprise", "provider", "user", "engineer", "role")
]


@dataclass
class TicketsStack:
    identity: IdentityStack
    deps: Deps
    client: httpx.AsyncClient
    server: GrpcServer
    timer: asyncio.Task  # type: ignore[type-arg]
    timer_stop: asyncio.Event

    async def restart(self, down_for: float) -> None:
        """Stops the gRPC server and the auto-close timer, waits, and starts fresh ones on the
        same port and database: only what is in the database survives."""
        port = self.server.port
        self.timer_stop.set()
        await self.timer
        await self.server.stop(0)
        await asyncio.sleep(down_for)
        self.deps = build_deps(self.deps.settings)
        self.server = build_server(
            self.deps, listen=f"127.0.0.1:{port}", keys=self.identity.deps.keys
        )
        await self.server.start()
        self.timer_stop = asyncio.Event()
        self.timer = asyncio.create_task(run_timer(self.deps, self.timer_stop))

    async def as_user(self, login: str, password: str = "demo-2026") -> dict[str, str]:
        return await self.identity.as_user(login, password)

    async def known(self, person_id: str, timeout: float = 30.0) -> None:
        """Waits until identity's event about `person_id` has reached tickets' directory."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                if await DirectoryRepository(connection).person(person_id):
                    return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{person_id} never reached the tickets directory")

    async def known_provider(self, provider_id: str, timeout: float = 30.0) -> None:
        """Waits until identity's event naming a provider has reached tickets' directory."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                if await DirectoryRepository(connection).provider_names([provider_id]):
                    return
            await asyncio.sleep(0.2)
        raise AssertionError(f"provider {provider_id} never reached the tickets directory")

    async def known_department(self, department_id: str, timeout: float = 30.0) -> None:
        """Waits until identity's event about a department has reached tickets' directory."""
        query = select(directory_departments.c.id).where(
            directory_departments.c.id == department_id
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                if await connection.scalar(query):
                    return
            await asyncio.sleep(0.2)
        raise AssertionError(f"department {department_id} never reached the tickets directory")

    async def designated(self, enterprise_id: str, provider_id: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                if await DirectoryRepository(connection).is_designated(enterprise_id, provider_id):
                    return
            await asyncio.sleep(0.2)
        raise AssertionError("designation never reached the tickets directory")


@pytest.fixture(scope="session")
def tickets_database(create_database) -> str:
    url = create_database("tickets")
    upgrade(MIGRATIONS, url)
    return url


@pytest.fixture(scope="session")
async def tickets(
    identity: IdentityStack, tickets_database: str, kafka_bootstrap: str, tmp_path_factory
) -> AsyncIterator[TicketsStack]:
    await create_declared_topics(kafka_bootstrap)
    stop = asyncio.Event()
    identity_engine = create_engine(identity.deps.settings.database_url, pool_size=2)
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    settings = TicketsSettings(
        environment="test",
        database_url=tickets_database,
        kafka_bootstrap=kafka_bootstrap,
        auto_close_interval_seconds=0.2,
        attachments_dir=str(tmp_path_factory.mktemp("attachments")),
        max_attachment_megabytes=1,
    )
    deps = build_deps(settings)
    server = build_server(deps, listen="127.0.0.1:0", keys=identity.deps.keys)
    await server.start()
    tickets_engine = create_engine(tickets_database, pool_size=2)
    relay_options = RelayOptions(idle_seconds=0.05)
    background = [
        asyncio.create_task(OutboxRelay(identity_engine, producer, relay_options).run(stop)),
        asyncio.create_task(OutboxRelay(tickets_engine, producer, relay_options).run(stop)),
        asyncio.create_task(directory_consumer(deps).run(stop)),
    ]
    timer_stop = asyncio.Event()
    served = ((IDENTITY_SERVICES, identity.grpc_port), (SERVICE_NAMES, server.port))
    async with gateway_client(*served) as client:
        stack = TicketsStack(
            identity=identity,
            deps=deps,
            client=client,
            server=server,
            timer=asyncio.create_task(run_timer(deps, timer_stop)),
            timer_stop=timer_stop,
        )
        yield stack
    stop.set()
    stack.timer_stop.set()
    await asyncio.gather(*background, stack.timer, return_exceptions=True)
    await stack.server.stop(0)
    await producer.stop()
    await identity_engine.dispose()
    await tickets_engine.dispose()
