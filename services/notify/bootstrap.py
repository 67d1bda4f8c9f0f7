"""Wiring notify together from its settings: used by the entrypoints and by tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing.notify.v1 import notify_pb2_grpc

from servicekit.auth.tokens import KeySource
from servicekit.consumer import IdempotentConsumer
from servicekit.db import create_engine
from servicekit.read_model import read_model_consumer
from servicekit.rpc.names import service_names
from servicekit.rpc.server import GrpcServer, ServiceBinding, create_server, token_verifier
from servicekit.transient import is_transient
from services.notify.adapters import feeds
from services.notify.adapters.email import SmtpSender
from services.notify.adapters.sms import AliyunSmsSender
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.adapters.wakeups import PgWakeups
from services.notify.adapters.webhooks import WebhookSender, resolve
from services.notify.adapters.wechat import WechatSubscribeSender
from services.notify.domain.deliveries import RetryPolicy
from services.notify.domain.preferences import Channel
from services.notify.domain.webhooks import AddressPolicy
from services.notify.entrypoints.servicers import NotificationServicer
from services.notify.service_layer.delivering import deliver_next
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.ports import Sender
from services.notify.settings import NotifySettings

PACKAGE = "ticketing.notify.v1"
SERVICE_NAMES = service_names(PACKAGE)
log = logging.getLogger(__name__)


@dataclass
class Runtime(Deps):
    """The use cases' Deps with the database engine they run on and the stream listener."""

    engine: AsyncEngine = field(kw_only=True)
    listener: PgWakeups = field(kw_only=True)

    async def close(self) -> None:
        await self.listener.close()
        await self.engine.dispose()


def build_deps(settings: NotifySettings) -> Runtime:
    engine = create_engine(settings.database_url)
    listener = PgWakeups(settings.database_url)
    return Runtime(
        uow=lambda: NotifyUnitOfWork(engine),
        wakeups=listener,
        settings=settings,
        resolver=resolve,
        engine=engine,
        listener=listener,
    )


def build_server(deps: Deps, *, listen: str, keys: KeySource) -> GrpcServer:
    verifier = token_verifier(deps.settings, keys)
    binding = ServiceBinding(
        notify_pb2_grpc.add_NotificationServiceServicer_to_server,
        NotificationServicer(deps),
        f"{PACKAGE}.NotificationService",
    )
    return create_server(bindings=[binding], listen=listen, verifier=verifier)


def notifier(deps: Runtime) -> IdempotentConsumer:
    return read_model_consumer(
        name="notify-notifier",
        topics=list(deps.settings.source_topics),
        bootstrap=deps.settings.kafka_bootstrap,
        engine=deps.engine,
        routes=feeds.routes(
            deps.clock,
            timedelta(hours=deps.settings.late_receipt_hours),
            channels=outbound_channels(deps.settings),
        ),
    )


def outbound_channels(settings: NotifySettings) -> frozenset[Channel]:
    """The channels deliveries are made for: those configured (email needs an SMTP host)."""
    channels = {Channel(c) for c in settings.channels}
    if not settings.smtp_host:
        channels.discard(Channel.EMAIL)
    if not settings.sms_access_key_id:
        channels.discard(Channel.SMS)
    if not settings.wechat_app_id:
        channels.discard(Channel.WECHAT)
    return frozenset(channels)


def senders(settings: NotifySettings) -> dict[Channel, Sender]:
    found: dict[Channel, Sender] = {}
    if Channel.EMAIL in outbound_channels(settings):
        found[Channel.EMAIL] = SmtpSender(settings)
    if Channel.SMS in outbound_channels(settings):
        found[Channel.SMS] = AliyunSmsSender(settings)
    if Channel.WECHAT in outbound_channels(settings):
        found[Channel.WECHAT] = WechatSubscribeSender(settings)
    if Channel.WEBHOOK in outbound_channels(settings):
        found[Channel.WEBHOOK] = WebhookSender(
            AddressPolicy.of(settings.webhook_allowed), timeout=settings.webhook_timeout_seconds
        )
    return found


def retry_policies(settings: NotifySettings) -> dict[Channel, RetryPolicy]:
    """Each channel's own: `<channel>_attempts`, `_retry_first_seconds`, `_retry_max_seconds`."""

    def policy(channel: Channel) -> RetryPolicy:
        name = channel.value
        return RetryPolicy(
            attempts=getattr(settings, f"{name}_attempts"),
            first_delay=timedelta(seconds=getattr(settings, f"{name}_retry_first_seconds")),
            max_delay=timedelta(seconds=getattr(settings, f"{name}_retry_max_seconds")),
        )

    return {c: policy(c) for c in (Channel.EMAIL, Channel.SMS, Channel.WECHAT, Channel.WEBHOOK)}


async def run_deliverer(
    deps: Deps,
    stop: asyncio.Event,
    ways_out: Mapping[Channel, Sender] | None = None,
) -> None:
    """The deliverer: `delivery_concurrency` loops, each sending one due delivery at a time
    until none is due, then resting `delivery_poll_seconds`. The deliveries live in the
    database, so a restart loses none."""
    settings = deps.settings
    chosen = senders(settings) if ways_out is None else ways_out
    policies = retry_policies(settings)

    async def loop() -> None:
        while not stop.is_set():
            try:
                while not stop.is_set() and await deliver_next(deps, chosen, policies):
                    pass
            except Exception as error:
                if not is_transient(error):
                    log.exception("delivery round failed")
                else:  # the database is away: the deliveries wait in it
                    log.warning("delivery round skipped: %r", error)
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.delivery_poll_seconds)
            except TimeoutError:
                continue

    if not chosen:
        log.warning("no outbound channel configured: the deliverer has nothing to send")
    try:
        await asyncio.gather(*(loop() for _ in range(max(1, settings.delivery_concurrency))))
    finally:
        for sender in chosen.values():
            await sender.close()
