"""Client channels: a default deadline on every call, retries only for idempotent methods,
and the current request id forwarded in metadata."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from google.api import annotations_pb2
from google.protobuf import descriptor, descriptor_pb2
from grpc import aio

from servicekit.context import request_id_var

MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # as the server allows

_SAFE_LEVELS = {
    descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS,
    descriptor_pb2.MethodOptions.IDEMPOTENT,
}


def is_idempotent(method: descriptor.MethodDescriptor) -> bool:
    """Idempotent when declared so (idempotency_level) or bound to HTTP GET; a stream is not
    retried (what it sent cannot be taken back)."""
    if method.server_streaming:
        return False
    options = method.GetOptions()
    if options.idempotency_level in _SAFE_LEVELS:
        return True
    return options.HasExtension(annotations_pb2.http) and bool(
        options.Extensions[annotations_pb2.http].get
    )


def idempotent_methods(service: descriptor.ServiceDescriptor) -> list[tuple[str, str]]:
    return [(service.full_name, m.name) for m in service.methods if is_idempotent(m)]


def streaming_methods(service: descriptor.ServiceDescriptor) -> list[tuple[str, str]]:
    return [(service.full_name, m.name) for m in service.methods if m.server_streaming]


def service_config(
    *,
    idempotent: Iterable[tuple[str, str]],
    timeout_seconds: float,
    max_attempts: int,
    streaming: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Every call gets the default deadline except streams (long-lived by design: the caller
    sets their deadline per call; a channel-wide one would cut them off)."""
    timeout = f"{timeout_seconds:.3f}s"
    configs: list[dict[str, Any]] = [{"name": [{}], "timeout": timeout}]
    if streams := [{"service": s, "method": m} for s, m in streaming]:
        configs.append({"name": streams})
    names = [{"service": s, "method": m} for s, m in idempotent]
    if names:
        configs.append(
            {
                "name": names,
                "timeout": timeout,
                "retryPolicy": {
                    "maxAttempts": max_attempts,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        )
    return {"methodConfig": configs}


class RequestIdInterceptor(aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        metadata = list(client_call_details.metadata or ())
        request_id = request_id_var.get()
        if request_id and not any(k == "x-request-id" for k, _ in metadata):
            metadata.append(("x-request-id", request_id))
            client_call_details = client_call_details._replace(metadata=aio.Metadata(*metadata))
        return await continuation(client_call_details, request)


def create_channel(
    target: str,
    *,
    idempotent: Iterable[tuple[str, str]] = (),
    streaming: Iterable[tuple[str, str]] = (),
    timeout_seconds: float = 5.0,
    max_attempts: int = 4,
) -> aio.Channel:
    config = service_config(
        idempotent=idempotent,
        streaming=streaming,
        timeout_seconds=timeout_seconds,
        max_attempts=max_attempts,
    )
    return aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", json.dumps(config)),
            ("grpc.enable_retries", 1),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
        interceptors=[RequestIdInterceptor()],
    )
