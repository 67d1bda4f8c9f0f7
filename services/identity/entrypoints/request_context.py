"""Who is calling and from where, from the request context the server's interceptors set
(servicekit.context): the one way every service gets its caller."""

from __future__ import annotations

from servicekit.authz import require_caller
from servicekit.context import current_client
from services.identity.domain.security import ClientInfo
from services.identity.service_layer.caller import Caller


def current_client_info() -> ClientInfo:
    client = current_client()
    return ClientInfo(ip_address=client.ip_address, user_agent=client.user_agent)


def current_caller() -> Caller:
    return Caller(principal=require_caller(), client=current_client_info())
