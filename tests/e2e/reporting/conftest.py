"""Reporting for the reporting tests (package scope: its recorder stops afterwards), beside the
session's identity and tickets (whose relays feed Kafka): the recorder appends every event to
reporting's ledger and folds the ticket facts; one gateway fronts identity, tickets and
reporting."""

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

from servicekit.migrations import upgrade
from servicekit.rpc.server import GrpcServer
from services.identity.bootstrap import SERVICE_NAMES as IDENTITY_SERVICES
from services.reporting.adapters.repositories.ledger import ensure_partitions
from services.reporting.adapters.tables import names, ticket_facts
from services.reporting.bootstrap import SERVICE_NAMES, Runtime, build_deps, build_server, recorder
from services.reporting.settings import ReportingSettings
from services.tickets.bootstrap import SERVICE_NAMES as TICKETS_SERVICES
from tests.support.gateways import gateway_client
from tests.support.tickets_stack import TicketsStack

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "reporting" / "migrations"


@dataclass
class ReportingStack:
    tickets: TicketsStack
    deps: Runtime
    client: httpx.AsyncClient
    server: GrpcServer

    async def as_user(self, login: str, password: str = "demo-2026") -> dict[str, str]:
        return await self.tickets.as_user(login, password)

    async def caught_up(self, expected: dict[str, str], timeout: float = 30.0) -> None:
        """Waits until each ticket's fact has the expected status (its last event folded)."""
        query = select(ticket_facts.c.ticket_id, ticket_facts.c.status).where(
            ticket_facts.c.ticket_id.in_(list(expected))
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                found = {row[0]: row[1] for row in await connection.execute(query)}
            if found == expected:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"reporting has {found}, expected {expected}")

    async def named(self, *ids: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                found = set(await connection.scalars(select(names.c.id).where(names.c.id.in_(ids))))
            if found == set(ids):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"reporting never heard the names of {set(ids) - found}")


@pytest.fixture(scope="package")
def reporting_database(create_database) -> str:
    url = create_database("reporting")
    upgrade(MIGRATIONS, url)
    return url


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def reporting(
    tickets: TicketsStack, reporting_database: str, kafka_bootstrap: str
) -> AsyncIterator[ReportingStack]:
    identity = tickets.identity
    settings = ReportingSettings(
        environment="test", database_url=reporting_database, kafka_bootstrap=kafka_bootstrap
    )
    deps = build_deps(settings)
    await ensure_partitions(deps.engine, deps.clock())
    server = build_server(deps, listen="127.0.0.1:0", keys=identity.deps.keys)
    await server.start()
    stop = asyncio.Event()
    consumer = asyncio.create_task(recorder(deps).run(stop))
    async with gateway_client(
        (IDENTITY_SERVICES, identity.grpc_port),
        (TICKETS_SERVICES, tickets.server.port),
        (SERVICE_NAMES, server.port),
    ) as client:
        yield ReportingStack(tickets=tickets, deps=deps, client=client, server=server)
    stop.set()
    await asyncio.gather(consumer, return_exceptions=True)
    await server.stop(0)
    await deps.close()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def world(reporting: ReportingStack):  # type: ignore[no-untyped-def]
    from tests.e2e.reporting.world import build_world

    return await build_world(reporting)
