"""Reading the decisions about a ticket, and engineers' availability.

Decisions are for platform staff and provider admins with dispatch.read; a provider sees only
decisions about its own tickets, and of their candidates and exclusions only its engineers.
Requesters and engineers never see them (403). Availability is read and set by the engineer
himself, his provider's admins (engineer.write) and platform staff."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import FieldViolation, invalid_argument, not_found, permission_denied
from services.dispatch.domain.events import RecordedDecision
from services.dispatch.domain.routing import Engineer
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.ports import DispatchUnit


async def list_decisions(deps: Deps, p: Principal, ticket_id: str) -> list[RecordedDecision]:
    require_permission(p, "dispatch.read")
    if not (p.is_platform or p.kind == "provider"):
        raise permission_denied("DISPATCH_DECISIONS_REFUSED", "decisions are for dispatchers")
    async with deps.uow() as uow:
        seen = await uow.tickets.get(ticket_id)
        found = await uow.decisions.of_ticket(ticket_id) if seen else []
        if p.is_platform:
            if seen is None:
                raise not_found("TICKET_NOT_FOUND", f"no ticket {ticket_id!r}")
            return found
        mine = [d for d in found if d.decision.provider_id == p.organization_id]
        if not mine:
            raise not_found("TICKET_NOT_FOUND", f"no ticket {ticket_id!r}")
        own = {e.id for e in await uow.directory.engineers_of(p.organization_id)}
        return [only_engineers(d, own) for d in mine]


def only_engineers(recorded: RecordedDecision, own: set[str]) -> RecordedDecision:
    d = recorded.decision
    return replace(
        recorded,
        decision=replace(
            d,
            candidates=tuple(c for c in d.candidates if c.engineer_id in own),
            excluded=tuple(e for e in d.excluded if e.subject_id in own),
        ),
    )


async def get_availability(deps: Deps, p: Principal, engineer_id: str) -> Engineer:
    async with deps.uow() as uow:
        return await _engineer_for(uow, p, engineer_id, writing=False)


async def update_availability(
    deps: Deps,
    p: Principal,
    engineer_id: str,
    *,
    available: bool,
    away_until: datetime | None,
    capacity: int,
) -> Engineer:
    if capacity < 0 or capacity > 1000:
        raise invalid_argument(
            "AVAILABILITY_INVALID",
            [FieldViolation("availability.max_open_tickets", "must be from 0 to 1000")],
        )
    async with deps.uow() as uow:
        await _engineer_for(uow, p, engineer_id, writing=True)
        await uow.directory.set_availability(
            engineer_id, available=available, away_until=away_until, capacity=capacity
        )
        now = deps.clock()
        if not available or (away_until is not None and away_until > now):
            await uow.decisions.redispatch_now(engineer_id, now)  # his unstarted tickets move
        engineer = await uow.directory.engineer(engineer_id)
        await uow.commit()
    assert engineer is not None
    return engineer


async def _engineer_for(
    uow: DispatchUnit, p: Principal, engineer_id: str, *, writing: bool
) -> Engineer:
    engineer = await uow.directory.engineer(engineer_id)
    own = p.kind == "engineer" and p.user_id == engineer_id
    admin = (
        p.kind == "provider" and engineer is not None and engineer.provider_id == p.organization_id
    )
    if engineer is None or not (own or admin or p.is_platform):
        raise not_found("ENGINEER_NOT_FOUND", f"no engineer {engineer_id!r}")
    if writing and admin:
        require_permission(p, "engineer.write")
    return engineer
