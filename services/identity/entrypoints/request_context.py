"""Who is calling and from where, taken from the call's context."""

from __future__ import annotations

from grpc import aio

from servicekit.authz import require_caller
from services.identity.domain.security import ClientInfo
from services.identity.service_layer.caller import Caller


def client_of(context: aio.ServicerContext) -> ClientInfo:
    metadata = dict(context.invocation_metadata() or ())
    return ClientInfo(
        ip_address=str(metadata.get("x-client-ip", "")),
        user_agent=str(metadata.get("x-client-user-agent", "")),
    )


def caller_of(context: aio.ServicerContext) -> Caller:
    return Caller(principal=require_caller(), client=client_of(context))
