"""Per-request context that travels across await points: request id and caller."""

from __future__ import annotations

import contextvars
import uuid

from servicekit.auth.principal import Principal

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
principal_var: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "principal", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_principal() -> Principal | None:
    return principal_var.get()
