"""Which tickets a caller sees; the repository turns this into a WHERE clause on every read."""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.auth.principal import Principal


@dataclass(frozen=True)
class TicketScope:
    everything: bool = False
    enterprise_id: str = ""  # enterprise users: their enterprise...
    own_user_id: str = ""  # ...only their own tickets (data scope "self")
    department_ids: frozenset[str] | None = None  # ...or their departments' (scope "department")
    provider_id: str = ""  # provider staff: their provider's tickets...
    engineer_id: str = ""  # ...engineers: assigned to them, or in the pool


def scope_of(principal: Principal, department_ids: frozenset[str] | None = None) -> TicketScope:
    if principal.is_platform:
        return TicketScope(everything=True)
    if principal.kind == "enterprise":
        if principal.data_scope in ("organization", "all"):
            return TicketScope(enterprise_id=principal.organization_id)
        if principal.data_scope == "department" and department_ids:
            return TicketScope(
                enterprise_id=principal.organization_id, department_ids=department_ids
            )
        return TicketScope(enterprise_id=principal.organization_id, own_user_id=principal.user_id)
    if principal.kind == "provider":
        return TicketScope(provider_id=principal.organization_id)
    if principal.kind == "engineer":
        return TicketScope(provider_id=principal.organization_id, engineer_id=principal.user_id)
    return TicketScope(own_user_id=principal.user_id, enterprise_id="-")


def is_requester_side(principal: Principal) -> bool:
    """Requesters and their colleagues never see internal notes."""
    return principal.kind == "enterprise"
