"""Notify for the notify tests (package scope: its consumer stops afterwards), beside the
session's identity and tickets (whose relays feed Kafka): the notifier consumes identity's and
tickets' events into notify's database, the deliverer sends emails to a real SMTP server (the
mail catcher, aiosmtpd), and one gateway fronts identity, tickets and notify. The clock both
read can be moved forward (`notify.clock.ahead`), e.g. to the end of quiet hours."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from devstack.mailcatcher import MailCatcher
from servicekit.clock import utc_now
from servicekit.migrations import upgrade
from servicekit.rpc.server import GrpcServer
from services.identity.bootstrap import SERVICE_NAMES as IDENTITY_SERVICES
from services.notify.adapters.tables import messages, people, roles
from services.notify.bootstrap import (
    SERVICE_NAMES,
    Runtime,
    build_deps,
    build_server,
    notifier,
    run_deliverer,
)
from services.notify.settings import NotifySettings
from services.tickets.bootstrap import SERVICE_NAMES as TICKETS_SERVICES
from tests.support.fake_providers import FakeAliyunSms, FakeWechatMessages
from tests.support.gateways import gateway_client
from tests.support.tickets_stack import TicketsStack

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "notify" / "migrations"


@dataclass
class MovableClock:
    """The real time, plus however far a test moved it."""

    ahead: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utc_now() + self.ahead


@dataclass
class NotifyStack:
    tickets: TicketsStack
    deps: Runtime
    client: httpx.AsyncClient
    server: GrpcServer
    mail: MailCatcher
    clock: MovableClock
    sms: FakeAliyunSms
    wechat: FakeWechatMessages

    async def as_user(self, login: str, password: str = "demo-2026") -> dict[str, str]:
        return await self.tickets.as_user(login, password)

    async def knows(self, *person_ids: str, timeout: float = 30.0) -> None:
        """Waits until notify's directory has the people and the roles they hold."""
        for person_id in person_ids:
            await self._row(people.c.id, person_id, timeout)
            async with self.deps.engine.connect() as connection:
                held = await connection.scalar(
                    select(people.c.role_ids).where(people.c.id == person_id)
                )
            for role_id in held or []:
                await self._row(roles.c.id, role_id, timeout)

    async def _row(self, column, value: str, timeout: float) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.deps.engine.connect() as connection:
                if await connection.scalar(select(column).where(column == value)):
                    return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{value} never reached notify's directory")

    async def recipients_of(self, ticket_id: str) -> dict[str, int]:
        """Every message about the ticket in notify's database, per recipient (what the
        gateway cannot show: that nobody else got one)."""
        query = (
            select(messages.c.user_id, func.count())
            .where(messages.c.ticket_id == ticket_id)
            .group_by(messages.c.user_id)
        )
        async with self.deps.engine.connect() as connection:
            return {row[0]: row[1] for row in await connection.execute(query)}

    async def settled(self, ticket_id: str, expected: int, timeout: float = 30.0) -> dict[str, int]:
        """Waits for `expected` messages about the ticket, then a moment more (so a surplus
        would show) and returns them per recipient."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum((await self.recipients_of(ticket_id)).values()) >= expected:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        return await self.recipients_of(ticket_id)


@pytest.fixture(scope="package")
def notify_database(create_database) -> str:
    url = create_database("notify")
    upgrade(MIGRATIONS, url)
    return url


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def notify(
    tickets: TicketsStack, notify_database: str, kafka_bootstrap: str
) -> AsyncIterator[NotifyStack]:
    identity = tickets.identity
    mail = MailCatcher().start()
    sms = FakeAliyunSms("LTAI-test", "sms-secret")
    sms.start()
    wechat = FakeWechatMessages("wx-app", "wx-secret")
    wechat.start()
    settings = NotifySettings(
        environment="test",
        database_url=notify_database,
        kafka_bootstrap=kafka_bootstrap,
        smtp_host="127.0.0.1",
        smtp_port=mail.port,
        email_retry_first_seconds=0.2,
        email_retry_max_seconds=1.0,
        email_attempts=5,
        sms_base_url=sms.base_url,
        sms_access_key_id="LTAI-test",
        sms_access_key_secret="sms-secret",
        sms_sign_name="服务工单",
        sms_template_code="SMS_123456",
        sms_retry_first_seconds=0.2,
        sms_retry_max_seconds=1.0,
        wechat_api_base_url=wechat.base_url,
        wechat_app_id="wx-app",
        wechat_app_secret="wx-secret",
        wechat_template_id="tmpl-ticket-progress",
        wechat_retry_first_seconds=0.2,
        wechat_retry_max_seconds=1.0,
        webhook_retry_first_seconds=0.2,
        webhook_retry_max_seconds=1.0,
        webhook_allowed=("127.0.0.1/32",),  # the test receiver; nothing else private
        delivery_poll_seconds=0.1,
        delivery_concurrency=2,
    )
    clock = MovableClock()
    deps = build_deps(settings)
    deps.clock = clock
    server = build_server(deps, listen="127.0.0.1:0", keys=identity.deps.keys)
    await server.start()
    stop = asyncio.Event()
    consumer = asyncio.create_task(notifier(deps).run(stop))
    deliverer = asyncio.create_task(run_deliverer(deps, stop))
    async with gateway_client(
        (IDENTITY_SERVICES, identity.grpc_port),
        (TICKETS_SERVICES, tickets.server.port),
        (SERVICE_NAMES, server.port),
    ) as client:
        yield NotifyStack(
            tickets=tickets, deps=deps, client=client, server=server, mail=mail, clock=clock,
            sms=sms, wechat=wechat,
        )  # fmt: skip
    stop.set()
    await asyncio.gather(consumer, deliverer, return_exceptions=True)
    await server.stop(0)
    await deps.close()
    mail.stop()
    sms.stop()
    wechat.stop()
