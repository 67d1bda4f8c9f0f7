"""Bootstrap of a grpc.aio server: interceptors, health, reflection, metrics endpoint.

`create_server` builds and binds (port 0 in tests) without serving; `serve` runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from servicekit.auth.revocations import RevocationFeed
from servicekit.auth.tokens import JwksKeySource, KeySource, StaticKeySource, TokenVerifier
from servicekit.health import LIVENESS, Check, stop_on_signals, watch
from servicekit.metrics import start_metrics_server
from servicekit.rpc.interceptors import (
    AuthInterceptor,
    ErrorMappingInterceptor,
    RequestCheckInterceptor,
    RequestContextInterceptor,
)
from servicekit.settings import BaseServiceSettings

log = logging.getLogger(__name__)
# Attachments (20 MB by default) travel as one message; leave room for the envelope.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024


@dataclass
class ServiceBinding:
    """One servicer to expose: its generated `add_..._to_server` function and full name."""

    add_to_server: Callable[[Any, aio.Server], None]
    servicer: Any
    full_name: str
    public_methods: Sequence[str] = ()


@dataclass
class GrpcServer:
    server: aio.Server
    port: int
    health: health.aio.HealthServicer
    service_names: list[str] = field(default_factory=list)
    revocation_feed: RevocationFeed | None = None
    _feed_stop: asyncio.Event = field(default_factory=asyncio.Event)
    _feed_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.revocation_feed is not None and self._feed_task is None:
            self._feed_stop = asyncio.Event()
            self._feed_task = asyncio.create_task(self.revocation_feed.run(self._feed_stop))
        await self.server.start()
        for name in ["", LIVENESS, *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float = 2.0) -> None:
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace)
        if self._feed_task is not None:
            self._feed_stop.set()
            try:
                await asyncio.wait_for(self._feed_task, 5.0)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("revocation feed did not stop in time")
            self._feed_task = None


def token_verifier(settings: BaseServiceSettings, keys: KeySource | None = None) -> TokenVerifier:
    """Checks tokens against `keys` (default: the JWKS at settings.jwks_url) with the
    settings' issuer and audience, refusing those identity has revoked since (read from its
    events when the settings name a broker)."""
    if keys is None:
        keys = JwksKeySource(settings.jwks_url) if settings.jwks_url else StaticKeySource({})
    verifier = TokenVerifier(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    if settings.kafka_bootstrap:
        verifier.feed = RevocationFeed(settings.kafka_bootstrap, verifier.revocations)
    return verifier


def create_server(
    *,
    bindings: Iterable[ServiceBinding],
    listen: str,
    verifier: TokenVerifier,
) -> GrpcServer:
    bindings = list(bindings)
    public = [m for b in bindings for m in b.public_methods]
    server = aio.server(
        interceptors=[
            RequestContextInterceptor(),
            ErrorMappingInterceptor(),
            AuthInterceptor(verifier, public),
            RequestCheckInterceptor(),
        ],
        options=[
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    for binding in bindings:
        binding.add_to_server(binding.servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [b.full_name for b in bindings]
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    port = server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"could not bind gRPC server to {listen}")
    return GrpcServer(
        server=server,
        port=port,
        health=health_servicer,
        service_names=names,
        revocation_feed=verifier.feed,
    )


async def serve(
    grpc_server: GrpcServer,
    settings: BaseServiceSettings,
    *,
    checks: Sequence[Check] = (),
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop`), health following `checks` (e.g. the database);
    then report NOT_SERVING and drain for the grace period."""
    if settings.metrics_port is not None:
        start_metrics_server(settings.metrics_port)
    await grpc_server.start()
    log.info("serving", extra={"port": grpc_server.port, "services": grpc_server.service_names})
    stop = stop or stop_on_signals()
    watcher = asyncio.create_task(
        watch(grpc_server.health, grpc_server.service_names, checks, stop)
    )
    await stop.wait()
    log.info("stopping")
    await watcher
    await grpc_server.stop(settings.shutdown_grace_seconds)
