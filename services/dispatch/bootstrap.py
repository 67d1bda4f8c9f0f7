"""Wiring dispatch together from its settings: used by the entrypoints and by tests."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing.dispatch.v1 import dispatch_pb2_grpc

from servicekit.auth.tokens import KeySource
from servicekit.consumer import IdempotentConsumer
from servicekit.db import create_engine
from servicekit.read_model import read_model_consumer
from servicekit.rpc.names import service_names
from servicekit.rpc.server import GrpcServer, ServiceBinding, create_server, token_verifier
from servicekit.transient import is_transient
from services.dispatch.adapters import feeds
from services.dispatch.adapters.tickets_api import GrpcTicketsApi
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.entrypoints.servicers import DispatchServicer
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.routing import apply_pending, assign_waiting, redispatch_due
from services.dispatch.service_layer.sla import fire_due
from services.dispatch.settings import DispatchSettings

log = logging.getLogger(__name__)
PACKAGE = "ticketing.dispatch.v1"
SERVICE_NAMES = service_names(PACKAGE)


@dataclass
class Runtime(Deps):
    """The use cases' Deps with the database engine they run on, and the event the consumer
    sets when it has taken a decision (the applier in the same process wakes at once)."""

    engine: AsyncEngine = field(kw_only=True)
    decided: asyncio.Event = field(kw_only=True, default_factory=asyncio.Event)


def build_deps(settings: DispatchSettings) -> Runtime:
    engine = create_engine(settings.database_url)
    return Runtime(
        uow=lambda: DispatchUnitOfWork(engine),
        tickets=GrpcTicketsApi(
            tickets_address=settings.tickets_address,
            identity_address=settings.identity_address,
            login=settings.service_account,
            secret=settings.service_account_secret,
        ),
        settings=settings,
        engine=engine,
    )


def build_server(deps: Deps, *, listen: str, keys: KeySource) -> GrpcServer:
    verifier = token_verifier(deps.settings, keys)
    binding = ServiceBinding(
        dispatch_pb2_grpc.add_DispatchServiceServicer_to_server,
        DispatchServicer(deps),
        f"{PACKAGE}.DispatchService",
    )
    return create_server(bindings=[binding], listen=listen, verifier=verifier)


def feed_consumer(deps: Runtime) -> IdempotentConsumer:
    return read_model_consumer(
        name="dispatch-feed",
        topics=list(deps.settings.source_topics),
        bootstrap=deps.settings.kafka_bootstrap,
        engine=deps.engine,
        routes=feeds.routes(deps.clock, deps.decided),
    )


async def run_applier(deps: Runtime, stop: asyncio.Event) -> None:
    """Applies pending decisions and looks for engineers for tickets left in a pool: at once
    when this process decided, else every interval (so a claim window ends within a second).
    Everything waits in the database, so a restart or an outage loses nothing."""
    while not stop.is_set():
        try:
            while await apply_pending(deps) == deps.settings.apply_batch:
                pass  # a full batch: more may wait
            if await assign_waiting(deps) + await redispatch_due(deps):
                await apply_pending(deps)
        except Exception as error:
            if not is_transient(error):
                log.exception("applying decisions failed")
            else:
                log.warning("applying decisions skipped: %r", error)
        deps.decided.clear()
        waiters = [asyncio.ensure_future(e.wait()) for e in (stop, deps.decided)]
        await asyncio.wait(waiters, timeout=deps.settings.apply_interval_seconds,
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        for waiter in waiters:
            waiter.cancel()


async def run_sla_timer(deps: Runtime, stop: asyncio.Event) -> None:
    """Raises SLA alerts as they come due: every `sla_interval_seconds` (at once again after
    a full batch). Deadlines live in the database: a restart or several replicas lose and
    repeat nothing (rows are taken with SKIP LOCKED)."""
    while not stop.is_set():
        try:
            while await fire_due(deps) == deps.settings.sla_batch:
                pass  # a full batch: more are due
        except Exception as error:
            if not is_transient(error):
                log.exception("raising SLA alerts failed")
            else:
                log.warning("raising SLA alerts skipped: %r", error)
        try:
            await asyncio.wait_for(stop.wait(), timeout=deps.settings.sla_interval_seconds)
        except TimeoutError:
            pass
