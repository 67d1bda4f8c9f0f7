"""Checks every service makes on the caller: signed in, and holding a permission code."""

from __future__ import annotations

from servicekit.auth.principal import Principal
from servicekit.context import current_principal
from servicekit.errors import permission_denied, unauthenticated


def require_caller() -> Principal:
    principal = current_principal()
    if principal is None:
        raise unauthenticated("TOKEN_MISSING", "this call needs an access token")
    return principal


def require_permission(principal: Principal, code: str) -> None:
    if not principal.has(code):
        raise permission_denied("PERMISSION_MISSING", f"permission {code!r} is required")
