"""Channels to the services behind the gateway, and the generic unary call through them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import message_factory
from google.protobuf.message import Message
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.descriptors import service_descriptor
from gateway.http_rules import HttpRoute
from servicekit.rpc.client import create_channel, idempotent_methods, streaming_methods


@dataclass
class Upstreams:
    """One channel per service address; shared by all routes of that service."""

    targets: dict[str, str]
    _channels: dict[str, aio.Channel] = field(default_factory=dict)

    def channel(self, service: str) -> aio.Channel:
        target = self.targets[service]
        if target not in self._channels:
            served_there = [s for s, t in self.targets.items() if t == target]
            services = [service_descriptor(s) for s in served_there]
            self._channels[target] = create_channel(
                target,
                idempotent=[m for s in services for m in idempotent_methods(s)],
                streaming=[m for s in services for m in streaming_methods(s)],
            )
        return self._channels[target]

    async def call(
        self,
        route: HttpRoute,
        request: Message,
        *,
        metadata: Sequence[tuple[str, str]],
        timeout: float,
    ) -> Message:
        stub: aio.UnaryUnaryMultiCallable[Message, Message] = self._channel_of(route).unary_unary(
            route.grpc_path, **_codec(route)
        )
        return await stub(request, metadata=tuple(metadata), timeout=timeout)

    def stream(
        self,
        route: HttpRoute,
        request: Message,
        *,
        metadata: Sequence[tuple[str, str]],
        timeout: float,
    ) -> aio.UnaryStreamCall[Message, Message]:
        """A server-streaming call (the caller iterates it and cancels it when done)."""
        stub: aio.UnaryStreamMultiCallable[Message, Message] = self._channel_of(route).unary_stream(
            route.grpc_path, **_codec(route)
        )
        return stub(request, metadata=tuple(metadata), timeout=timeout)

    def _channel_of(self, route: HttpRoute) -> aio.Channel:
        return self.channel(route.method.containing_service.full_name)

    async def health(self, timeout: float) -> dict[str, str]:
        """SERVING / NOT_SERVING / UNREACHABLE for every upstream service."""
        report = {}
        for service in self.targets:
            stub = health_pb2_grpc.HealthStub(self.channel(service))
            try:
                reply = await stub.Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=timeout
                )
                report[service] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except aio.AioRpcError as error:
                report[service] = f"UNREACHABLE ({error.code().name})"
        return report

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


def _codec(route: HttpRoute) -> dict[str, Any]:
    output_class = message_factory.GetMessageClass(route.method.output_type)
    return {
        "request_serializer": lambda m: m.SerializeToString(),
        "response_deserializer": output_class.FromString,
    }
