"""Who is calling and from where, taken from the call's context."""

from __future__ import annotations

from servicekit.authz import require_caller
from servicekit.rpc.interceptors import Context
from services.identity.domain.security import ClientInfo
from services.identity.service_layer.caller import Caller


def client_of(context: Context) -> ClientInfo:
    metadata = dict(context.invocation_metadata() or ())
    return ClientInfo(
        ip_address=str(metadata.get("x-client-ip", "")),
        user_agent=str(metadata.get("x-client-user-agent", "")),
    )


def caller_of(context: Context) -> Caller:
    return Caller(principal=require_caller(), client=client_of(context))
