"""Wiring reporting together from its settings: used by the entrypoints and by tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing.reporting.v1 import reporting_pb2_grpc

from servicekit.auth.tokens import KeySource
from servicekit.consumer import IdempotentConsumer
from servicekit.db import create_engine
from servicekit.rpc.names import service_names
from servicekit.rpc.server import GrpcServer, ServiceBinding, create_server, token_verifier
from services.reporting.adapters import feeds
from services.reporting.adapters.unit_of_work import ReportingUnitOfWork
from services.reporting.entrypoints.servicers import ReportingServicer
from services.reporting.service_layer.deps import Deps
from services.reporting.settings import ReportingSettings

PACKAGE = "ticketing.reporting.v1"
SERVICE_NAMES = service_names(PACKAGE)


@dataclass
class Runtime(Deps):
    """The use cases' Deps with the database engine they run on."""

    engine: AsyncEngine = field(kw_only=True)

    async def close(self) -> None:
        await self.engine.dispose()


def build_deps(settings: ReportingSettings) -> Runtime:
    engine = create_engine(settings.database_url)
    return Runtime(uow=lambda: ReportingUnitOfWork(engine), settings=settings, engine=engine)


def build_server(deps: Deps, *, listen: str, keys: KeySource) -> GrpcServer:
    verifier = token_verifier(deps.settings, keys)
    binding = ServiceBinding(
        reporting_pb2_grpc.add_ReportingServiceServicer_to_server,
        ReportingServicer(deps),
        f"{PACKAGE}.ReportingService",
    )
    return create_server(bindings=[binding], listen=listen, verifier=verifier)


def recorder(deps: Runtime) -> IdempotentConsumer:
    return IdempotentConsumer(
        name="reporting-recorder",
        topics=list(deps.settings.source_topics),
        bootstrap=deps.settings.kafka_bootstrap,
        engine=deps.engine,
        # Its locks are per ticket (one partition's): a partition's poll is one transaction,
        # handed over at once.
        batch_handler=feeds.recorder(deps.clock),
    )
