"""Wiring tickets together from its settings: used by the entrypoints and by tests."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing.tickets.v1 import catalog_pb2_grpc, knowledge_pb2_grpc, tickets_pb2_grpc

from servicekit.auth.tokens import KeySource
from servicekit.consumer import IdempotentConsumer
from servicekit.db import create_engine
from servicekit.read_model import read_model_consumer
from servicekit.rpc.names import service_names
from servicekit.rpc.server import GrpcServer, ServiceBinding, create_server, token_verifier
from servicekit.transient import is_transient
from services.tickets.adapters.claims import DispatchClaims
from services.tickets.adapters.identity_directory import identity_routes
from services.tickets.adapters.storage import FilesystemStore
from services.tickets.adapters.unit_of_work import TicketsUnitOfWork
from services.tickets.entrypoints.servicers import (
    CatalogServicer,
    KnowledgeServicer,
    TicketServicer,
)
from services.tickets.service_layer.catalog_cache import CatalogCache
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.lifecycle import close_due, fold_counts
from services.tickets.service_layer.ports import NoClaimLimits
from services.tickets.settings import TicketsSettings

log = logging.getLogger(__name__)
PACKAGE = "ticketing.tickets.v1"
SERVICE_NAMES = service_names(PACKAGE)


@dataclass
class Runtime(Deps):
    """The use cases' Deps with the database engine they run on (for the health check, the
    directory consumer and closing the pool)."""

    engine: AsyncEngine = field(kw_only=True)


def build_deps(settings: TicketsSettings) -> Runtime:
    engine = create_engine(settings.database_url)
    return Runtime(
        uow=lambda: TicketsUnitOfWork(engine),
        engine=engine,
        settings=settings,
        store=FilesystemStore(Path(settings.attachments_dir)),
        catalog_cache=CatalogCache(settings.catalog_cache_seconds),
        claims=DispatchClaims(settings.dispatch_address)
        if settings.dispatch_address
        else NoClaimLimits(),
    )


def build_server(deps: Deps, *, listen: str, keys: KeySource) -> GrpcServer:
    verifier = token_verifier(deps.settings, keys)
    bindings = [
        ServiceBinding(
            catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
            CatalogServicer(deps),
            f"{PACKAGE}.CatalogService",
        ),
        ServiceBinding(
            tickets_pb2_grpc.add_TicketServiceServicer_to_server,
            TicketServicer(deps),
            f"{PACKAGE}.TicketService",
        ),
        ServiceBinding(
            knowledge_pb2_grpc.add_KnowledgeServiceServicer_to_server,
            KnowledgeServicer(deps),
            f"{PACKAGE}.KnowledgeService",
        ),
    ]
    return create_server(bindings=bindings, listen=listen, verifier=verifier)


def directory_consumer(deps: Runtime) -> IdempotentConsumer:
    return read_model_consumer(
        name="tickets-identity-directory",
        topics=list(deps.settings.identity_topics),
        bootstrap=deps.settings.kafka_bootstrap,
        engine=deps.engine,
        routes=identity_routes(),
    )


async def run_timer(deps: Deps, stop: asyncio.Event) -> None:
    """Tickets' timer: closes resolved tickets whose auto-close time passed, and folds the
    ticket-count deltas. Both live in the database, so a restart loses nothing."""
    while not stop.is_set():
        try:
            closed = deps.settings.auto_close_batch
            while closed == deps.settings.auto_close_batch:  # a full batch: more may be due
                closed = await close_due(deps)
            folded = deps.settings.count_fold_batch
            while folded == deps.settings.count_fold_batch:
                folded = await fold_counts(deps)
        except Exception as error:
            if not is_transient(error):
                log.exception("timer round failed")
            else:  # the database is away: the deadlines wait in it, the next round takes them
                log.warning("timer round skipped: %r", error)
        try:
            await asyncio.wait_for(stop.wait(), timeout=deps.settings.auto_close_interval_seconds)
        except TimeoutError:
            continue
