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


def count_keys(scope: TicketScope) -> list[str]:
    """The ticket-count keys whose sum is what the caller's statistics show: the whole platform,
    the enterprise, the departments or the provider they see, an engineer's own tickets
    (assigned to them; the pool is not theirs yet), or the tickets a person raised."""
    if scope.everything:
        return ["all"]
    if scope.engineer_id:
        return [f"g:{scope.engineer_id}"]
    if scope.provider_id:
        return [f"p:{scope.provider_id}"]
    if scope.own_user_id:
        return [f"u:{scope.own_user_id}"]
    if scope.department_ids is not None:
        return [f"d:{d}" for d in sorted(scope.department_ids)]
    return [f"e:{scope.enterprise_id}"]


def counted_under(
    *,
    enterprise_id: str,
    department_id: str,
    provider_id: str,
    engineer_id: str,
    requester_id: str,
    created_by: str,
) -> list[str]:
    """The count keys a ticket adds to (the migration's SQL function ticket_count_keys is the
    same rule, applied by a trigger)."""
    keys = ["all", f"e:{enterprise_id}"]
    keys += [f"d:{department_id}"] if department_id else []
    keys += [f"p:{provider_id}"] if provider_id else []
    keys += [f"g:{engineer_id}"] if engineer_id else []
    keys.append(f"u:{requester_id}")
    keys += [f"u:{created_by}"] if created_by and created_by != requester_id else []
    return keys


def is_requester_side(principal: Principal) -> bool:
    """Requesters and their colleagues never see internal notes."""
    return principal.kind == "enterprise"
