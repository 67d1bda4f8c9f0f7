"""Wiring notify together from its settings: used by the entrypoints and by tests."""

from __future__ import annotations

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
from services.notify.adapters import feeds
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.adapters.wakeups import PgWakeups
from services.notify.entrypoints.servicers import NotificationServicer
from services.notify.service_layer.deps import Deps
from services.notify.settings import NotifySettings

PACKAGE = "ticketing.notify.v1"
SERVICE_NAMES = service_names(PACKAGE)


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
        routes=feeds.routes(deps.clock, timedelta(hours=deps.settings.late_receipt_hours)),
    )
