"""Dispatch for the dispatch tests (package scope: its consumer and applier stop afterwards,
so the rest of the session does not carry their load), beside the session's identity and
tickets: tickets' outbox relay
feeds Kafka (identity's runs in the tickets stack), dispatch's feed consumer and applier run,
its relay publishes decisions, and one gateway fronts all three services. Dispatch signs in
to identity with its own service account and assigns through tickets' gRPC API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from servicekit.db import create_engine
from servicekit.kafka import create_producer
from servicekit.migrations import upgrade
from servicekit.outbox.relay import OutboxRelay, RelayOptions
from servicekit.rpc.server import GrpcServer
from services.dispatch.adapters.tables import designations, engineers, providers, tickets
from services.dispatch.bootstrap import (
    SERVICE_NAMES,
    Runtime,
    build_deps,
    build_server,
    feed_consumer,
    run_applier,
    run_sla_timer,
)
from services.dispatch.settings import DispatchSettings
from services.identity.bootstrap import SERVICE_NAMES as IDENTITY_SERVICES
from services.identity.service_layer.service_accounts import ensure_service_accounts
from services.tickets.adapters.claims import DispatchClaims
from services.tickets.bootstrap import SERVICE_NAMES as TICKETS_SERVICES
from tests.support.gateways import gateway_client
from tests.support.tickets_stack import TicketsStack

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "dispatch" / "migrations"
SECRET = "dispatch-test-secret"


@dataclass
class DispatchStack:
    tickets: TicketsStack
    deps: Runtime
    client: httpx.AsyncClient
    server: GrpcServer

    async def as_user(self, login: str, password: str = "demo-2026") -> dict[str, str]:
        return await self.tickets.as_user(login, password)

    async def seen(self, table, column, value: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
        """Waits until dispatch's read model has a row where `column == value`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                if await connection.scalar(select(column).where(column == value).limit(1)):
                    return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{table.name}: {value} never reached dispatch")

    async def knows_engineer(self, engineer_id: str) -> None:
        await self.seen(engineers, engineers.c.id, engineer_id)

    async def knows_provider(self, provider_id: str) -> None:
        await self.seen(providers, providers.c.id, provider_id)
        await self.seen(designations, designations.c.provider_id, provider_id)

    async def knows_ticket(self, ticket_id: str) -> None:
        await self.seen(tickets, tickets.c.id, ticket_id)

    async def sees_in_pool(self, ticket_id: str, provider_id: str, timeout: float = 30.0) -> None:
        """Waits until dispatch's read model has the ticket in the provider's pool."""
        deadline = time.monotonic() + timeout
        where = (tickets.c.id == ticket_id, tickets.c.provider_id == provider_id,
                 tickets.c.engineer_id == "", tickets.c.status == "pending_assignment")  # fmt: skip
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                if await connection.scalar(select(tickets.c.id).where(*where)):
                    return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{ticket_id} never reached {provider_id}'s pool in dispatch")


@pytest.fixture(scope="package")
def dispatch_database(create_database) -> str:
    url = create_database("dispatch")
    upgrade(MIGRATIONS, url)
    return url


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def dispatch(
    tickets: TicketsStack, dispatch_database: str, kafka_bootstrap: str
) -> AsyncIterator[DispatchStack]:
    identity = tickets.identity
    await ensure_service_accounts(identity.deps, {"dispatch": SECRET})
    settings = DispatchSettings(
        environment="test",
        database_url=dispatch_database,
        kafka_bootstrap=kafka_bootstrap,
        tickets_address=f"127.0.0.1:{tickets.server.port}",
        identity_address=f"127.0.0.1:{identity.grpc_port}",
        service_account_secret=SECRET,
        apply_interval_seconds=0.2,
        sla_interval_seconds=0.2,
    )
    deps = build_deps(settings)
    server = build_server(deps, listen="127.0.0.1:0", keys=identity.deps.keys)
    await server.start()
    # Tickets asks dispatch before a claim, as `make up` and deploy/ wire it.
    without_dispatch, tickets.deps.claims = (
        tickets.deps.claims,
        DispatchClaims(f"127.0.0.1:{server.port}"),
    )
    stop = asyncio.Event()
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    engine = create_engine(dispatch_database, pool_size=2)  # tickets' relay runs in its stack
    options = RelayOptions(idle_seconds=0.05)
    background = [
        asyncio.create_task(OutboxRelay(engine, producer, options).run(stop)),
        asyncio.create_task(feed_consumer(deps).run(stop)),
        asyncio.create_task(run_applier(deps, stop)),
        asyncio.create_task(run_sla_timer(deps, stop)),
    ]
    async with gateway_client(
        (IDENTITY_SERVICES, identity.grpc_port),
        (TICKETS_SERVICES, tickets.server.port),
        (SERVICE_NAMES, server.port),
    ) as client:
        yield DispatchStack(tickets=tickets, deps=deps, client=client, server=server)
    stop.set()
    await asyncio.gather(*background, return_exceptions=True)
    claims, tickets.deps.claims = tickets.deps.claims, without_dispatch
    await claims.close()  # type: ignore[attr-defined]
    await server.stop(0)
    await producer.stop()
    await engine.dispose()
