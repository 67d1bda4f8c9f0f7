"""Per-request context that travels across await points: request id, caller, and where the
call came from (set by the server's interceptors; read by use cases' entrypoints, never passed
around as a gRPC context)."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass

from servicekit.auth.principal import Principal

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
principal_var: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "principal", default=None
)


@dataclass(frozen=True)
class ClientAddress:
    """The end client as the gateway saw it (x-client-ip, x-client-user-agent)."""

    ip_address: str = ""
    user_agent: str = ""


# The caller's bearer token as it came, for a service that asks another on the caller's behalf
# (tickets asks dispatch whether an engineer may claim a ticket).
token_var: contextvars.ContextVar[str] = contextvars.ContextVar("token", default="")

client_var: contextvars.ContextVar[ClientAddress | None] = contextvars.ContextVar(
    "client", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_principal() -> Principal | None:
    return principal_var.get()


def current_token() -> str:
    return token_var.get()


def current_client() -> ClientAddress:
    return client_var.get() or ClientAddress()
